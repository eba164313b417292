"""The cameras' FTP receiver (pyftpdlib): each camera account logs in, sends files, and
can do nothing else.

- **Write only.** Permissions are "e" (change folder inside its own), "m" (make a
  folder: some cameras insist), "w" (store a file) and "f" (rename one of its own
  waiting files: some transfer software sends ``x.jpg.tmp`` and renames it once
  whole). No listing, reading, deleting or appending. A file under a temporary name
  (``.tmp``, ``.part``…) waits for its rename, which adds it; one never renamed is
  swept away an hour later. pyftpdlib's file system keeps every path inside the account's
  own folder (``var/ftp/<user>``, where a file waits while it arrives).
- **Whole files only.** When a transfer ends, the file is checked and added (live.
  services.receive_file) *before* the answer: 226 when it became a photo (or was a
  duplicate), 550 with the reason when refused, so the camera shows an error. A
  transfer broken off (connection lost, ABOR), cut short (no JPEG end marker) or past
  the upload size limit never becomes a photo, and its file is deleted.
- **Wrong passwords** lock that user name out *from that address* for a while, and an
  address trying many names is locked out of all: a stranger cannot lock out the
  camera by guessing its user name from elsewhere.
- **FTPS** (explicit TLS, AUTH TLS) when ``FTP_TLS_CERTFILE`` is set; required when
  ``FTP_TLS_REQUIRED``.

One thread per connection (ThreadedFTPServer): adding a photo blocks that camera's
connection only, and each thread has its own database connection.
"""

import logging
import os
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.translation import gettext, override
from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.filesystems import FilesystemError
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

from core import ratelimit
from live import services
from photos.hot_folder import is_candidate
from photos.units import megabytes

logger = logging.getLogger(__name__)

PERMISSIONS = "emwf"
STALE_TEMPORARY_SECONDS = 3600
LOCKOUT_SCOPE = "ftp-login"


class CameraAuthorizer(DummyAuthorizer):
    """Camera accounts from the database; their folders under ``root``."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = root

    def validate_authentication(self, username, password, handler):
        close_old_connections()
        try:
            handler.account = self._account(username, password, handler.remote_ip)
        finally:
            # Each camera connection is a thread with its own database connection:
            # closed after use, not left open for the thread's lifetime.
            connection.close()

    def _account(self, username: str, password: str, ip: str):
        account_key = f"{username}|{ip}"
        if (
            ratelimit.count(LOCKOUT_SCOPE, account_key) >= settings.FTP_FAILURES_ALLOWED
            or ratelimit.count(LOCKOUT_SCOPE, ip) >= settings.FTP_FAILURES_PER_ADDRESS
        ):
            logger.warning("FTP login of %r from %s refused: locked out", username, ip)
            raise AuthenticationFailed("Too many wrong passwords: try again later.")
        account = services.account_for_login(username, password)
        if account is None:
            window = settings.FTP_FAILURE_WINDOW_SECONDS
            ratelimit.add_hit(LOCKOUT_SCOPE, account_key, window_seconds=window)
            ratelimit.add_hit(LOCKOUT_SCOPE, ip, window_seconds=window)
            logger.warning("FTP login refused for %r from %s", username, ip)
            raise AuthenticationFailed("Wrong user name or password.")
        return account

    def get_home_dir(self, username):
        home = self.root / username
        home.mkdir(parents=True, exist_ok=True)
        return str(home)

    def has_user(self, username):
        return True  # checked with the password, so that names cannot be probed

    def has_perm(self, username, perm, path=None):
        return perm in PERMISSIONS

    def get_perms(self, username):
        return PERMISSIONS

    def get_msg_login(self, username):
        return "Ready: send your photos."

    def get_msg_quit(self, username):
        return "Goodbye."


class CameraDTPHandler(DTPHandler):
    """The data channel: stops a file past the size limit, and checks a whole file
    before answering (so a refused file gets a 550, not a 226)."""

    def handle_read(self):
        super().handle_read()
        too_big = self.tot_bytes_received > settings.PHOTOS_MAX_UPLOAD_BYTES
        if self.receive and too_big and not self._closed:
            limit = megabytes(settings.PHOTOS_MAX_UPLOAD_BYTES)
            self._resp = (f"552 The file is larger than the {limit} limit.", logger.info)
            self.transfer_finished = False
            self.close()

    def close(self):
        if (
            not self._closed
            and self.receive
            and self.transfer_finished
            and self.file_obj is not None
        ):
            self.file_obj.close()
            refusal = self.cmd_channel.add_received(self.file_obj.name)
            if refusal:
                self._resp = (f"550 {refusal}", logger.info)
                self.transfer_finished = False  # so the file is deleted, not kept
        super().close()


class CameraHandler(FTPHandler):
    """The control channel of one camera's connection."""

    dtp_handler = CameraDTPHandler
    banner = "Event photos: camera upload."
    account = None

    def add_received(self, path: str) -> str:
        """Add the file that just arrived; '' when it is a photo now (or a duplicate,
        or a temporary name waiting for its rename), else why not (one line, in the
        event's language)."""
        name = os.path.basename(path)
        if not is_candidate(Path(path)):
            return ""  # x.jpg.tmp: added when it is renamed (ftp_RNTO)
        close_old_connections()
        try:
            with override(self.account.event.language or settings.LANGUAGE_CODE):
                result = services.receive_file(account=self.account, path=Path(path), name=name)
        except Exception:
            logger.exception("A file from camera %s could not be added", self.account.username)
            return gettext("The photo could not be stored: send it again.")
        finally:
            connection.close()
            _remove(path)
        if result.status in ("added", "duplicate", "unpacking"):
            return ""
        return " ".join(result.reason.split()) or result.status

    def ftp_RNTO(self, path):
        """A rename, then the file under its final name is added, before the answer
        (250 when added, 550 with the reason when refused)."""
        if not self._rnfr:
            return super().ftp_RNTO(path)
        source, self._rnfr = self._rnfr, None
        try:
            self.run_as_current_user(self.fs.rename, source, path)
        except (OSError, FilesystemError) as error:
            self.respond(f"550 {error.strerror or error}.")
            return None
        if not os.path.isfile(path) or not is_candidate(Path(path)):
            self.respond("250 Renaming ok.")
            return None
        refusal = self.add_received(path)
        self.respond(f"550 {refusal}" if refusal else "250 Renaming ok.")
        return (source, path)

    def on_login(self, username):
        _sweep_stale_temporaries(Path(self.fs.root))

    def on_incomplete_file_received(self, file):
        logger.info("Incomplete transfer of %s dropped", file)
        _remove(file)


