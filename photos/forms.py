import datetime as dt

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from photos.filters import SearchFilters
from photos.models import Album, Event, Photo, manages_all_events
from photos.units import megabytes


class HtmlDateInput(forms.DateInput):
    """``<input type="date">``, whose value must be ISO 8601 (2026-11-20) in every
    language: the browser shows it in the reader's own format. With the language's
    format (20/11/2026, British and French alike) browsers show the field empty, and
    saving the form as shown erased the dates. Django accepts ISO input in every
    language (it adds the ISO formats to DATE_INPUT_FORMATS)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


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
            "starts_on": HtmlDateInput(),
            "ends_on": HtmlDateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The event cannot end before it starts."))
        return cleaned


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ["title"]
        error_messages = {"title": {"required": _("Give the new album a title.")}}

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
            raise forms.ValidationError(_("This event already has an album with that title."))
        return title


class UploadForm(forms.Form):
    """The request: some files, not too many. What each file holds (a photo, a zip of
    photos, within the size and pixel limits) is checked by photos.services.add_file,
    the same for the site and for ``index_photos``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"] = forms.Field(required=False)

    def clean(self):
        files = self.files.getlist("files") if self.files else []
        if not files:
            raise forms.ValidationError(_("No file was sent."))
        limit = settings.PHOTOS_MAX_FILES_PER_REQUEST
        if len(files) > limit:
            raise forms.ValidationError(
                ngettext(
                    "At most %(limit)s file per request.",
                    "At most %(limit)s files per request.",
                    limit,
                )
                % {"limit": limit}
            )
        return {"files": files}

    def error_text(self) -> str:
        return " ".join(self.non_field_errors())


# --- the metadata filters of every search (photos/filters.py) -----------------------


class SearchFiltersForm(forms.Form):
    """Album and date range: narrow the same search query."""

    album = forms.ModelChoiceField(
        queryset=Album.objects.none(), required=False, label=_("Album"), empty_label=_("All albums")
    )
    taken_from = forms.DateField(required=False, label=_("From"), widget=HtmlDateInput())
    taken_to = forms.DateField(required=False, label=_("To"), widget=HtmlDateInput())

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        # Only albums with photos: an empty one (the "Photos" album every new event
        # starts with) can only narrow a search to nothing.
        albums = Album.objects.filter(event__in=events).filter(
            Exists(Photo.objects.filter(album=OuterRef("pk")))
        )
        self.fields["album"].queryset = albums.select_related("event")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("taken_from"), cleaned.get("taken_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
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


class EventsSearchForm(SearchFiltersForm):
    """The filters across several of the user's events; none ticked means all of them."""

    events = forms.ModelMultipleChoiceField(
        queryset=Event.objects.none(),
        required=False,
        label=_("Events"),
        help_text=_("None selected: all your events."),
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


# --- a picture read in memory (photos.memory_uploads): a selfie, or a photo of someone --


class SelfieUploadForm(forms.Form):
    """The ``selfie`` file of the attendee search, a registration and "Find a person"."""

    selfie = forms.FileField(
        label=_("Your selfie"),
        error_messages={
            "required": _("Choose a selfie, or take one with the camera."),
            "empty": _("The file is empty."),
        },
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
