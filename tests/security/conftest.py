import pytest
from django.contrib.auth.models import Group

from faces.people_upkeep import group_event_faces
from faces.processing import process_photo
from faces.roles import MODERATORS
from photos.services import add_photo
from tests.factories import AlbumFactory, EventFactory, UserFactory
from tests.registrations.conftest import smtp  # noqa: F401 (a fixture: a real SMTP server)


@pytest.fixture
def world(db, images):
    """Two events of one organiser, a stranger, a superuser, a moderator, two photos."""
    owner = UserFactory(username="owner")
    UserFactory(username="stranger")
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    moderator = UserFactory(username="moderator", is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    event = EventFactory(owner=owner)
    other_event = EventFactory(owner=owner)
    album = AlbumFactory(event=event)
    photos = {}
    for name in ("obama.jpg", "biden.jpg"):
        with images[name].open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
        photos[name] = process_photo(photo_id=added.photo.pk)
    group_event_faces(event_id=event.pk)
    return {"event": event, "other_event": other_event, "album": album, "photos": photos}