def _sweep_stale_temporaries(home: Path) -> None:
    """Temporary files never renamed (a transfer given up) go after an hour."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for path in home.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def handler_class() -> type[FTPHandler]:
    """The handler with this site's settings: TLS when a certificate is configured."""
    base, dtp = CameraHandler, CameraDTPHandler
    if settings.FTP_TLS_CERTFILE:
        from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler

        dtp = type("CameraTLSDTPHandler", (CameraDTPHandler, TLS_DTPHandler), {})
        base = type("CameraTLSHandler", (CameraHandler, TLS_FTPHandler), {})
        base.certfile = settings.FTP_TLS_CERTFILE
        base.keyfile = settings.FTP_TLS_KEYFILE or None
        base.tls_control_required = settings.FTP_TLS_REQUIRED
        base.tls_data_required = settings.FTP_TLS_REQUIRED
    handler = type("ConfiguredCameraHandler", (base,), {"dtp_handler": dtp})
    handler.authorizer = CameraAuthorizer(Path(settings.FTP_ROOT))
    handler.passive_ports = settings.FTP_PASSIVE_PORTS or None
    handler.masquerade_address = settings.FTP_MASQUERADE_ADDRESS or None
    handler.max_login_attempts = 3  # then the connection is closed
    handler.auth_failed_timeout = settings.FTP_FAILED_LOGIN_DELAY_SECONDS
    handler.timeout = 300
    return handler


def make_server(host: str, port: int) -> ThreadedFTPServer:
    root = Path(settings.FTP_ROOT)
    shutil.rmtree(root, ignore_errors=True)  # files of transfers a restart cut off
    root.mkdir(parents=True, exist_ok=True)
    server = ThreadedFTPServer((host, port), handler_class())
    server.max_cons = settings.FTP_MAX_CONNECTIONS
    server.max_cons_per_ip = settings.FTP_MAX_CONNECTIONS_PER_ADDRESS
    return server
