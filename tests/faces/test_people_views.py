"""The People pages through the test client: who may reach them, and every action."""

import zipfile
from io import BytesIO

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from faces import organiser_decisions, people_upkeep
from faces.models import FacePerson, Person, faces_changed
from tests.factories import FaceFactory, PhotoFactory


def unit(vector):
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def small_jpeg(seed: int) -> ContentFile:
    data = BytesIO()
    Image.new("RGB", (100, 100), (40 * seed, 90, 140)).save(data, "JPEG")
    return ContentFile(data.getvalue(), name=f"p{seed}.jpg")


@pytest.fixture
def event_people(album, media_root):
    """Alice in three photos, Bob in one, grouped; photos with real files."""
    rng = np.random.default_rng(4)
    alice, bob = unit(rng.normal(size=128)), unit(rng.normal(size=128))
    faces = {"alice": [], "bob": []}
    for name, centre, count in (("alice", alice, 3), ("bob", bob, 1)):
        for _ in range(count):
            vector = unit(centre + rng.normal(scale=0.01, size=128))
            photo = PhotoFactory(album=album, file=small_jpeg(len(faces[name])))
            faces[name].append(FaceFactory(photo=photo, embedding=vector))
    faces_changed([album.event_id])
    people_upkeep.group_event_faces(event_id=album.event_id)
    return {
        "alice": FacePerson.objects.get(face=faces["alice"][0]).person,
        "bob": FacePerson.objects.get(face=faces["bob"][0]).person,
        "faces": faces,
        "event": album.event,
    }


def test_the_people_page_lists_people_most_photographed_first(owner_client, event_people):
    response = owner_client.get(reverse("faces:people", args=[event_people["event"].pk]))
    assert response.status_code == 200
    assert [p.pk for p in response.context["people"]] == [
        event_people["alice"].pk,
        event_people["bob"].pk,
    ]
    assert b"3 photos" in response.content


def test_another_organiser_reaches_none_of_it(client, other_user, event_people):
    client.force_login(other_user)
    alice = event_people["alice"]
    face = event_people["faces"]["alice"][0]
    assert client.get(reverse("faces:people", args=[alice.event_id])).status_code == 404
    assert client.get(reverse("faces:person", args=[alice.pk])).status_code == 404
    assert client.get(reverse("faces:person_download", args=[alice.pk])).status_code == 404
    for action in ("rename", "hide", "share"):
        url = reverse("faces:person_action", args=[alice.pk, action])
        assert client.post(url, {"name": "x"}).status_code == 404
    assert client.post(reverse("faces:face_split", args=[face.pk])).status_code == 404
    merge = reverse("faces:people_merge", args=[alice.event_id])
    assert client.post(merge, {"people": [alice.pk, event_people["bob"].pk]}).status_code == 404
    alice.refresh_from_db()
    assert alice.name == "" and not alice.is_hidden and not alice.share_token


