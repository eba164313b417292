from django import forms
from django.conf import settings

from photos.forms import EventsSearchForm, SearchFiltersForm


class SelfieForm(SearchFiltersForm):
    selfie = forms.FileField(
        label="Your selfie",
        error_messages={
            "required": "Choose a selfie, or take one with the camera.",
            "empty": "The file is empty.",
        },
    )
    consent = forms.BooleanField(
        label="I agree that my selfie is compared with the faces in this event's photos.",
        error_messages={"required": "Please tick the box to agree before searching."},
    )

    def clean_selfie(self):
        selfie = self.cleaned_data["selfie"]
        if selfie.size == 0:
            raise forms.ValidationError("The file is empty.")
        if selfie.size > settings.SELFIE_MAX_BYTES:
            raise forms.ValidationError(
                f"The picture is larger than {settings.SELFIE_MAX_BYTES // 2**20} MB."
            )
        return selfie


class OrganiserSearchForm(EventsSearchForm, SelfieForm):
    consent = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["selfie"].label = "Photo of the person"
