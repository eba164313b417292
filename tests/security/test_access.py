"""Who may see what: every URL and media path, for every kind of visitor."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client
from django.urls import reverse

from tests.factories import EventFactory, UserFactory
from tests.security.visitors import KINDS, LOGIN, visitor

ROOT = Path(__file__).resolve().parent.parent.parent


def urls(world):
    event, album = world["event"], world["album"]
    matched, unmatched = world["photos"]["obama.jpg"], world["photos"]["biden.jpg"]
    token = event.attendee_token
    face = matched.faces.first()
    #            anon   attendee other  owner stranger staff moderator
    organiser = [LOGIN, LOGIN, LOGIN, 200, 404, 200, 404]
    moderated = [LOGIN, LOGIN, LOGIN, 200, 404, 200, 200]  # previews and crops: moderation
    admin_only = [LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200, 200]
    return [
        (reverse("photos:dashboard"), [LOGIN, LOGIN, LOGIN, 200, 200, 200, 200]),
        (reverse("faces:organiser_search"), [LOGIN, LOGIN, LOGIN, 200, 200, 200, 200]),
        # Smart search is off in the tests (no CLIP model): not found, for everyone.
        (reverse("smart:search"), [LOGIN, LOGIN, LOGIN, 404, 404, 404, 404]),
        (reverse("photos:event_detail", args=[event.pk]), organiser),
        (reverse("photos:event_edit", args=[event.pk]), organiser),
        (reverse("photos:event_delete", args=[event.pk]), organiser),
        (reverse("photos:event_qr", args=[event.pk]), organiser),
        (reverse("photos:album_detail", args=[album.pk]), organiser),
        (reverse("photos:album_progress", args=[album.pk]), organiser),
        (reverse("photos:photo_detail", args=[matched.pk]), organiser),
        (reverse("photos:photo_media", args=[matched.pk, "original"]), organiser),
        (reverse("photos:photo_media", args=[unmatched.pk, "thumbnail"]), moderated),
        (reverse("photos:photo_media", args=[unmatched.pk, "preview"]), moderated),
        (reverse("faces:face_crop", args=[face.pk]), moderated),
        (reverse("attendees:attendee", args=[token]), [200] * 7),
        (reverse("attendees:results", args=[token]), [302, 200, 302, 302, 302, 302, 302]),
        (
            reverse("attendees:photo", args=[token, matched.pk, "preview"]),
            [404, 200, 404, 404, 404, 404, 404],
        ),
        (
            reverse("attendees:photo", args=[token, matched.pk, "original"]),
            [404, 200, 404, 404, 404, 404, 404],
        ),
        (reverse("attendees:photo", args=[token, unmatched.pk, "preview"]), [404] * 7),
        (reverse("attendees:download", args=[token]), [404, 200, 404, 404, 404, 404, 404]),
        ("/e/not-a-real-token-but-long-enough-to-look-like-one/", [404] * 7),
        (reverse("admin:index"), admin_only),
        (reverse("admin:faces_face_changelist"), admin_only),
        (reverse("admin:faces_face_review"), admin_only),
        (reverse("admin:photos_event_change", args=[event.pk]), admin_only),  # read-only
        (reverse("admin:photos_event_delete", args=[event.pk]), [LOGIN] * 5 + [200, 403]),
        (reverse("admin:core_searchrecord_changelist"), [LOGIN] * 5 + [200, 403]),
        ("/media-is-never-served-directly/" + matched.file.name, [404] * 7),
    ]


def test_every_url_answers_each_visitor_as_expected(world, images):
    failures = []
    for kind_index, kind in enumerate(KINDS):
        client = visitor(kind, world, images)
        for url, expected in urls(world):
            status = client.get(url).status_code
            if status != expected[kind_index]:
                failures.append(f"{kind} GET {url}: {status}, expected {expected[kind_index]}")
    assert failures == []


def test_tokens_are_long_random_and_unique(db):
    tokens = {EventFactory().attendee_token for _ in range(20)}
    assert len(tokens) == 20 and all(len(token) >= 43 for token in tokens)


def test_forms_need_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="owner"))
    response = client.post(reverse("photos:event_create"), {"name": "No token"})
    assert response.status_code == 403
    attendee = Client(enforce_csrf_checks=True)
    url = reverse("attendees:search", args=[world["event"].attendee_token])
    assert attendee.post(url, {"consent": "on"}).status_code == 403


def test_security_headers_are_sent(client, db):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in response["Permissions-Policy"]


def test_logins_are_rate_limited(client, settings, db):
    settings.LOGIN_FAILURES_ALLOWED = 3
    UserFactory(username="victim")
    for _ in range(3):
        assert (
            client.post(reverse("login"), {"username": "victim", "password": "guess"}).status_code
            == 200
        )
    blocked = client.post(
        reverse("login"), {"username": "victim", "password": "correct horse battery staple"}
    )
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.content.decode()
    admin_blocked = client.post("/admin/login/", {"username": "victim", "password": "x"})
    assert admin_blocked.status_code == 429


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "p" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "photos.example.com",
        "SECURE_COOKIES": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "DEBUG": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests only
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
