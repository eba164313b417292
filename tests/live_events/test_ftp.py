"""The cameras' FTP receiver, through a real FTP client (ftplib) against the real
server: what a camera does, and what someone holding a camera's login (or guessing
one) cannot do."""

import ftplib
import io
import socket

import pytest

from live import services
from photos.models import Photo
from photos.services import get_or_create_album
from tests.conftest import jpeg_bytes
from tests.live_events import wait_for
from tests.sample_images import no_face_image


def a_photo(seed: int = 0, size=(640, 480)) -> bytes:
    return jpeg_bytes(no_face_image(size=size, seed=seed))


def log_in(port: int, account, password: str | None = None) -> ftplib.FTP:
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=10)
    ftp.login(account.username, password if password is not None else account.password)
    return ftp


def send(ftp: ftplib.FTP, name: str, data: bytes) -> str:
    return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def test_a_photo_sent_by_ftp_becomes_a_photo_of_the_accounts_album(start_ftp, camera):
    port = start_ftp()
    with log_in(port, camera) as ftp:
        assert send(ftp, "IMG_0001.JPG", a_photo()).startswith("226")
        assert send(ftp, "IMG_0001-again.JPG", a_photo()).startswith("226")  # a duplicate
    photos = Photo.objects.filter(album=camera.album)
    assert [p.original_filename for p in photos] == ["IMG_0001.JPG"]
    # Processed like an upload (the tests run the queued task at once).
    assert photos.get().processing_status == Photo.Status.DONE
    camera.refresh_from_db()
    assert camera.photos_received == 1 and camera.last_photo_at is not None


def test_a_bad_file_is_refused_with_its_reason_and_the_server_carries_on(start_ftp, camera):
    port = start_ftp()
    with log_in(port, camera) as ftp:
        with pytest.raises(ftplib.error_perm, match="^550 .*not an image"):
            send(ftp, "notes.jpg", b"this is not a photo at all" * 100)
        assert send(ftp, "IMG_0002.JPG", a_photo(1)).startswith("226")
    assert Photo.objects.filter(album=camera.album).count() == 1


