"""No deleted photo leaves files behind: admin deletes, the outbox, workers, the sweep."""

import io
import logging
import os
import time

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.urls import reverse
from django_q.models import Schedule

import faces.processing
from faces.models import Face
from faces.processing import process_photo
from photos import storage_cleanup, tasks
from photos.models import Album, Event, FileDeletion, Photo
from photos.services import add_photo, delete_photos
from tests.factories import AlbumFactory


class UnreachableStorage(FileSystemStorage):
    """Local files whose deletes fail, like a bucket that is down or refuses deletes."""

    def delete(self, name):
        raise OSError(5, "Input/output error")


def add_processed(album, images, name="obama.jpg") -> Photo:
    with images[name].open("rb") as fp:
        added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
    return process_photo(photo_id=added.photo.pk)


def stored_files(media_root) -> list:
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def names_of(photo: Photo) -> list[str]:
    return [photo.file.name, photo.thumbnail.name, photo.preview.name]


def use_storage(settings, media_root, backend: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": backend, "OPTIONS": {"location": media_root}},
    }


@pytest.fixture
def photos(album, images):
    return [add_processed(album, images, name) for name in ("obama.jpg", "biden.jpg")]


# --- the admin ---------------------------------------------------------------------


def test_admin_delete_selected_photos_leaves_no_files(
    client, staff, photos, media_root, django_capture_on_commit_callbacks
):
    assert len(stored_files(media_root)) == 6
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:photos_photo_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [p.pk for p in photos],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert not Photo.objects.exists() and not Face.objects.exists()
    assert stored_files(media_root) == []
    assert not FileDeletion.objects.exists()


def test_admin_delete_view_of_an_event_leaves_no_files(
    client, staff, event, photos, images, media_root, django_capture_on_commit_callbacks
):
    add_processed(AlbumFactory(event=event), images, "obama2.jpg")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:photos_event_delete", args=[event.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Event.objects.exists() and not Album.objects.exists()
    assert not Photo.objects.exists() and not Face.objects.exists()
    assert stored_files(media_root) == []


def test_admin_delete_view_of_an_album_deletes_only_its_files(
    client, staff, event, album, photos, images, media_root, django_capture_on_commit_callbacks
):
    kept = add_processed(AlbumFactory(event=event), images, "obama2.jpg")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:photos_album_delete", args=[album.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert list(Photo.objects.all()) == [kept]
    assert stored_files(media_root) == sorted(names_of(kept))


