from django import forms
from django.utils.translation import gettext_lazy as _

from photos.forms import SelfieUploadForm


class SelfieForm(SelfieUploadForm):
    """An attendee's search: their selfie and their consent. It searches the whole
    event; the album and date filters are on the results page."""

    consent = forms.BooleanField(
        label=_("I agree that my selfie is compared with the faces in this event's photos."),
        error_messages={"required": _("Please tick the box to agree before searching.")},
    )

    keep_looking = forms.BooleanField(
        required=False,
        label=_(
            "Keep looking for an hour: photos of me that arrive later are added to my "
            "results. The numbers describing my face are kept with my results for an "
            "hour, then deleted; the selfie itself is never kept."
        ),
    )

    add_to_results = forms.BooleanField(
        required=False,
        label=_(
            "Add the photos this selfie finds to the ones I already have. Another angle "
            "or light often finds photos the first selfie missed."
        ),
    )
