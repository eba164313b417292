"""Compile the .po translations into the .mo files Django reads, in pure Python.

    .venv/bin/python manage.py compile_translations

Run by ``scripts/dev.py`` before the app and the tests start, so that no GNU gettext
is needed and no compiled file is kept in git (docs/languages.md).
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_all() -> list[Path]:
    """Write a .mo next to every .po of LOCALE_PATHS; returns the .mo files."""
    written = []
    for folder in settings.LOCALE_PATHS:
        for po_path in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


class Command(BaseCommand):
    help = "Compile the .po translations into .mo files (pure Python, no gettext)."

    def handle(self, *args, **options):
        for path in compile_all():
            self.stdout.write(f"compiled {path.relative_to(settings.BASE_DIR)}")