def test_anonymous_visitors_are_sent_to_log_in(client, event_people):
    response = client.get(reverse("faces:person", args=[event_people["alice"].pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_rename_split_merge_through_the_pages(owner_client, event_people):
    alice, bob = event_people["alice"], event_people["bob"]
    url = reverse("faces:person_action", args=[alice.pk, "rename"])
    assert owner_client.post(url, {"name": "Alice"}).status_code == 302
    assert Person.objects.get(pk=alice.pk).name == "Alice"
    face = event_people["faces"]["alice"][2]
    response = owner_client.post(reverse("faces:face_split", args=[face.pk]), follow=True)
    assert b"Taken out" in response.content
    assert FacePerson.objects.get(face=face).person_id not in (alice.pk, bob.pk)
    merge = reverse("faces:people_merge", args=[alice.event_id])
    response = owner_client.post(merge, {"people": [bob.pk]}, follow=True)
    assert b"Tick at least two people" in response.content
    response = owner_client.post(merge, {"people": [alice.pk, bob.pk]}, follow=True)
    assert b"Merged 2 people into Alice" in response.content
    assert not Person.objects.filter(pk=bob.pk).exists()
    assert (
        owner_client.post(reverse("faces:person_action", args=[alice.pk, "x"])).status_code == 404
    )


def test_download_and_share_give_exactly_the_persons_photos(client, owner_client, event_people):
    alice = event_people["alice"]
    expected = {f.photo.original_filename for f in event_people["faces"]["alice"]}
    response = owner_client.get(reverse("faces:person_download", args=[alice.pk]))
    names = zipfile.ZipFile(BytesIO(b"".join(response.streaming_content))).namelist()
    assert len(names) == 3
    owner_client.post(reverse("faces:person_action", args=[alice.pk, "share"]))
    token = Person.objects.get(pk=alice.pk).share_token
    page = client.get(reverse("attendees:shared", args=[token]))
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert {p.original_filename for p in page.context["photos"]} == expected
    bob_photo = event_people["faces"]["bob"][0].photo_id
    url = reverse("attendees:shared_photo", args=[token, bob_photo, "thumbnail"])
    assert client.get(url).status_code == 404  # not one of hers
    owner_client.post(reverse("faces:person_action", args=[alice.pk, "unshare"]))
    stopped = client.get(reverse("attendees:shared", args=[token]))
    assert stopped.status_code == 410
    assert "The organiser stopped this link" in stopped.content.decode()
    assert client.get(reverse("attendees:shared_download", args=[token])).status_code == 404
    assert client.get(reverse("attendees:shared", args=["nonsense"])).status_code == 404


def test_hiding_and_showing_a_person_through_the_page(owner_client, owner, event_people):
    bob = event_people["bob"]
    url = reverse("faces:person_action", args=[bob.pk, "hide"])
    response = owner_client.post(url, follow=True)
    assert b"is hidden in every photo" in response.content
    bob.refresh_from_db()
    assert bob.is_hidden and bob.hidden_by == owner
    listing = owner_client.get(reverse("faces:people", args=[bob.event_id]))
    assert bob not in list(listing.context["people"])
    assert list(listing.context["hidden_people"]) == [bob]
    response = owner_client.post(
        reverse("faces:person_action", args=[bob.pk, "share"]), follow=True
    )
    assert b"cannot be shared" in response.content
    owner_client.post(reverse("faces:person_action", args=[bob.pk, "show"]))
    bob.refresh_from_db()
    assert not bob.is_hidden and bob.seed  # the seed brings his faces back to him


def test_a_person_shown_again_gets_their_faces_back(album, owner, event_people):
    """Showing a person again processes their photos again (new face rows): the seed
    puts those faces back into the same person, with its name."""
    bob = event_people["bob"]
    organiser_decisions.rename(person=bob, name="Bob")
    organiser_decisions.hide(person=bob, user=owner)
    face = event_people["faces"]["bob"][0]
    organiser_decisions.show(person=bob, user=owner)
    # What processing the photo again does: a new face row with its vector.
    seed = Person.objects.get(pk=bob.pk).seed["dlib-resnet-v1"]
    face.photo.faces.all().delete()
    FaceFactory(photo=face.photo, embedding=unit(np.asarray(seed["sum"])))
    faces_changed([album.event_id])
    people_upkeep.group_event_faces(event_id=album.event_id)
    assert FacePerson.objects.get(face__photo=face.photo).person_id == bob.pk
    assert Person.objects.get(pk=bob.pk).seed == {}  # used: no longer needed


def test_staff_find_people_by_name_and_see_who_hid_whom(client, staff, owner, event_people):
    organiser_decisions.rename(person=event_people["alice"], name="Alice Liddell")
    organiser_decisions.hide(person=event_people["bob"], user=owner)
    client.force_login(staff)
    listing = client.get(reverse("admin:faces_person_changelist"), {"q": "liddell"})
    assert listing.status_code == 200
    assert [p.pk for p in listing.context["cl"].result_list] == [event_people["alice"].pk]
    hidden = client.get(reverse("admin:faces_person_changelist"), {"is_hidden__exact": "1"})
    assert b"owner" in hidden.content  # hidden by
    page = client.get(reverse("admin:faces_person_change", args=[event_people["bob"].pk]))
    assert page.status_code == 200
    assert b"Hidden" in page.content and b"face " in page.content


def test_the_photo_page_names_each_faces_person_and_can_split_it_off(owner_client, event_people):
    alice = event_people["alice"]
    organiser_decisions.rename(person=alice, name="Alice")
    face = event_people["faces"]["alice"][1]
    page = owner_client.get(reverse("photos:photo_detail", args=[face.photo_id]))
    content = page.content.decode()
    assert f'href="{reverse("faces:person", args=[alice.pk])}"' in content and "Alice" in content
    split = reverse("faces:face_split", args=[face.pk]) + "?from=photo"
    assert split in content
    response = owner_client.post(split)
    assert response["Location"] == reverse("photos:photo_detail", args=[face.photo_id])
    assert FacePerson.objects.get(face=face).person_id != alice.pk
