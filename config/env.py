"""Where settings come from: the environment, and a .env file beside manage.py."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
