"""The library service: the one process that owns the library.

The window runs it in a child process (faceorganizer.ui.worker starts it) and
talks to it over a pipe: calls go in as (name, args), events come back as
(event, args). A process, not a thread, because the embedded store is pure
Python: on a thread it would hold the GIL for most of an indexing run, and
every paint of the window (a Python call per tile) would wait for it.

This module imports no Qt.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from faceorganizer.config import Settings
from faceorganizer.errors import FaceOrganizerError, LibraryLockedError
from faceorganizer.humanize import count, duration
from faceorganizer.people import ChangeSet

log = logging.getLogger(__name__)

UNASSIGNED = "unassigned"

#: Long jobs, and the calls that wait while one runs.
_JOBS = frozenset({"index", "recluster", "remove_folder"})
_AFTER_JOB = _JOBS | {"open", "close"}

#: Progress and the people list go out at most this often while indexing (s).
_PROGRESS_INTERVAL = 0.2
_PEOPLE_INTERVAL = 1.0


class FaceItem(NamedTuple):
    """A face as a grid shows it (a tuple: lists of 10,000 cross the pipe fast)."""

    face_id: str
    path: str | None
    similarity: float | None = None


@dataclass(frozen=True)
class PhotoFace:
    face_id: str
    bbox: tuple[float, float, float, float]
    cluster_id: int | None
    name: str | None


@dataclass(frozen=True)
class PhotoInfo:
    """A photo for the viewer: its file, its faces, and the photos of the same
    person before and after it."""

    path: str
    size: tuple[int, int]
    faces: list[PhotoFace]
    face_id: str
    previous_face: str | None = None
    next_face: str | None = None
    position: tuple[int, int] = (0, 0)


@dataclass
class Progress:
    label: str
    done: int = 0
    total: int = 0
    faces: int = 0
    seconds_left: float | None = None


@dataclass
class LibraryInfo:
    folder: Path
    thumbnails: Path
    folders: list[str] = field(default_factory=list)
    threshold: float | None = None  # the grouping threshold the library uses


class LibraryService:
    """Owns a FaceLibrary. Runs `do_<name>` calls and answers with events,
    `emit(event, *args)`; the events are the GUI's LibraryBridge signals:

        opened(LibraryInfo), openFailed(message), peopleChanged([Person],
        unassigned count), facesReady(key, [FaceItem]), changed(ChangeSet,
        is new), progress(Progress), jobFinished(job, summary),
        photoReady(PhotoInfo), foldersChanged([folder]), unreadable([(path, reason)]
        of the last indexing), error(message), closed()

    `poll()` returns the next waiting call or None: during a long job the
    service handles the calls that arrive between two photos.
    """

    def __init__(self, emit: Callable[..., None], poll: Callable[[], tuple | None], cancel_event) -> None:
        self.emit = emit
        self.poll = poll
        self.library = None
        self.cancel_event = cancel_event
        self.quitting = False
        self._busy = False
        self._queue: list[tuple[str, tuple]] = []
        self._last_people = 0.0

    def dispatch(self, name: str, args: tuple) -> None:
        """Run `do_<name>(*args)`; long jobs queue while another runs."""
        if self._busy and name in _AFTER_JOB:
            # Jobs wait for the running one; so do changes of library under it.
            if name in ("open", "close"):
                # The library is being left: its running and waiting jobs stop.
                self.cancel_event.set()
                self._queue = [call for call in self._queue if call[0] not in _JOBS]
            self._queue.append((name, args))
            return
        if self.quitting and name in _JOBS:
            return
        try:
            getattr(self, f"do_{name}")(*args)
        except FaceOrganizerError as exc:
            self.emit("error", str(exc))
        except Exception as exc:  # a bug: say so, keep the window alive
            log.exception("%s failed", name)
            self.emit("error", f"{name} failed: {exc}")

    # -- library ------------------------------------------------------------------

    def do_open(self, library_dir: str | None, qdrant_url: str | None, settings: Settings) -> None:
        from faceorganizer.library import FaceLibrary

        self.do_close(emit=False)
        try:
            self.library = FaceLibrary(library_dir or None, qdrant_url=qdrant_url or None, settings=settings)
        except LibraryLockedError as exc:
            self.emit("openFailed", str(exc))
            return
        except Exception as exc:
            log.exception("cannot open the library")
            self.emit("openFailed", f"The library could not be opened: {exc}")
            return
        lib = self.library
        self.emit("opened", LibraryInfo(lib.folder, lib.thumbnails.folder, lib.folders(), lib.cluster_threshold))
        self._emit_people()

    def do_close(self, emit: bool = True) -> None:
        if self.library is not None:
            self.library.close()
            self.library = None
        if emit:
            self.emit("closed")

    def do_settings(self, settings: Settings) -> None:
        if self.library is not None:
            self.library.settings = settings

    # -- reading ------------------------------------------------------------------

    def do_people(self) -> None:
        self._emit_people()

    def _emit_people(self) -> None:
        lib = self.library
        if lib is None:
            return
        self._last_people = time.monotonic()
        self.emit("peopleChanged", lib.people(include_hidden=True), lib.unassigned_count())

    def do_faces(self, key) -> None:
        lib = self.library
        if lib is None:
            return
        catalog = lib.catalog
        if key == UNASSIGNED:
            ids = lib.unassigned_faces()
            similarity = [None] * len(ids)
        else:
            if not catalog.face_count(key):
                self.emit("facesReady", key, [])
                return
            ids = lib.faces_of(key)
            rows = [catalog.row[f] for f in ids]
            similarity = catalog.similarity_to_person(rows, key).tolist()
        paths = lib.paths_of(ids)
        self.emit("facesReady", key, [FaceItem(f, paths.get(f), s) for f, s in zip(ids, similarity)])

    def do_photo(self, face_id: str, key) -> None:
        """The photo of a face, for the viewer; `key` is the list it was opened from."""
        lib = self.library
        face = lib.get_face(face_id)
        faces = []
        for other in lib.faces_in_photo(face["image_id"]):
            if other.get("not_a_face"):
                continue
            cid = other.get("cluster_id")
            person = lib.catalog.people.get(cid) if cid is not None else None
            faces.append(PhotoFace(other["id"], tuple(other["bbox"]), cid, person.name if person else None))
        # The person's photos in path order, one face each, for previous and next.
        order = lib.unassigned_faces() if key == UNASSIGNED else lib.catalog.face_ids_of(key)
        paths = lib.paths_of(order)
        order = sorted(order, key=lambda f: (paths.get(f) or "", f))
        i = order.index(face_id) if face_id in order else -1
        self.emit("photoReady", PhotoInfo(
            face["path"], tuple(face.get("image_size") or (0, 0)), faces, face_id,
            order[i - 1] if i > 0 else None,
            order[i + 1] if 0 <= i < len(order) - 1 else None,
            (i + 1, len(order)),
        ))

    # -- changes ------------------------------------------------------------------

    def do_change(self, operation: str, args: tuple) -> None:
        """A correction by the user: one of the library's operations."""
        change: ChangeSet = getattr(self.library, operation)(*args)
        if change:
            self.emit("changed", change, True)
        self._emit_people()

    def do_apply(self, change: ChangeSet) -> None:
        """Undo or redo: bring the library to the change-set's after-state."""
        self.library.apply(change)
        self.emit("changed", change, False)
        self._emit_people()

    # -- folders and long jobs ----------------------------------------------------

    def do_add_folders(self, folders: list[str]) -> None:
        self.library.add_folders(folders)
        self.emit("foldersChanged", self.library.folders())
        self.dispatch("index", (folders,))

    def do_remove_folder(self, folder: str) -> None:
        removed = self.library.remove_folder(folder)
        self.emit("foldersChanged", self.library.folders())
        self._emit_people()
        self.emit("jobFinished", "remove", f"Removed {folder} ({removed:,} faces forgotten)")

    def do_index(self, folders: list[str] | None = None, resume: bool = False) -> None:
        """Index `folders` (all the library's). `resume` is the check when the
        window opens: it finishes what a run cut short left, takes in what
        changed meanwhile, and says nothing (no progress, an empty summary)
        when nothing did."""
        lib = self.library
        folders = folders or lib.folders()
        self._busy = True
        self.cancel_event.clear()
        started = time.monotonic()
        progress = Progress("Indexing")
        last_emit = 0.0
        indexed = found = failed = removed = 0
        unreadable_photos: list[tuple[str, str]] = []
        unreadable_folders: list[tuple[str, str]] = []
        try:
            for folder in folders:
                if self.cancel_event.is_set():
                    break
                progress.label = f"Indexing {Path(folder).name or folder}"
                folder_started = time.monotonic()

                def report_progress(now: float, last: bool = False) -> None:
                    nonlocal last_emit
                    if (now - last_emit >= _PROGRESS_INTERVAL or last) and (progress.total or not resume):
                        last_emit = now
                        self.emit("progress", progress)

                def on_photo(outcome):
                    # (Photos are reported as they are written, after their progress.)
                    progress.faces += len(outcome.face_ids)
                    report_progress(time.monotonic())

                def on_progress(done, total):
                    now = time.monotonic()
                    progress.done, progress.total = done, total
                    if done:
                        rate = (now - folder_started) / done
                        progress.seconds_left = rate * (total - done)
                    report_progress(now, last=done == total)
                    if now - self._last_people >= _PEOPLE_INTERVAL:
                        self._emit_people()
                    # Handle the user's corrections that arrived meanwhile.
                    self._pump()

                report = lib.index_directory(folder, on_progress=on_progress, on_photo=on_photo,
                                             cancel=self.cancel_event)
                indexed += report.indexed
                found += report.faces_found
                failed += len(report.failed)
                removed += report.removed
                unreadable_photos += report.failed + report.still_failing
                unreadable_folders += report.unreadable_folders
        finally:
            self._busy = False
        self._emit_people()
        if resume and not (indexed or failed or removed or unreadable_folders or self.cancel_event.is_set()):
            self.emit("jobFinished", "index", "")
        else:
            verb = "Stopped" if self.cancel_event.is_set() else "Indexed"
            summary = f"{verb}: {count(indexed, 'photo')}, {count(found, 'face')} found"
            if removed:
                summary += f", {count(removed, 'photo')} gone (their faces forgotten)"
            for things, kind in ((unreadable_photos, "photo"), (unreadable_folders, "folder")):
                if things:
                    summary += f", {count(len(things), kind)} could not be read"
            summary += f" ({duration(time.monotonic() - started)})"
            self.emit("unreadable", unreadable_folders + unreadable_photos)
            self.emit("jobFinished", "index", summary)
        self._next_job()

    def do_recluster(self) -> None:
        self._busy = True
        self.emit("progress", Progress("Grouping faces into people"))
        try:
            change = self.library.recluster()
        finally:
            self._busy = False
        if change:
            self.emit("changed", change, True)
        self._emit_people()
        self.emit("jobFinished", "recluster", f"{len(self.library.people()):,} people")
        self._next_job()

    def _pump(self) -> None:
        while (call := self.poll()) is not None:
            self.dispatch(*call)

    def _next_job(self) -> None:
        if self.cancel_event.is_set():
            # Cancel stops what waits too.
            self._queue = [call for call in self._queue if call[0] not in _JOBS]
        if self._queue:
            name, args = self._queue.pop(0)
            self.dispatch(name, args)


def serve(connection, cancel_event) -> None:
    """The child process: run calls from `connection` until it sends None."""
    if hasattr(os, "nice"):
        os.nice(5)  # background work: the window and the user's programs first
    logging.basicConfig(level=logging.WARNING, format="faceorganizer: %(levelname)s: %(message)s")

    def poll():
        try:
            if not connection.poll():
                return None
            call = connection.recv()
        except (EOFError, OSError):  # the window is gone
            call = None
        if call is None:
            service.quitting = True
            cancel_event.set()
            return None
        return call

    def emit(event: str, *args) -> None:
        try:
            connection.send((event, args))
        except (BrokenPipeError, OSError):  # the window is gone
            service.quitting = True
            cancel_event.set()

    service = LibraryService(emit, poll, cancel_event)
    try:
        while not service.quitting:
            try:
                call = connection.recv()
            except (EOFError, OSError):
                break
            if call is None:
                break
            service.dispatch(*call)
    finally:
        service.do_close(emit=False)
        connection.close()

