"""The timeline of photos: bars per moment, each leading to its first photo."""

import datetime as dt

from django.utils import timezone

from photos.timeline import timeline_of


def at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime(2026, 6, day, hour, minute))


def test_a_day_of_photos_gets_bars_that_count_them_and_lead_to_the_first():
    photos = [
        (1, at(20, 9, 5)),
        (2, at(20, 9, 40)),
        (3, at(20, 9, 10)),  # earlier than 2, listed later: still the bar's first
        (4, at(20, 14, 0)),
        (5, at(20, 18, 55)),
        (6, None),
    ]
    timeline = timeline_of(photos, link=lambda pk: f"#photo-{pk}")
    assert timeline.step == dt.timedelta(minutes=30)
    assert sum(bar.count for bar in timeline.bars) == 5
    assert timeline.undated == 1
    first = timeline.bars[0]
    assert (first.label, first.count, first.href, first.height) == ("09:00", 2, "#photo-1", 100)
    assert "Saturday 20 June 2026, 09:00–09:30: 2 photos" == first.description
    gaps = [bar for bar in timeline.bars if bar.count == 0]
    assert gaps and all(bar.href == "" and bar.height == 0 for bar in gaps)
    assert timeline.bars[-1].href == "#photo-5"
    assert len(timeline.bars) <= 24


def test_a_weekend_gets_parts_of_days_labelled_with_the_day():
    photos = [(1, at(19, 20)), (2, at(20, 11)), (3, at(21, 16))]
    timeline = timeline_of(photos, link=str)
    assert dt.timedelta(hours=2) <= timeline.step < dt.timedelta(days=1)
    labels = [bar.label for bar in timeline.bars if bar.show_label]
    assert labels[0] == "Fri 20:00" and any(label.startswith("Sun") for label in labels)


def test_nothing_to_choose_between_gives_no_timeline():
    assert timeline_of([(1, None), (2, None)], link=str) is None
    assert timeline_of([(1, at(20, 9, 1)), (2, at(20, 9, 2))], link=str) is None


def test_the_album_page_timeline_leads_to_the_grid_page_of_each_moment(
    owner_client, album, monkeypatch
):
    from photos.models import Photo
    from photos.views import albums
    from tests.factories import PhotoFactory

    monkeypatch.setattr(albums, "GALLERY_PAGE_SIZE", 2)
    made = [PhotoFactory(album=album) for _ in range(3)]
    for photo, hour in zip(made, (9, 10, 15), strict=True):
        Photo.objects.filter(pk=photo.pk).update(taken_at=at(20, hour))
    html = owner_client.get(album.get_absolute_url()).content.decode()
    assert 'id="timeline"' in html
    assert f'href="?page=2#photo-{made[2].pk}"' in html
    assert f'href="?page=1#photo-{made[0].pk}"' in html
