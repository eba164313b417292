"""Registered attendees: register, confirm by email, new photos emailed, delete."""

import datetime as dt
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from faces.models import Face, Person
from faces.people_upkeep import group_changed_events
from faces.processing import process_photo
from photos.models import Photo
from photos.services import add_photo, get_or_create_album
from registrations import links, notify, services
from registrations import results as registered_results
from registrations.models import Answer, EventCounts, EventRetention, LoginLink, Registration
from tests.registrations.conftest import html_of, link_in, text_of
from tests.sample_images import no_face_image

EMAIL = "guest@example.org"


def add(album, path, name):
    with path.open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename=name, queue=False).photo
    return process_photo(photo_id=photo.pk)


@pytest.fixture
def gallery(event, images):
    album = get_or_create_album(event=event, title="Ceremony")
    photos = {
        "obama": add(album, images["obama.jpg"], "obama.jpg"),
        "biden": add(album, images["biden.jpg"], "biden.jpg"),
    }
    group_changed_events()
    return {"album": album, **photos}


def url(event, name, *args):
    return reverse(f"registrations:{name}", args=[event.attendee_token, *args])


def register(client, event, selfie_bytes, *, email=EMAIL, consent=True, **extra):
    payload = {"email": email, "selfie": SimpleUploadedFile("me.jpg", selfie_bytes), **extra}
    if consent:
        payload["consent"] = "on"
    return client.post(url(event, "register"), payload)


@pytest.fixture
def registered(client, event, gallery, images, smtp, django_capture_on_commit_callbacks):
    """A registered attendee (Obama) whose address is confirmed through the welcome
    email's link, followed in ``client``."""
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, event, images["obama2.jpg"].read_bytes())
    assert response.status_code == 303, response.content[:2000]
    (welcome,) = smtp.to(EMAIL)
    client.cookies.clear()  # the link is opened elsewhere: another browser, say
    login = link_in(welcome, "me")
    assert client.get(login).status_code == 200
    response = client.post(login)
    assert response.status_code == 303 and response["Location"] == url(event, "mine")
    return Registration.objects.get()


def test_registering_keeps_a_vector_and_the_photos_found_and_sends_a_welcome_email(
    client, event, gallery, images, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, event, images["obama2.jpg"].read_bytes(), share_email="on")
    assert response.status_code == 303
    assert response["Location"] == reverse("attendees:results", args=[event.attendee_token])
    registration = Registration.objects.get()
    assert registration.email == EMAIL and registration.share_email
    assert registration.confirmed_at is None
    assert registration.known_photo_ids == [gallery["obama"].pk]
    assert registration.vectors.count() == 1
    assert EventCounts.objects.get(event=event).registered == 1
    # The browser that registered sees what its selfie found, as after a search...
    page = client.get(response["Location"])
    assert [photo.pk for photo in page.context["sure"]] == [gallery["obama"].pk]
    assert "Almost done: we sent an email to guest@example.org" in page.content.decode()
    # ...but is not logged in as the registration: only the emailed link does that.
    assert client.get(url(event, "mine")).status_code == 302
    (welcome,) = smtp.to(EMAIL)
    assert event.name in welcome["Subject"]
    assert "1 photo of you is already there" in text_of(welcome)
    assert "Delete my data" in html_of(welcome) and "/delete/" in html_of(welcome)


def test_registering_again_changes_nothing_until_the_owner_uses_the_emailed_link(
    client, event, gallery, images, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(client, event, images["obama2.jpg"].read_bytes())
        again = register(client, event, images["obama3.jpg"].read_bytes(),
                         email=EMAIL.upper(), share_email="on")  # fmt: skip
    assert again.status_code == 303
    registration = Registration.objects.get()
    before = list(registration.vectors.values_list("embedding", flat=True))
    assert not registration.share_email
    assert EventCounts.objects.get(event=event).registered == 1
    welcome, change = smtp.to(EMAIL)
    assert "registered guest@example.org again" in text_of(change)
    assert "Nothing has changed" in text_of(change)
    # The owner opens the link: the new selfie and choice apply, the browser logs in.
    owner = Client()
    response = owner.post(link_in(change, "me"))
    assert response.status_code == 303
    registration.refresh_from_db()
    assert registration.share_email and registration.confirmed_at is not None
    after = list(registration.vectors.values_list("embedding", flat=True))
    assert [list(v) for v in after] != [list(v) for v in before]
    assert not LoginLink.objects.exclude(change=None).exists()  # applied, not kept twice


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"consent": False}, "tick the box"),
        ({"email": "not-an-address"}, "valid email"),
        ({"selfie": b""}, "empty"),
        ({"selfie": "no-face"}, "No face"),
    ],
)
def test_a_bad_registration_says_why_and_saves_nothing(
    client, event, gallery, images, smtp, django_capture_on_commit_callbacks, change, expected
):
    selfie = images["obama2.jpg"].read_bytes()
    if change.get("selfie") == "no-face":
        import io

        data = io.BytesIO()
        no_face_image().save(data, "JPEG")
        change["selfie"] = data.getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(
            client,
            event,
            change.get("selfie", selfie),
            email=change.get("email", EMAIL),
            consent=change.get("consent", True),
        )
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not Registration.objects.exists() and not smtp.messages


