from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from photos.forms import EventsSearchForm, SearchFiltersForm
from photos.units import megabytes


class SelfieForm(SearchFiltersForm):
    selfie = forms.FileField(
        label=_("Your selfie"),
        error_messages={
            "required": _("Choose a selfie, or take one with the camera."),
            "empty": _("The file is empty."),
        },
    )
    consent = forms.BooleanField(
        label=_("I agree that my selfie is compared with the faces in this event's photos."),
        error_messages={"required": _("Please tick the box to agree before searching.")},
    )

    def clean_selfie(self):
        selfie = self.cleaned_data["selfie"]
        if selfie.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if selfie.size > settings.SELFIE_MAX_BYTES:
            raise forms.ValidationError(
                _("The picture is larger than %(size)s.")
                % {"size": megabytes(settings.SELFIE_MAX_BYTES)}
            )
        return selfie


class OrganiserSearchForm(EventsSearchForm, SelfieForm):
    consent = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["selfie"].label = _("Photo of the person")
