"""Camera accounts from the organiser's event page and from the command line, and the
live figures."""

import json
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from live.models import CameraAccount
from tests.factories import PhotoFactory


def test_the_organiser_creates_reads_renews_and_deletes_a_camera_account(
    owner_client, event, album
):
    page = owner_client.get(event.get_absolute_url()).content.decode()
    assert 'id="cameras"' in page and "Add a camera account" in page
    response = owner_client.post(
        reverse("live:camera_create", args=[event.pk]), {"album": album.pk}
    )
    assert response.status_code == 302 and response.url.endswith("#cameras")
    account = CameraAccount.objects.get()
    assert account.album == album and len(account.password) == 16
    page = owner_client.get(event.get_absolute_url()).content.decode()
    assert account.username in page and account.password in page
    old = account.password
    owner_client.post(reverse("live:camera_password", args=[account.pk]))
    account.refresh_from_db()
    assert account.password != old and not account.check_password(old)
    owner_client.post(reverse("live:camera_delete", args=[account.pk]))
    assert not CameraAccount.objects.exists()


def test_nobody_else_sees_or_touches_an_events_camera_accounts(client, other_user, event, album):
    from live import services

    account = services.create_account(album=album)
    client.force_login(other_user)
    assert (
        client.post(reverse("live:camera_create", args=[event.pk]), {"album": album.pk}).status_code
        == 404
    )
    assert client.post(reverse("live:camera_password", args=[account.pk])).status_code == 404
    assert client.post(reverse("live:camera_delete", args=[account.pk])).status_code == 404
    assert client.get(reverse("live:status", args=[event.pk])).status_code == 404
    assert CameraAccount.objects.get() == account
    # An album of another event cannot be chosen either.
    client.force_login(event.owner)
    from tests.factories import AlbumFactory

    foreign = AlbumFactory()
    client.post(reverse("live:camera_create", args=[event.pk]), {"album": foreign.pk})
    assert CameraAccount.objects.count() == 1


def test_ftp_account_prints_the_same_account_for_scripts(event, settings):
    settings.FTP_HOST = "photos.example.org"
    out = StringIO()
    call_command("ftp_account", "--event", event.slug, "--album", "Ceremony", "--json", stdout=out)
    first = json.loads(out.getvalue())
    account = CameraAccount.objects.get()
    assert first == {
        "user": account.username,
        "password": account.password,
        "host": "photos.example.org",
        "port": settings.FTP_PORT,
        "tls": False,
        "event": event.slug,
        "album": "Ceremony",
    }
    out = StringIO()
    call_command("ftp_account", "--event", event.slug, "--album", "Ceremony", "--json", stdout=out)
    assert json.loads(out.getvalue()) == first  # the same account, not a new one


def test_the_live_figures_say_when_processing_falls_behind(owner_client, event, album):
    import datetime as dt

    from django.utils import timezone

    from photos.models import Photo

    now = timezone.now()
    done = PhotoFactory(album=album, processing_status=Photo.Status.DONE)
    waiting = PhotoFactory(album=album)
    Photo.objects.filter(pk=done.pk).update(processed_at=now)
    Photo.objects.filter(pk=waiting.pk).update(uploaded_at=now - dt.timedelta(seconds=30))
    status = owner_client.get(reverse("live:status", args=[event.pk])).json()
    assert (status["received"], status["processed"], status["waiting"]) == (2, 1, 1)
    assert status["is_behind"] is False
    Photo.objects.filter(pk=waiting.pk).update(uploaded_at=now - dt.timedelta(minutes=5))
    status = owner_client.get(reverse("live:status", args=[event.pk])).json()
    assert status["is_behind"] is True
    page = owner_client.get(event.get_absolute_url()).content.decode()
    assert "Processing is behind: 1 photo waiting." in page
