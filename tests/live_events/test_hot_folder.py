"""The hot folder (``index_photos --watch``): files are added once complete, a file
still being written waits, temporary files never become photos."""

import threading
import time
from io import StringIO

from django.core.management import call_command

from photos.models import Photo
from tests.conftest import jpeg_bytes
from tests.live_events import wait_for
from tests.sample_images import no_face_image


def photo_bytes(seed: int) -> bytes:
    return jpeg_bytes(no_face_image(seed=seed))


def test_a_watched_folder_adds_files_as_they_are_complete(transactional_db, event, tmp_path):
    folder = tmp_path / "tethered"
    folder.mkdir()
    (folder / "already-there.jpg").write_bytes(photo_bytes(1))
    stop = threading.Event()
    out = StringIO()
    from faces.management.commands.index_photos import Command

    command = Command(stdout=out)
    options = {"watch": str(folder), "event": event.slug, "owner": None, "album": "Live",
               "sync": False}  # fmt: skip
    watcher = threading.Thread(target=command.watch, args=(options, stop))
    watcher.start()
    try:
        assert wait_for(
            lambda: Photo.objects.filter(original_filename="already-there.jpg").exists()
        )

        # A file still being written: half now, the rest a moment later, kept open.
        data = photo_bytes(2)
        with (folder / "IMG_0002.JPG").open("wb") as writing:
            writing.write(data[: len(data) // 2])
            writing.flush()
            time.sleep(1.0)
            assert not Photo.objects.filter(original_filename="IMG_0002.JPG").exists()
            writing.write(data[len(data) // 2 :])
        assert wait_for(lambda: Photo.objects.filter(original_filename="IMG_0002.JPG").exists())

        # Tethering software writes a temporary file, then renames it.
        temporary = folder / "IMG_0003.JPG.tmp"
        temporary.write_bytes(photo_bytes(3))
        time.sleep(0.5)
        temporary.rename(folder / "IMG_0003.JPG")
        assert wait_for(lambda: Photo.objects.filter(original_filename="IMG_0003.JPG").exists())

        (folder / "notes.jpg").write_bytes(b"not a photo")  # refused, and the watch goes on
        (folder / "sub").mkdir()
        (folder / "sub" / "IMG_0004.JPG").write_bytes(photo_bytes(4))
        assert wait_for(lambda: Photo.objects.filter(original_filename="sub/IMG_0004.JPG").exists())
    finally:
        stop.set()
        watcher.join(10)
    names = set(Photo.objects.values_list("original_filename", flat=True))
    assert names == {"already-there.jpg", "IMG_0002.JPG", "IMG_0003.JPG", "sub/IMG_0004.JPG"}
    assert {photo.album.title for photo in Photo.objects.all()} == {"Live"}
    lines = out.getvalue()
    assert "refused: notes.jpg" in lines and "Stopped watching." in lines


def test_watching_a_missing_folder_says_so(event, tmp_path):
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such folder"):
        call_command("index_photos", "--event", event.slug, "--watch", str(tmp_path / "nope"))
