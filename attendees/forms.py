from django import forms
from django.utils.translation import gettext_lazy as _

from photos.forms import SearchFiltersForm, SelfieUploadForm


class SelfieForm(SearchFiltersForm, SelfieUploadForm):
    """An attendee's search: their selfie, their consent, and the album and dates."""

    consent = forms.BooleanField(
        label=_("I agree that my selfie is compared with the faces in this event's photos."),
        error_messages={"required": _("Please tick the box to agree before searching.")},
    )
