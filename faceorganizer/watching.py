"""The library's folders, watched while the window is open: photos added,
changed or removed there are indexed without a rescan.

The file system's own notifications (inotify, FSEvents, ReadDirectoryChanges,
through watchdog) arrive on watchdog's thread; `FolderWatcher` only notes
which folder changed and when. The library service asks it, when idle, for
the folders that have been quiet for a moment (a copy of 500 photos is one
indexing run, not 500), and indexes each: the deepest folder that changed,
or its watched folder when nothing is left in it.

This module imports no Qt.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from faceorganizer.images import is_photo_path

#: A folder is indexed once no change has come for this long (s).
QUIET_SECONDS = 1.5


def _not_the_unwatch_race(record: logging.LogRecord) -> bool:
    """watchdog logs an error when a change is read just as its folder stops
    being watched (the watch changed, or the library closed); it then drops
    the change, which is all there is to do."""
    return "called when the thread is inactive" not in record.getMessage()


logging.getLogger("watchdog.observers.inotify").addFilter(_not_the_unwatch_race)


class FolderWatcher:
    """Watches folders (recursively), leaving out hidden files and the folders under `skip`."""

    def __init__(self, quiet_seconds: float = QUIET_SECONDS):
        self.quiet_seconds = quiet_seconds
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()
        self._lock = threading.Lock()
        self._changed: dict[str, float] = {}  # folder -> when it last changed (time.monotonic)
        self.roots: list[str] = []
        self.skip: list[str] = []

    def watch(self, roots: Iterable[str], skip: Iterable[str] = ()) -> None:
        """Watch these folders (those that exist) from now on, and only them."""
        self._observer.unschedule_all()
        self.roots = [str(Path(r)) for r in roots]
        self.skip = [str(Path(s)) for s in skip]
        handler = _Handler(self._note)
        for root in self.roots:
            if os.path.isdir(root):
                self._observer.schedule(handler, root, recursive=True)

    def due(self, now: float | None = None) -> list[str]:
        """The folders to index now: changed, then quiet for `quiet_seconds`
        (a folder and one inside it: the outer one)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            quiet = [f for f, when in self._changed.items() if now - when >= self.quiet_seconds]
            for folder in quiet:
                del self._changed[folder]
        folders = sorted({self._to_index(f) for f in quiet})
        return [f for f in folders if not any(_under(f, other) for other in folders if other != f)]

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(5)

    def _note(self, path: str, is_folder: bool) -> None:
        """A change at `path`: a photo file, or a folder made, removed or moved."""
        if any(part.startswith(".") for part in Path(path).parts) or any(_under(path, s) for s in self.skip):
            return
        if not is_folder and not is_photo_path(path):
            return
        folder = path if is_folder and os.path.isdir(path) else os.path.dirname(path)
        with self._lock:
            self._changed[folder] = time.monotonic()

    def _to_index(self, folder: str) -> str:
        """The folder to index for a change in `folder`: itself while it holds
        photos, else its watched folder (indexing a folder left without photos
        forgets nothing: it could be an unplugged drive)."""
        root = next((r for r in self.roots if _under(folder, r)), folder)
        if os.path.isdir(folder) and _holds_photos(folder):
            return folder
        return root


def rewatched(watcher: FolderWatcher | None, library, on: bool) -> FolderWatcher | None:
    """A watcher of the library's folders (less the library's own folder and
    the excluded ones) while `on` and a library is open; else None, `watcher` stopped."""
    if not (on and library is not None):
        if watcher is not None:
            watcher.stop()
        return None
    watcher = watcher or FolderWatcher()
    watcher.watch(library.folders(), skip=[str(library.folder), *library.excluded_folders()])
    return watcher


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _holds_photos(folder: str) -> bool:
    """Whether indexing would find a photo under `folder` (hidden files and folders are left out)."""
    for _, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        if any(is_photo_path(name) and not name.startswith(".") for name in files):
            return True
    return False


class _Handler(FileSystemEventHandler):
    """watchdog's events, as (path, is a folder) for FolderWatcher."""

    def __init__(self, note):
        super().__init__()
        self.note = note

    def on_any_event(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return  # (a folder is "modified" by any file made in it: that file says which)
        self.note(os.fsdecode(event.src_path), event.is_directory)
        if getattr(event, "dest_path", ""):
            self.note(os.fsdecode(event.dest_path), event.is_directory)
