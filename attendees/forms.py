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
