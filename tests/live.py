"""The app as production runs it: gunicorn with ``config.settings`` in a subprocess.

pytest changes things production does not have (its warning filters, the test client's
upload handling, no reverse proxy), so behaviour that depends on settings, filters or
the server is tested through :func:`production_server`. The server uses this test's
database (so tests using it need ``transactional_db``) and media folder.
"""

import http.cookiejar
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.workers import worker_environment

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path

    def memory_mb(self) -> float:
        """Resident memory of the server and its workers, in MB."""
        main = psutil.Process(self.process.pid)
        processes = [main, *main.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def production_server(media_root, *, workers: int = 1, threads: int = 4, **env: str):
    """Run gunicorn with production settings; yields a :class:`LiveServer`."""
    port = free_port()
    log = Path(media_root).parent / f"gunicorn-{port}.log"
    environment = worker_environment(media_root, **env)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                "--config",
                str(ROOT / "config" / "gunicorn.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=30)


def _wait_until_up(server: LiveServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_text()}")
        try:
            urllib.request.urlopen(server.url + "/login/", timeout=5).read()
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{server.log_text()}")


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class HttpClient:
    """A browser over urllib: cookies, CSRF, multipart posts; never follows redirects."""

    base: str
    headers: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def get(self, path: str, headers: dict | None = None) -> Response:
        request = urllib.request.Request(
            self.base + path, headers={**self.headers, **(headers or {})}
        )
        return self._send(request)

    def post(
        self,
        path: str,
        fields: dict | None = None,
        files: dict | None = None,
        headers=None,
        *,
        csrf: bool = True,
    ) -> Response:
        """A multipart POST; ``csrf=False`` sends no CSRF token (as a script would)."""
        boundary = uuid.uuid4().hex
        parts = []
        token = self.cookie("csrftoken") if csrf else ""
        for name, value in {**(fields or {}), "csrfmiddlewaretoken": token}.items():
            disposition = f'Content-Disposition: form-data; name="{name}"'
            parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
        for name, (filename, data) in (files or {}).items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            )
            parts.append(head.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            self.base + path,
            data=b"".join(parts),
            headers={
                **self.headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": self.base + path,
                "X-CSRFToken": token,
                **(headers or {}),
            },
        )
        return self._send(request)

    def _send(self, request) -> Response:
        try:
            with self.opener.open(request, timeout=120) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())
