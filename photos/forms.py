from django import forms

from faces.forms import EventsSearchForm
from photos.models import Album, Event


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "name",
            "starts_on",
            "ends_on",
            "location",
            "description",
            "is_face_search_enabled",
            "is_camera_selfie_required",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The event cannot end before it starts.")
        return cleaned


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ["title"]

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if (
            Album.objects.filter(event=self.event, title=title)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError("This event already has an album with that title.")
        return title


class SmartSearchForm(EventsSearchForm):
    """Words or an example photo, within some of the organiser's events."""

    q = forms.CharField(
        label="Describe the photo",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "people dancing on stage, group photo outside…", "type": "search"}
        ),
    )
    like = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("q") and not cleaned.get("like"):
            raise forms.ValidationError("Describe the photo you are looking for.")
        return cleaned
