import io
import shutil

import pytest
from django.conf import settings as django_settings
from PIL import Image

from tests.factories import AlbumFactory, EventFactory, UserFactory
from tests.s3 import s3_server, s3_storage  # noqa: F401 (fixtures: S3 in the test process)
from tests.sample_images import sample_images


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test gets its own empty media folder."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": "/nowhere/"},
        },
    }
    return root


@pytest.fixture(scope="session")
def images():
    return sample_images()


@pytest.fixture(scope="session", autouse=True)
def translations():
    """The .mo files Django reads, compiled from the .po files (no GNU gettext)."""
    from core.management.commands.compile_translations import compile_all

    return compile_all()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request the test client made in
    French leaves French active in the test's thread (LocaleMiddleware activates it and
    nothing resets it outside a real server)."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def other_user(db):
    return UserFactory(username="stranger")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def event(owner):
    return EventFactory(owner=owner)


@pytest.fixture
def album(event):
    return AlbumFactory(event=event)


def jpeg_bytes(image: Image.Image, **save_options) -> bytes:
    data = io.BytesIO()
    image.convert("RGB").save(data, "JPEG", quality=90, **save_options)
    return data.getvalue()


@pytest.fixture
def copy_image(images, tmp_path):
    """Copy a sample image into the test's folder under a new name."""

    def copy(name: str, target: str):
        path = tmp_path / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(images[name], path)
        return path

    return copy