def test_registering_is_refused_when_face_search_is_off(
    client, event, gallery, images, smtp, django_capture_on_commit_callbacks
):
    event.is_face_search_enabled = False
    event.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, event, images["obama2.jpg"].read_bytes())
    assert response.status_code == 403
    assert "turned off face search" in response.content.decode()
    assert not Registration.objects.exists() and not smtp.messages


def test_a_login_link_works_once_then_says_it_was_used(client, event, registered, smtp):
    assert registered.confirmed_at is not None
    (welcome,) = smtp.to(EMAIL)
    response = client.post(link_in(welcome, "me"))
    assert response.status_code == 410
    assert "already used" in response.content.decode()


def test_an_expired_or_altered_link_gets_a_clear_page(client, event, registered, settings):
    link = links.new_login_url(registered).split("testserver")[-1].split("8000")[-1]
    assert client.get(link[:-3] + "xx/").status_code == 404
    settings.ATTENDEE_LINK_MAX_AGE_DAYS = -1
    response = client.get(link)
    assert response.status_code == 410 and "too old" in response.content.decode()
    assert LoginLink.objects.filter(used_at__isnull=True).exists()  # nothing used


def test_a_new_link_is_sent_only_to_a_registered_address_and_the_answer_is_the_same(
    client, event, registered, smtp, django_capture_on_commit_callbacks
):
    before = len(smtp.messages)
    for email in (EMAIL, "stranger@example.org"):
        response = client.post(url(event, "new_link"), {"email": email}, follow=True)
        assert f"If {email} is registered" in response.content.decode()
    assert len(smtp.messages) == before + 1
    assert "new link" in text_of(smtp.messages[-1])


def store_new_photo(gallery, images, name="obama3.jpg"):
    photo = add(gallery["album"], images[name], name)
    group_changed_events()  # the people job, which tells the registrations app
    return photo


