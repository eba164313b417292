#!/usr/bin/env python3
"""Set up whatever is missing, then run the app or the test suite.

    python3 scripts/dev.py run     # web server + task worker on http://127.0.0.1:8000
    python3 scripts/dev.py test    # the whole test suite (extra args go to pytest)

Idempotent: a second run only checks stamps and starts. Needs only Python 3.11.
"""

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VAR = ROOT / "var"
PYTHON = VENV / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("run", "test", "setup"):
        print(__doc__)
        return 2
    ensure_python_packages()
    ensure_secret_key()
    if command == "test":
        ensure_chromium()
        return run_tests(sys.argv[2:])
    migrate()
    if command == "setup":
        return 0
    ensure_first_organiser()
    return serve()


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_python_packages() -> None:
    """A virtualenv with requirements.txt installed, redone when the file changes."""
    if sys.version_info[:2] != (3, 11):
        say(f"warning: this project is built for Python 3.11, not {sys.version.split()[0]}")
    requirements = ROOT / "requirements.txt"
    stamp = VENV / ".requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        say("creating the virtualenv in .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say("installing Python packages (first time: a few minutes)")
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # torch alone first, pinned: anything else could pull a multi-GB CUDA build.
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    stamp.write_text(wanted)


def ensure_secret_key() -> None:
    VAR.mkdir(exist_ok=True)
    key_file = VAR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)


def ensure_chromium() -> None:
    """Debian's chromium for the browser tests (Playwright drives it, no download)."""
    if CHROMIUM.exists() or os.environ.get("SKIP_BROWSER_INSTALL"):
        return
    say("installing Debian's chromium for the browser tests")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], cwd=ROOT, **kwargs)


def compile_translations() -> None:
    manage("compile_translations", check=True, stdout=subprocess.DEVNULL)


def migrate() -> None:
    compile_translations()
    say("starting the database and applying migrations")
    manage("migrate", "--no-input", "-v", "0", check=True)
    manage("collectstatic", "--no-input", "-v", "0", check=True)
    manage("setup_schedules", check=True)


def ensure_first_organiser() -> None:
    """A first staff organiser account, its password printed once and kept in var/."""
    credentials = VAR / "first-organiser.txt"
    code = (
        "from django.contrib.auth import get_user_model;"
        "print(get_user_model().objects.filter(is_superuser=True).exists())"
    )
    exists = manage("shell", "--no-imports", "-c", code, capture_output=True, text=True, check=True)
    if exists.stdout.strip().endswith("True"):
        if credentials.exists():
            say(f"organiser login: {credentials.read_text().strip()}  (from {credentials})")
        return
    password = secrets.token_urlsafe(12)
    env = {**os.environ, "DJANGO_SUPERUSER_PASSWORD": password}
    manage(
        "createsuperuser",
        "--no-input",
        "--username",
        "organiser",
        "--email",
        "organiser@example.com",
        env=env,
        check=True,
    )
    credentials.write_text(f"username organiser, password {password}\n")
    credentials.chmod(0o600)
    say(f"created the first organiser: username organiser, password {password}")
    say(f"(also saved in {credentials}; change it under /admin/)")


def serve() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    web = subprocess.Popen(
        [
            str(VENV / "bin" / "gunicorn"),
            "config.wsgi",
            "--config",
            str(ROOT / "config" / "gunicorn.py"),
            "--bind",
            f"{host}:{port}",
            "--workers",
            os.environ.get("WEB_WORKERS", "2"),
            "--threads",
            "4",
            "--timeout",
            "120",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
    )
    worker = subprocess.Popen([str(PYTHON), "manage.py", "qcluster"], cwd=ROOT)
    # Cameras send photos by FTP (docs/live.md); FTP_PORT in .env.example.
    ftp = subprocess.Popen([str(PYTHON), "manage.py", "ftp_server"], cwd=ROOT)
    processes = (web, worker, ftp)
    say(f"the app is running at http://{host}:{port}/  (Ctrl+C to stop)")
    # `kill`, `timeout` or a service manager stop with SIGTERM: shut down the web
    # server and the worker as Ctrl+C does, instead of leaving them running.
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


def _stop_like_ctrl_c(signum, frame) -> None:
    raise KeyboardInterrupt


def run_tests(args: list[str]) -> int:
    # The translations are compiled by the suite itself (tests/conftest.py).
    say("running the test suite")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
