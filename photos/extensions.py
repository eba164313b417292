"""How the other apps show their parts on photos' pages, while photos knows none of
them (docs/architecture.md): the one hook from photos' pages to the rest.

Each app registers what it adds in its ``AppConfig.ready()``:

- :func:`add_part`: a template included on one of photos' pages, at a named place:
  ``"event_actions"`` (buttons in the event page's header), ``"event_top"`` (above its
  albums), ``"event"`` (cards of the event page), ``"photo_actions"`` (buttons in the
  photo page's header),
  ``"photo_overlay"`` (drawn over the photo) and ``"photo"`` (below it). The template
  gets ``object`` (the event or photo), ``request``, and what ``context(request,
  object)`` returns.
- :func:`add_count`: something counted in photos (faces found, say): shown in the album
  page's processing figures (updated live), next to each album on the event page, and
  on each processed photo in the grid and on its page.

photos renders whatever is registered: ``{% parts "event" event %}`` in templates,
:func:`counts_of` and :func:`note_photos` in views.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

PLACES = ("event_actions", "event_top", "event", "photo_actions", "photo_overlay", "photo")


@dataclass(frozen=True)
class Part:
    template: str
    context: Callable[..., dict] | None = None


@dataclass(frozen=True)
class Count:
    """``total(photos)``: how many in a queryset of photos; ``per_photo(ids)``: photo id
    -> how many (photos with none may be left out); ``describe(n)``: "3 faces"."""

    name: str
    label: str
    total: Callable[[QuerySet], int]
    per_photo: Callable[[list[int]], dict[int, int]]
    describe: Callable[[int], str]


_parts: dict[str, list[Part]] = {place: [] for place in PLACES}
_counts: dict[str, Count] = {}


def add_part(place: str, template: str, *, context: Callable[..., dict] | None = None) -> None:
    if place not in _parts:
        raise ValueError(f"No place {place!r} on photos' pages; one of {PLACES}")
    part = Part(template, context)
    if part not in _parts[place]:  # ready() may run twice (tests, reloads)
        _parts[place].append(part)


def add_count(count: Count) -> None:
    _counts[count.name] = count


def parts(place: str, request, obj) -> list[tuple[str, dict]]:
    """The templates registered at ``place``, each with its context."""
    found = []
    for part in _parts[place]:
        extra = part.context(request, obj) if part.context else {}
        found.append((part.template, {"object": obj, "request": request, **extra}))
    return found


def counts() -> list[Count]:
    return list(_counts.values())


def counts_of(photos: QuerySet) -> list[dict]:
    """Each registered count over ``photos`` (name, label, value, text)."""
    return [
        {"name": c.name, "label": c.label, "value": (n := c.total(photos)), "text": c.describe(n)}
        for c in _counts.values()
    ]


def note_photos(photos: Iterable) -> None:
    """``photo.notes``: the registered counts of each photo, as text ("3 faces"), for
    processed photos (others show their processing state)."""
    photos = list(photos)
    per_count = [(c, c.per_photo([p.pk for p in photos])) for c in _counts.values()]
    for photo in photos:
        photo.notes = [c.describe(values.get(photo.pk, 0)) for c, values in per_count]