def test_admin_delete_selected_events_leaves_no_files(
    client, staff, event, photos, media_root, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:photos_event_changelist"),
            {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
        )
    assert not Event.objects.exists()
    assert stored_files(media_root) == []


def test_a_user_who_owns_events_cannot_be_deleted_in_the_admin(client, staff, owner, photos):
    client.force_login(staff)
    response = client.post(reverse("admin:auth_user_delete", args=[owner.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete" in response.content.decode()
    assert Photo.objects.count() == 2 and owner.events.exists()


# --- the outbox ------------------------------------------------------------------------


def test_failed_storage_deletes_stay_queued_until_the_retry_task_succeeds(
    settings, photos, media_root, django_capture_on_commit_callbacks
):
    names = [name for photo in photos for name in names_of(photo)]
    use_storage(settings, media_root, "tests.photos.test_storage_cleanup.UnreachableStorage")
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_photos(photos=Photo.objects.all()) == 2
    assert not Photo.objects.exists()
    queued = FileDeletion.objects.order_by("name")
    assert [row.name for row in queued] == sorted(names)
    assert all(row.attempts == 1 and "Input/output error" in row.last_error for row in queued)
    assert stored_files(media_root) == sorted(names)

    assert tasks.delete_queued_files() == 0  # still failing: kept, with a second attempt
    assert {row.attempts for row in FileDeletion.objects.all()} == {2}

    use_storage(settings, media_root, "django.core.files.storage.FileSystemStorage")
    assert tasks.delete_queued_files() == 6
    assert not FileDeletion.objects.exists()
    assert stored_files(media_root) == []


def test_a_big_delete_hands_the_rest_of_the_files_to_a_task(
    monkeypatch, photos, media_root, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(storage_cleanup, "IMMEDIATE_DELETIONS", 2)
    with django_capture_on_commit_callbacks(execute=True):
        delete_photos(photos=photos)  # the task runs at once: the test cluster is sync
    assert stored_files(media_root) == []
    assert not FileDeletion.objects.exists()


def test_a_queued_name_that_a_photo_still_uses_is_never_deleted(
    photos, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        storage_cleanup.queue_file_deletion(names=[photos[0].file.name])
    assert (media_root / photos[0].file.name).exists()
    assert not FileDeletion.objects.exists()


def test_processing_again_replaces_the_renditions_and_deletes_the_old_ones(
    photos, media_root, django_capture_on_commit_callbacks
):
    photo = photos[0]
    Photo.objects.filter(pk=photo.pk).update(processing_status=Photo.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        again = process_photo(photo_id=photo.pk)
    assert again.thumbnail.name != photo.thumbnail.name
    assert len(stored_files(media_root)) == 6
    assert not (media_root / photo.thumbnail.name).exists()


# --- a photo deleted while a worker processes it ------------------------------------------


@pytest.mark.parametrize("step", ["load_photo", "detect_faces", "embed_vectors"])
def test_a_photo_deleted_while_it_is_processed_leaves_no_files_and_no_faces(
    step, monkeypatch, album, images, media_root, caplog, django_capture_on_commit_callbacks
):
    with images["obama.jpg"].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="o.jpg", queue=False).photo
    real_step = getattr(faces.processing, step)

    def step_then_delete(*args, **kwargs):
        result = real_step(*args, **kwargs)
        delete_photos(photos=Photo.objects.filter(pk=photo.pk))  # by the organiser, meanwhile
        return result

    monkeypatch.setattr(faces.processing, step, step_then_delete)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        assert process_photo(photo_id=photo.pk) is None
    assert not Photo.objects.exists() and not Face.objects.exists()
    assert stored_files(media_root) == []
    assert not FileDeletion.objects.exists()
    assert "deleted while it was processed" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_the_task_for_a_photo_deleted_before_it_ran_ends_quietly(album, images, caplog):
    from faces import tasks as face_tasks

    with images["obama.jpg"].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="o.jpg", queue=False).photo
    Photo.objects.filter(pk=photo.pk).delete()
    assert face_tasks.process_photo(photo.pk) is False  # not taken: nothing to process
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


# --- the sweep for orphans ------------------------------------------------------------------


def write(media_root, name: str, *, age_days: float = 0, size: int = 10) -> str:
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    then = time.time() - age_days * 86400
    os.utime(path, (then, then))
    return name


@pytest.fixture
def orphans(event, photos, media_root):
    """Two old orphans (one of a deleted event), a fresh one, and the photos' files."""
    return {
        "old": write(media_root, f"events/{event.pk}/originals/stray.jpg", age_days=2, size=100),
        "gone_event": write(media_root, "events/999999/renditions/9-thumbnail.jpg", age_days=3),
        "fresh": write(media_root, f"events/{event.pk}/originals/in-flight.jpg"),
    }


def test_the_sweep_deletes_old_orphans_and_keeps_fresh_and_referenced_files(
    orphans, photos, media_root
):
    referenced = sorted(name for photo in photos for name in names_of(photo))
    report = storage_cleanup.sweep_storage()
    assert (report.files_deleted, report.bytes_deleted) == (2, 110)
    assert (report.files_too_recent, report.deleted_event_folders) == (1, 1)
    assert report.is_complete is True and report.errors == 0
    assert stored_files(media_root) == sorted([*referenced, orphans["fresh"]])
    assert not (media_root / "events/999999").exists()


def test_the_sweep_dry_run_deletes_nothing(orphans, photos, media_root):
    before = stored_files(media_root)
    out = io.StringIO()
    call_command("sweep_storage", "--dry-run", stdout=out)
    assert "would be deleted: 2" in out.getvalue()
    assert stored_files(media_root) == before
    assert (media_root / "events/999999").is_dir()


def test_the_sweep_command_reports_and_stops_at_its_limit(orphans, media_root):
    out = io.StringIO()
    call_command("sweep_storage", "--max-deletions", "1", stdout=out)
    assert "Orphan files deleted: 1" in out.getvalue()
    assert "run it again" in out.getvalue()
    call_command("sweep_storage", stdout=out)
    assert not (media_root / orphans["old"]).exists()
    assert not (media_root / orphans["gone_event"]).exists()


def test_a_storage_without_an_events_folder_is_swept_without_error(db):
    report = storage_cleanup.sweep_storage()
    assert (report.files_deleted, report.errors) == (0, 0)


def test_file_deletion_and_the_sweep_are_scheduled(db):
    call_command("setup_schedules", stdout=io.StringIO())
    retry = Schedule.objects.get(func="photos.tasks.delete_queued_files")
    assert (retry.schedule_type, retry.minutes) == (Schedule.MINUTES, 10)
    sweep = Schedule.objects.get(func="photos.tasks.sweep_storage")
    assert sweep.schedule_type == Schedule.DAILY
