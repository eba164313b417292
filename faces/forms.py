import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from faces.search import SearchFilters
from photos.models import Album, Event, manages_all_events


class SearchFiltersForm(forms.Form):
    """Album and date range: narrow the same search query."""

    album = forms.ModelChoiceField(
        queryset=Album.objects.none(), required=False, empty_label="All albums"
    )
    taken_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    taken_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["album"].queryset = Album.objects.filter(event__in=events).select_related(
            "event"
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("taken_from"), cleaned.get("taken_to")
        if start and end and end < start:
            raise forms.ValidationError("The end date is before the start date.")
        return cleaned

    def filters(self, event_ids: list[int] | None) -> SearchFilters:
        data = self.cleaned_data
        album = data.get("album")
        return SearchFilters(
            event_ids=event_ids,
            album_id=album.pk if album else None,
            taken_from=_start_of(data.get("taken_from")),
            taken_to=_end_of(data.get("taken_to")),
        )


def _start_of(day: dt.date | None) -> dt.datetime | None:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None


def _end_of(day: dt.date | None) -> dt.datetime | None:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max)) if day else None


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


class EventsSearchForm(SearchFiltersForm):
    """The filters across several of the user's events; none ticked means all of them."""

    events = forms.ModelMultipleChoiceField(
        queryset=Event.objects.none(),
        required=False,
        help_text="None selected: all your events.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, events=events, **kwargs)
        self.fields["events"].queryset = events

    def event_ids(self, user) -> list[int] | None:
        """The events to search: the ticked ones, else all the user's (None: every event,
        for those who manage all events). An unbound or invalid form means all of them."""
        chosen = self.cleaned_data.get("events") if self.is_valid() else None
        if chosen:
            return [event.pk for event in chosen]
        if manages_all_events(user):
            return None
        return list(self.fields["events"].queryset.values_list("pk", flat=True))


class OrganiserSearchForm(EventsSearchForm, SelfieForm):
    consent = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["selfie"].label = "Photo of the person"
