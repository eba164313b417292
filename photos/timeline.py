"""The timeline of an event's photos: how many were taken in each hour (or part of the
day, or day), as a small bar chart whose bars jump to the first photo of their moment.

Pure computation over (photo id, capture time) pairs, in the site's time zone; the
pages give it the photos in the order they show them and say where each one is.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext, ngettext

MAX_BARS = 24  # a phone's width of bars, each still wide enough to tap
LABELS_SHOWN = 6  # times written under the bars, evenly spaced
# Bar widths a person reads at a glance: quarter hours up to whole days.
STEPS = [
    dt.timedelta(minutes=15),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=1),
    dt.timedelta(hours=2),
    dt.timedelta(hours=3),
    dt.timedelta(hours=6),  # night, morning, afternoon, evening
    dt.timedelta(hours=12),
    dt.timedelta(days=1),
]


@dataclass(frozen=True)
class Bar:
    start: dt.datetime  # local time
    end: dt.datetime
    count: int
    first_photo_id: int | None  # None: no photo in this moment (a gap)
    label: str  # "15:00", or "Sat 20 15:00" when the event spans several days
    description: str  # for screen readers: "20 June 2026, 15:00–16:00: 42 photos"
    height: int  # percent of the tallest bar
    href: str = ""
    show_label: bool = True  # a label every few bars: they would overlap on a phone


@dataclass(frozen=True)
class Timeline:
    bars: list[Bar]
    undated: int  # photos without a capture date (not on the timeline)
    step: dt.timedelta


def timeline_of(
    photos: Sequence[tuple[int, dt.datetime | None]],
    *,
    link: Callable[[int], str],
) -> Timeline | None:
    """The timeline of ``photos`` (id, capture time), each bar linking (``link(id)``)
    to its first photo; None when there is nothing to choose between (no dated photo,
    or every one in the same bar)."""
    dated = sorted((timezone.localtime(moment), pk) for pk, moment in photos if moment)
    if not dated:
        return None
    first, last = dated[0][0], dated[-1][0]
    step = _step_for(last - first)
    origin = _floor(first, step)
    slots = int((last - origin) / step) + 1
    if slots < 2:
        return None
    counts = [0] * slots
    firsts: list[int | None] = [None] * slots
    for moment, pk in dated:
        slot = int((moment - origin) / step)
        counts[slot] += 1
        if firsts[slot] is None:
            firsts[slot] = pk
    tallest = max(counts)
    label_every = -(-slots // LABELS_SHOWN)
    several_days = first.date() != last.date()
    bars = []
    for slot, count in enumerate(counts):
        start = origin + slot * step
        end = start + step
        first_id = firsts[slot]
        bars.append(
            Bar(
                start=start,
                end=end,
                count=count,
                first_photo_id=first_id,
                label=_label(start, step, several_days),
                description=_description(start, end, step, count),
                height=max(4, round(100 * count / tallest)) if count else 0,
                href=link(first_id) if first_id is not None else "",
                show_label=slot % label_every == 0,
            )
        )
    undated = sum(1 for _, moment in photos if not moment)
    return Timeline(bars=bars, undated=undated, step=step)


def _step_for(span: dt.timedelta) -> dt.timedelta:
    for step in STEPS:
        if span / step < MAX_BARS:
            return step
    return STEPS[-1] * (int(span / STEPS[-1] / MAX_BARS) + 1)  # weeks-long: whole days


def _floor(moment: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """``moment`` rounded down to its step, counted from local midnight."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if step >= dt.timedelta(days=1):
        return midnight
    return midnight + ((moment - midnight) // step) * step


def _label(start: dt.datetime, step: dt.timedelta, several_days: bool) -> str:
    if step >= dt.timedelta(days=1):
        return date_format(start, "D j")
    if several_days:
        return date_format(start, "D H:i")
    return time_format(start, "H:i")


def _description(start: dt.datetime, end: dt.datetime, step: dt.timedelta, count: int) -> str:
    photos = ngettext("%(count)s photo", "%(count)s photos", count) % {"count": count}
    if step >= dt.timedelta(days=1):
        moment = date_format(start, "l j F Y")
    else:
        moment = gettext("%(day)s, %(start)s–%(end)s") % {
            "day": date_format(start, "l j F Y"),
            "start": time_format(start, "H:i"),
            "end": time_format(end, "H:i"),
        }
    return f"{moment}: {photos}"
