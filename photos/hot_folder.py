"""A hot folder: the photos a tethered laptop's software (or a card reader, or a
camera's Wi-Fi app) writes into a folder are added as soon as each file is complete.

A file is complete when the writer closed it (Linux reports that: inotify's
close-after-write, watchdog's ``FileClosedEvent``) or, where that is not reported,
when its size and modification time have not changed for ``settle_seconds``. Files
moved into the folder (tethering software writes ``x.tmp`` then renames it) count
from the move. Hidden and temporary files are never added. Each file is added once
per content: the album's duplicate check does the rest.
"""

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

logger = logging.getLogger(__name__)

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", "~")


def is_candidate(path: Path) -> bool:
    name = path.name
    return not (
        name in IGNORED_NAMES or name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)
    )


class _Events(FileSystemEventHandler):
    def __init__(self, folder: "HotFolder"):
        self.folder = folder

    def on_any_event(self, event):
        if event.is_directory:
            return
        if isinstance(event, FileMovedEvent):
            self.folder.saw(Path(event.dest_path), closed=True)
        elif isinstance(event, FileClosedEvent):
            self.folder.saw(Path(event.src_path), closed=True)
        elif isinstance(event, FileCreatedEvent | FileModifiedEvent):
            self.folder.saw(Path(event.src_path), closed=False)


class HotFolder:
    """Watches ``root`` (and its subfolders) and calls ``add(path)`` once for each
    complete file, from :meth:`run`'s thread, until ``stop`` is set."""

    def __init__(self, root: Path, add: Callable[[Path], None], *, settle_seconds: float = 2.0):
        self.root = root
        self.add = add
        self.settle_seconds = settle_seconds
        self._lock = threading.Lock()
        # path -> (size, mtime, when that was first seen, closed by its writer)
        self._pending: dict[Path, tuple[int, float, float, bool]] = {}
        self._added: dict[Path, tuple[int, float]] = {}

    def saw(self, path: Path, *, closed: bool) -> None:
        if not is_candidate(path):
            return
        with self._lock:
            self._pending[path] = (-1, -1.0, time.monotonic(), closed)

    def run(self, stop: threading.Event, *, poll_seconds: float = 0.25) -> None:
        observer = Observer()
        observer.schedule(_Events(self), str(self.root), recursive=True)
        observer.start()
        try:
            # Files already there when watching starts are added too.
            for path in sorted(self.root.rglob("*")):
                if path.is_file():
                    self.saw(path, closed=False)
            while not stop.is_set():
                for path in self._complete_files():
                    self._add(path)
                stop.wait(poll_seconds)
        finally:
            observer.stop()
            observer.join()

    def _complete_files(self) -> list[Path]:
        now = time.monotonic()
        ready = []
        with self._lock:
            for path, (size, mtime, since, closed) in list(self._pending.items()):
                try:
                    stat = path.stat()
                except FileNotFoundError:  # moved away or deleted before it settled
                    del self._pending[path]
                    continue
                current = (stat.st_size, stat.st_mtime)
                if current != (size, mtime):
                    # Changed since last look: wait for it to settle (unless just closed).
                    self._pending[path] = (*current, now, closed)
                    if not closed:
                        continue
                settled = now - since >= self.settle_seconds
                if (closed or settled) and stat.st_size > 0:
                    del self._pending[path]
                    if self._added.get(path) != current:
                        ready.append(path)
                        self._added[path] = current
        return ready

    def _add(self, path: Path) -> None:
        try:
            self.add(path)
        except Exception:  # one bad file never stops the folder
            logger.exception("Adding %s from the hot folder failed", path)
