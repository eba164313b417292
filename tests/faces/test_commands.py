"""The demo's two scripts as commands, and the evaluation command, end to end."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from faces.calibration import calibration_for
from faces.models import EventGrouping, Face, faces_changed
from photos.models import Event, Photo
from tests import bad_files
from tests.sample_images import no_face_image


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def photo_folder(copy_image, tmp_path):
    copy_image("obama.jpg", "party/obama.jpg")
    copy_image("group6.jpg", "party/day2/group.jpg")
    copy_image("obama.jpg", "party/zz-copy-of-obama.jpg")
    (tmp_path / "party" / "notes.jpg").write_bytes(bad_files.html_renamed_jpg())
    return tmp_path / "party"


def test_index_photos_sync_indexes_a_folder_recursively(photo_folder, owner):
    output = run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    event = Event.objects.get(slug="gala")
    assert event.owner == owner
    names = set(Photo.objects.filter(event=event).values_list("original_filename", flat=True))
    assert names == {"obama.jpg", "day2/group.jpg"}
    assert Face.objects.filter(event=event).count() == 7
    assert "2 photos added, 7 faces found, 1 skipped as duplicates, 1 failed" in output
    assert "notes.jpg: This file is not an image" in output
    assert Photo.objects.filter(processing_status=Photo.Status.DONE).count() == 2


def test_index_photos_sync_groups_the_events_faces_into_people(photo_folder, owner):
    output = run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    event = Event.objects.get(slug="gala")
    grouping = EventGrouping.objects.get(event=event)
    assert grouping.version > 0 and grouping.grouped_version == grouping.version
    matchable = Face.objects.filter(event=event, is_matchable=True)
    people = set(matchable.values_list("grouping__person", flat=True))
    assert None not in people and len(people) >= 2  # Obama and the group's people
    assert f"Grouped the event's faces into {len(people)} people." in output

    again = run("index_photos", "--event", "gala", "--sync", str(photo_folder))
    assert f"already grouped into {len(people)} people" in again


def test_index_photos_without_sync_queues_one_task_per_photo(
    photo_folder, owner, django_capture_on_commit_callbacks, settings
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    with django_capture_on_commit_callbacks() as callbacks:
        output = run("index_photos", "--event", "gala", "--owner", "owner", str(photo_folder))
    assert "queued for face detection" in output
    assert len(callbacks) == 2
    assert set(Photo.objects.values_list("processing_status", flat=True)) == {"pending"}


def test_index_photos_needs_an_owner_for_a_new_event(photo_folder, owner, other_user):
    with pytest.raises(CommandError, match="--owner"):
        run("index_photos", "--event", "new", str(photo_folder))


def test_find_photos_lists_the_selfies_person_best_first(photo_folder, owner, images, settings):
    run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    output = run("find_photos", "--event", "gala", "--json", str(images["obama2.jpg"]))
    rows = json.loads(output)["photos"]
    assert [row["original_filename"] for row in rows] == ["obama.jpg"]
    assert set(rows[0]) >= {"photo_id", "original_filename", "album", "taken_at", "distance"}
    assert rows[0]["distance"] < calibration_for("dlib-resnet-v1").sure


def find_with_stderr(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("find_photos", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_find_photos_says_nothing_about_grouping_right_after_a_sync_index(
    photo_folder, owner, images
):
    run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    out, err = find_with_stderr("--event", "gala", "--json", str(images["obama2.jpg"]))
    assert json.loads(out)["grouping_out_of_date"] is False
    assert "grouped" not in err


def test_find_photos_warns_when_the_grouping_is_out_of_date(photo_folder, owner, images):
    run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    # Photos indexed by the workers: their faces wait for the minute grouping job.
    faces_changed(Event.objects.filter(slug="gala").values_list("pk", flat=True))

    out, err = find_with_stderr("--event", "gala", "--json", str(images["obama2.jpg"]))
    assert json.loads(out)["grouping_out_of_date"] is True
    assert "faces changed since they were last grouped into people" in err
    assert "index_photos --sync" in err

    out, err = find_with_stderr("--event", "gala", str(images["obama2.jpg"]))
    assert "obama.jpg" in out
    assert "last grouped into people" in err


def test_find_photos_filters_by_date(photo_folder, owner, images):
    run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    Photo.objects.update(taken_at="2024-06-01T12:00:00Z")
    found = run(
        "find_photos",
        "--event",
        "gala",
        "--from",
        "2024-06-01",
        "--json",
        str(images["obama2.jpg"]),
    )
    assert len(json.loads(found)["photos"]) == 1
    later = run(
        "find_photos",
        "--event",
        "gala",
        "--from",
        "2024-06-02",
        "--json",
        str(images["obama2.jpg"]),
    )
    assert json.loads(later)["photos"] == []


def test_find_photos_refuses_a_selfie_without_a_face(photo_folder, owner, tmp_path):
    run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    no_face_image().save(tmp_path / "wall.jpg")
    with pytest.raises(CommandError, match="No face was found"):
        run("find_photos", "--event", "gala", str(tmp_path / "wall.jpg"))
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    with pytest.raises(CommandError, match="not an image"):
        run("find_photos", "--event", "gala", str(tmp_path / "broken.jpg"))
    with pytest.raises(CommandError, match="Cannot read"):
        run("find_photos", "--event", "gala", str(tmp_path / "missing.jpg"))


def test_find_photos_uses_the_largest_of_several_faces(photo_folder, owner, images):
    run("index_photos", "--event", "gala", "--owner", "owner", "--sync", str(photo_folder))
    err = io.StringIO()
    call_command(
        "find_photos",
        "--event",
        "gala",
        str(images["group6.jpg"]),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert "6 faces in the selfie: using the largest" in err.getvalue()