def test_new_photos_are_emailed_once_batched_and_never_twice(
    client, event, registered, gallery, images, smtp, django_capture_on_commit_callbacks, settings
):
    smtp.messages.clear()
    new = store_new_photo(gallery, images)
    registered.refresh_from_db()
    assert registered.pending_photo_ids == [new.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.send_due() == 1
        assert notify.send_due() == 0  # nothing waits any more
    (email,) = smtp.to(EMAIL)
    assert "1 new photo of you" in email["Subject"]
    # The link shows the new photo with the old one.
    response = client.post(link_in(email, "me"), follow=True)
    assert {p.pk for p in response.context["sure"]} == {gallery["obama"].pk, new.pk}
    assert EventCounts.objects.get(event=event).emails_sent == 1

    # Another photo within the hour waits for the next batch.
    second = store_new_photo(gallery, images, "obama2.jpg")
    registered.refresh_from_db()
    assert registered.pending_photo_ids == [second.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.send_due() == 0  # the last email is less than an hour old
        settings.ATTENDEE_NOTIFY_EVERY_MINUTES = 0
        assert notify.send_due() == 1
    assert len(smtp.to(EMAIL)) == 2
    assert "1 new photo of you" in smtp.to(EMAIL)[-1]["Subject"]


def test_nobody_is_notified_of_a_hidden_person_or_when_search_is_off(
    event, registered, gallery, images, smtp, django_capture_on_commit_callbacks
):
    from faces import organiser_decisions

    (person,) = Person.objects.filter(memberships__face__photo=gallery["obama"])
    organiser_decisions.hide(person=person, user=None)
    smtp.messages.clear()
    store_new_photo(gallery, images)  # recognised as the hidden person: stored hidden
    registered.refresh_from_db()
    assert registered.pending_photo_ids == []
    with django_capture_on_commit_callbacks(execute=True):
        notify.send_due()
    assert not smtp.messages


def test_photos_hidden_after_being_noted_are_not_announced(
    event, registered, gallery, images, smtp, django_capture_on_commit_callbacks
):
    from faces import moderation

    new = store_new_photo(gallery, images)
    moderation.hide_faces(faces=Face.objects.filter(photo=new), user=None)
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify.send_due()
    assert not smtp.messages


def test_an_undeliverable_address_is_logged_and_not_tried_again(
    event, registered, gallery, images, smtp, django_capture_on_commit_callbacks, caplog
):
    smtp.refused.add(EMAIL)
    store_new_photo(gallery, images)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        notify.send_due()
    registered.refresh_from_db()
    assert registered.undeliverable_at is not None
    assert "refused the address for good" in caplog.text


def test_a_mail_server_that_is_down_keeps_the_photos_for_the_next_email(
    event, registered, gallery, images, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_PORT = 1  # nothing listens there
    new = store_new_photo(gallery, images)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        notify.send_due()
    registered.refresh_from_db()
    assert registered.pending_photo_ids == [new.pk]
    assert new.pk not in registered.known_photo_ids
    assert "could not be sent after 3 attempts" in caplog.text


def test_an_answer_is_applied_and_remembered(client, event, registered, gallery):
    """ "Yes, that's me" on the results page adds the photo now and in later searches."""
    from attendees.results import StoredQuestion, save_stored

    client.get(url(event, "mine"))
    biden = Face.objects.get(photo=gallery["biden"])
    results = registered_results.current_results(registered)
    results.questions.append(
        StoredQuestion(face=biden.pk, photo=gallery["biden"].pk, kind="candidate",
                       adds=[gallery["biden"].pk])
    )  # fmt: skip
    session = client.session
    save_stored(session, event=event, results=results, cycle=False)
    session.save()
    response = client.post(url(event, "answer", biden.pk), {"answer": "yes"}, follow=True)
    assert "remember your answer" in response.content.decode()
    assert gallery["biden"].pk in {photo.pk for photo in response.context["sure"]}
    assert Answer.objects.get(registration=registered, face=biden).is_me is True
    # A later search (a fresh one: no question about that face) keeps the answer.
    assert gallery["biden"].pk in registered_results.current_results(registered).sure
    client.post(url(event, "answer", biden.pk), {"answer": "no"})  # not a question now
    assert Answer.objects.get(registration=registered, face=biden).is_me is True


def test_answers_apply_to_the_same_person_in_later_photos(event, registered, gallery):
    """A "no" about one face of a person answers a question about their other face."""
    biden = Face.objects.get(photo=gallery["biden"])
    Answer.objects.create(registration=registered, face=biden, is_me=True)
    from attendees.results import StoredQuestion

    results = registered_results.current_results(registered)
    results.questions = [
        StoredQuestion(face=biden.pk, photo=gallery["biden"].pk, kind="candidate",
                       adds=[gallery["biden"].pk]),
    ]  # fmt: skip
    registered_results.apply_answers(registered, results)
    assert gallery["biden"].pk in results.sure


def test_delete_my_data_from_the_email_deletes_everything_and_asks_the_organiser_to_hide_me(
    client, owner, event, registered, gallery, smtp, django_capture_on_commit_callbacks
):
    (welcome,) = smtp.to(EMAIL)
    delete = link_in(welcome, "delete")
    client.cookies.clear()
    page = client.get(delete)
    assert page.status_code == 200 and EMAIL in page.content.decode()
    assert Registration.objects.exists()  # GET deletes nothing
    response = client.post(delete, {"hide_me": "on"})
    assert response.status_code == 200 and "was deleted" in response.content.decode()
    assert "Nothing is hidden until they approve" in response.content.decode()
    assert not Registration.objects.exists()
    assert not Answer.objects.exists() and not LoginLink.objects.exists()
    from registrations.models import HideRequest, RegistrationVector

    assert not RegistrationVector.objects.exists()
    # A request, not a decision: nothing is hidden yet.
    request = HideRequest.objects.get()
    assert request.is_waiting and request.email == EMAIL
    assert Face.objects.get(photo=gallery["obama"]).status == Face.Status.VISIBLE
    assert EventCounts.objects.get(event=event).deleted_by_attendee == 1
    again = client.get(delete)
    assert again.status_code == 404 and "Nothing to delete" in again.content.decode()

    # The organiser sees the faces the guest's selfie found, and approves.
    organiser = Client()
    organiser.force_login(owner)
    summary = organiser.get(event.get_absolute_url()).content.decode()
    assert "1 guest asked to be hidden" in summary
    listing = organiser.get(reverse("registrations:hide_requests", args=[event.pk]))
    obama = Face.objects.get(photo=gallery["obama"])
    assert reverse("faces:face_crop", args=[obama.pk]) in listing.content.decode()
    smtp.messages.clear()
    decide = reverse("registrations:hide_request_decide", args=[request.pk])
    with django_capture_on_commit_callbacks(execute=True):
        organiser.post(decide, {"decision": "approve"})
    obama.refresh_from_db()
    assert obama.status == Face.Status.HIDDEN
    person = Person.objects.get(is_hidden=True)
    assert person.hidden_by == owner  # who decided, on the record
    request.refresh_from_db()
    assert request.decided_by == owner and request.guest_told_at is not None
    (told,) = smtp.to(EMAIL)
    assert "The organiser hid you" in text_of(told)
    # Deciding again changes nothing.
    organiser.post(decide, {"decision": "decline"})
    request.refresh_from_db()
    assert request.decision == "approved"


def test_delete_my_data_from_the_results_page_keeps_the_photos_visible_by_default(
    client, event, registered, gallery
):
    response = client.post(url(event, "delete"), {})
    assert response.status_code == 200
    assert not Registration.objects.exists()
    assert Face.objects.get(photo=gallery["obama"]).status == Face.Status.VISIBLE
    assert client.get(url(event, "mine")).status_code == 302  # logged out


def test_registrations_past_the_retention_are_deleted_daily(event, registered, caplog):
    from registrations.tasks import delete_expired_registrations

    event.ends_on = dt.date.today() - dt.timedelta(days=31)
    event.save()
    with caplog.at_level(logging.INFO):
        assert delete_expired_registrations() == 0  # registered today: kept 30 days
    # Registered on the event's last day (an aware time: a bare date is a naive one).
    Registration.objects.update(created_at=dt.datetime.combine(event.ends_on, dt.time(), dt.UTC))
    with caplog.at_level(logging.INFO):
        assert delete_expired_registrations() == 1
    assert "Deleted 1 expired registrations" in caplog.text
    assert EventCounts.objects.get(event=event).expired == 1


def test_unconfirmed_registrations_expire_with_their_link(
    client, event, gallery, images, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(client, event, images["obama2.jpg"].read_bytes())
    assert services.delete_expired() == 0
    Registration.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    event.ends_on = None
    event.save()
    EventRetention.objects.create(event=event, days=365)
    assert services.delete_expired() == 1


def test_the_organiser_sees_counts_and_only_shared_emails(
    owner, client, event, registered, images, smtp, django_capture_on_commit_callbacks
):

    organiser = Client()
    organiser.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        register(client, event, images["tom_hanks.png"].read_bytes(), email="shares@example.org",
                 share_email="on")  # fmt: skip
    page = organiser.get(event.get_absolute_url()).content.decode()
    assert "2 registered" in page
    # Anyone can type an address: it is shown only once its owner confirmed it.
    assert "shares@example.org" not in page and EMAIL not in page
    (welcome,) = smtp.to("shares@example.org")
    Client().post(link_in(welcome, "me"))
    page = organiser.get(event.get_absolute_url()).content.decode()
    assert "shares@example.org" in page and EMAIL not in page
    assert Photo.objects.exists()


def test_a_face_that_may_be_the_attendee_is_announced_once_to_check(
    event, registered, gallery, images, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    """A new photo whose face is only a candidate ("Is this you?") is announced as
    one to check, once; after a "no" it is not announced again."""
    from attendees.results import results_of
    from faces.api import Decision, Question

    def as_candidates(registration):
        """The search as it would be with the new photo's face only a candidate."""
        photo = Photo.objects.filter(original_filename="obama3.jpg").first()
        face = photo and Face.objects.filter(photo=photo).first()
        questions = [Question("candidate", face.pk, photo.pk, 0.38)] if face else []
        results = results_of(Decision(sure=[], maybe=[], questions=questions))
        registered_results.apply_answers(registration, results)
        return results

    monkeypatch.setattr(notify, "current_results", as_candidates)
    smtp.messages.clear()
    new = store_new_photo(gallery, images)  # noted through the real signal and task
    registered.refresh_from_db()
    assert (registered.pending_photo_ids, registered.pending_check_ids) == ([], [new.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.send_due() == 1
    (email,) = smtp.to(EMAIL)
    assert "may show you" in email["Subject"]
    assert "1 new photo of" in text_of(email) and "may show you" in text_of(email)
    notify._note_new_photos(registered.pk)
    registered.refresh_from_db()
    assert registered.pending_check_ids == []  # never twice
    Answer.objects.create(registration=registered, face=new.faces.get(), is_me=False)
    registered.known_photo_ids = []
    registered.save()
    notify._note_new_photos(registered.pk)
    registered.refresh_from_db()
    assert registered.pending_check_ids == []  # "not me": not asked again


def test_emails_are_in_the_language_of_the_page_the_attendee_registered_on(
    client, event, gallery, images, smtp, django_capture_on_commit_callbacks
):
    payload = {
        "email": EMAIL,
        "consent": "on",
        "selfie": SimpleUploadedFile("me.jpg", images["obama2.jpg"].read_bytes()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(event, "register"), payload, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 303
    assert Registration.objects.get().language == "fr"
    (welcome,) = smtp.to(EMAIL)
    assert welcome["Subject"] == f"Vos photos de {event.name}"
    assert "Supprimer mes données" in text_of(welcome)
    assert "Supprimer mes données" in html_of(welcome)