def test_a_transfer_cut_short_never_becomes_a_photo(start_ftp, camera, ftp_settings):
    from pathlib import Path

    port = start_ftp()
    data = a_photo(2)
    # The camera's link drops mid-file: the data connection closes as if it had ended.
    with log_in(port, camera) as ftp:
        connection = ftp.transfercmd("STOR cut.jpg")
        connection.sendall(data[: len(data) // 2])
        connection.close()
        with pytest.raises(ftplib.error_perm, match="^550 .*incomplete"):
            ftp.voidresp()
    # The camera is switched off mid-file: the control connection goes too.
    ftp = log_in(port, camera)
    connection = ftp.transfercmd("STOR off.jpg")
    connection.sendall(data[: len(data) // 3])
    ftp.sock.shutdown(socket.SHUT_RDWR)
    ftp.sock.close()
    connection.close()
    home = Path(ftp_settings.FTP_ROOT) / camera.username
    assert wait_for(lambda: not any(home.iterdir()))  # nothing left waiting
    assert Photo.objects.count() == 0


def test_a_file_past_the_size_limit_is_stopped_while_it_arrives(start_ftp, camera, settings):
    settings.PHOTOS_MAX_UPLOAD_BYTES = 50_000
    port = start_ftp()
    with log_in(port, camera) as ftp:
        with (
            pytest.raises(ftplib.error_temp, match="^4|^552")
            if False
            else pytest.raises(ftplib.all_errors)
        ):
            send(ftp, "huge.jpg", a_photo(3, size=(2400, 1800)))
    assert Photo.objects.count() == 0


def test_an_account_cannot_list_read_delete_rename_or_leave_its_folder(
    start_ftp, camera, ftp_settings, tmp_path
):
    port = start_ftp()
    other_album = get_or_create_album(event=camera.event, title="Party")
    other = services.create_account(album=other_album)
    with log_in(port, other) as ftp:
        send(ftp, "theirs.jpg", a_photo(4))
    with log_in(port, camera) as ftp:
        for attempt in (
            lambda: ftp.nlst(),
            lambda: ftp.retrlines("LIST"),
            lambda: ftp.retrbinary("RETR theirs.jpg", lambda chunk: None),
            lambda: ftp.retrbinary(f"RETR ../{other.username}/theirs.jpg", lambda chunk: None),
            lambda: ftp.delete("theirs.jpg"),
            lambda: ftp.rename(f"../{other.username}/theirs.jpg", "mine.jpg"),
            lambda: ftp.sendcmd("SITE CHMOD 777 /"),
        ):
            with pytest.raises(ftplib.error_perm):
                attempt()
        ftp.cwd("../../..")
        assert ftp.pwd() == "/"  # the top of its own folder, never above
        assert send(ftp, "../../../escape.jpg", a_photo(5)).startswith("226")
    assert not (tmp_path / "escape.jpg").exists()
    assert Photo.objects.get(original_filename="escape.jpg").album == camera.album
    assert Photo.objects.get(original_filename="theirs.jpg").album == other_album


def test_wrong_passwords_lock_that_name_out_from_that_address_only(start_ftp, camera, settings):
    settings.FTP_FAILURES_ALLOWED = 3
    port = start_ftp()
    for _ in range(3):
        with pytest.raises(ftplib.error_perm, match="530"):
            log_in(port, camera, password="guess")
    with pytest.raises(ftplib.error_perm, match="530 Too many wrong passwords"):
        log_in(port, camera)  # the right password, but locked out from here
    # The camera, elsewhere, still logs in: a stranger cannot lock it out.
    from live.ftp import CameraAuthorizer

    class Handler:
        remote_ip = "192.0.2.7"

    handler = Handler()
    CameraAuthorizer(root=None).validate_authentication(camera.username, camera.password, handler)
    assert handler.account == camera


def test_an_unknown_name_and_a_known_one_fail_alike(start_ftp, camera):
    port = start_ftp()
    answers = []
    for username in (camera.username, "nobody-at-all"):
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=10)
        answers.append(ftp.sendcmd(f"USER {username}"))
        with pytest.raises(ftplib.error_perm) as refused:
            ftp.sendcmd("PASS wrong")
        answers.append(str(refused.value))
        ftp.close()
    assert answers[0] == answers[2] and answers[1] == answers[3]


def test_a_new_password_replaces_the_old_one(start_ftp, camera):
    port = start_ftp()
    old = camera.password
    camera = services.new_password(account=camera)
    assert camera.password != old
    with pytest.raises(ftplib.error_perm, match="530"):
        log_in(port, camera, password=old)
    log_in(port, camera).quit()


def self_signed_certificate(folder) -> str:
    """A PEM file holding a new key and its self-signed certificate for 127.0.0.1."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    path = folder / "ftp.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    return str(path)


def test_with_a_certificate_cameras_send_over_ftps_and_plain_ftp_can_be_refused(
    start_ftp, camera, settings, tmp_path
):
    import ssl

    settings.FTP_TLS_CERTFILE = self_signed_certificate(tmp_path)
    settings.FTP_TLS_REQUIRED = True
    port = start_ftp()
    context = ssl.create_default_context(cafile=settings.FTP_TLS_CERTFILE)
    ftps = ftplib.FTP_TLS(context=context)
    ftps.connect("127.0.0.1", port, timeout=10)
    ftps.login(camera.username, camera.password)  # AUTH TLS first: the password is encrypted
    ftps.prot_p()  # and so is the photo
    assert send(ftps, "IMG_0100.JPG", a_photo(7)).startswith("226")
    ftps.quit()
    assert Photo.objects.filter(album=camera.album).count() == 1
    with pytest.raises(ftplib.error_perm, match="SSL/TLS required"):
        log_in(port, camera)


def test_a_file_sent_under_a_temporary_name_is_added_when_renamed(start_ftp, camera):
    port = start_ftp()
    with log_in(port, camera) as ftp:
        assert send(ftp, "IMG_0200.JPG.tmp", a_photo(8)).startswith("226")
        assert not Photo.objects.exists()  # waiting for its final name
        assert ftp.rename("IMG_0200.JPG.tmp", "IMG_0200.JPG").startswith("250")
        send(ftp, "notes.txt.part", b"not a photo" * 50)
        with pytest.raises(ftplib.error_perm, match="^550 .*not an image"):
            ftp.rename("notes.txt.part", "notes.jpg")
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.rename("never-sent.tmp", "x.jpg")
    assert [p.original_filename for p in Photo.objects.all()] == ["IMG_0200.JPG"]


def test_a_temporary_file_never_renamed_is_swept_at_a_later_login(start_ftp, camera, ftp_settings):
    import os
    from pathlib import Path

    port = start_ftp()
    with log_in(port, camera) as ftp:
        send(ftp, "given-up.jpg.part", a_photo(9)[:1000])
    waiting = Path(ftp_settings.FTP_ROOT) / camera.username / "given-up.jpg.part"
    assert waiting.exists()
    os.utime(waiting, (0, 0))  # an hour and more ago
    log_in(port, camera).quit()
    assert not waiting.exists()
