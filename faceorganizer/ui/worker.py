"""The one thread that owns the library: every store access happens here.

The GUI talks to it through `LibraryClient.call(name, *args)`, which queues a
call to `LibraryWorker.do_<name>` on the worker thread; results come back as
signals, delivered on the GUI thread. Indexing runs here too, in slices: between
two photos the worker handles queued calls, so a merge or a rename made while a
big folder is being indexed is done at once, not after the indexing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from faceorganizer.config import Settings
from faceorganizer.errors import FaceOrganizerError, LibraryLockedError
from faceorganizer.people import ChangeSet, Person

log = logging.getLogger(__name__)

UNASSIGNED = "unassigned"

#: Calls that wait while a job (indexing, re-clustering) runs.
_AFTER_JOB = frozenset({"index", "recluster", "open", "close", "remove_folder"})

#: Progress and the people list reach the GUI at most this often while indexing (s).
_PROGRESS_INTERVAL = 0.2
_PEOPLE_INTERVAL = 1.0


@dataclass(frozen=True)
class FaceItem:
    """A face as a grid shows it."""

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


class LibraryWorker(QObject):
    """Owns a FaceLibrary on its thread. Signals carry plain Python objects,
    declared `object`: a `list` parameter would be converted element by element
    (to a QVariantList and back), holding the GIL for the whole of a 10,000
    face list while the GUI thread waits for it."""

    opened = Signal(object)  # LibraryInfo
    openFailed = Signal(str)  # a message for the user
    peopleChanged = Signal(object, int)  # [Person], unassigned face count
    facesReady = Signal(object, object)  # key (person id or UNASSIGNED), [FaceItem]
    changed = Signal(object, bool)  # ChangeSet, whether it is a new user action
    progress = Signal(object)  # Progress
    jobFinished = Signal(str, str)  # job, summary for the status bar
    photoReady = Signal(object)  # PhotoInfo
    foldersChanged = Signal(object)  # [str]
    error = Signal(str)
    closed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.library = None
        self.cancel_event = threading.Event()
        self._busy = False
        self._queue: list[tuple[str, tuple]] = []
        self._last_people = 0.0

    @Slot(str, object)
    def dispatch(self, name: str, args: tuple) -> None:
        """Run `do_<name>(*args)`; long jobs queue while another runs."""
        if self._busy and name in _AFTER_JOB:
            # Jobs wait for the running one; so do changes of library under it.
            if name == "close":
                self.cancel_event.set()
            self._queue.append((name, args))
            return
        try:
            getattr(self, f"do_{name}")(*args)
        except FaceOrganizerError as exc:
            self.error.emit(str(exc))
        except Exception as exc:  # a bug: say so, keep the window alive
            log.exception("%s failed", name)
            self.error.emit(f"{name} failed: {exc}")

    # -- library ------------------------------------------------------------------

    def do_open(self, library_dir: str | None, qdrant_url: str | None, settings: Settings) -> None:
        from faceorganizer.library import FaceLibrary, lower_thread_priority

        # The store's Python competes with the window's for the CPU and the
        # GIL: the window goes first.
        lower_thread_priority(5)

        self.do_close(emit=False)
        try:
            self.library = FaceLibrary(library_dir or None, qdrant_url=qdrant_url or None, settings=settings)
        except LibraryLockedError as exc:
            self.openFailed.emit(str(exc))
            return
        except Exception as exc:
            log.exception("cannot open the library")
            self.openFailed.emit(f"The library could not be opened: {exc}")
            return
        lib = self.library
        self.opened.emit(LibraryInfo(lib.folder, lib.thumbnails.folder, lib.folders()))
        self._emit_people()

    def do_close(self, emit: bool = True) -> None:
        if self.library is not None:
            self.library.close()
            self.library = None
        if emit:
            self.closed.emit()

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
        self.peopleChanged.emit(lib.people(include_hidden=True), len(lib.unassigned_faces()))

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
                self.facesReady.emit(key, [])
                return
            ids = lib.faces_of(key)
            rows = [catalog.row[f] for f in ids]
            similarity = catalog.similarity_to_person(rows, key).tolist()
        paths = lib.paths_of(ids)
        self.facesReady.emit(key, [FaceItem(f, paths.get(f), s) for f, s in zip(ids, similarity)])

    def do_photo(self, face_id: str, key) -> None:
        """The photo of a face, for the viewer; `key` is the list it was opened from."""
        lib = self.library
        face = lib.get_face(face_id)
        faces = []
        for other in lib.faces.get_by_filter("image_id", face["image_id"]):
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
        self.photoReady.emit(PhotoInfo(
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
            self.changed.emit(change, True)
        self._emit_people()

    def do_apply(self, change: ChangeSet) -> None:
        """Undo or redo: bring the library to the change-set's after-state."""
        self.library.apply(change)
        self.changed.emit(change, False)
        self._emit_people()

    # -- folders and long jobs ----------------------------------------------------

    def do_add_folders(self, folders: list[str]) -> None:
        self.library.add_folders(folders)
        self.foldersChanged.emit(self.library.folders())
        self.dispatch("index", (folders,))

    def do_remove_folder(self, folder: str) -> None:
        removed = self.library.remove_folder(folder)
        self.foldersChanged.emit(self.library.folders())
        self._emit_people()
        self.jobFinished.emit("remove", f"Removed {folder} ({removed:,} faces forgotten)")

    def do_index(self, folders: list[str] | None = None) -> None:
        lib = self.library
        folders = folders or lib.folders()
        self._busy = True
        self.cancel_event.clear()
        started = time.monotonic()
        progress = Progress("Indexing")
        last_emit = 0.0
        indexed = failed = found = 0
        try:
            for folder in folders:
                if self.cancel_event.is_set():
                    break
                progress.label = f"Indexing {_short(folder)}"
                folder_started = time.monotonic()

                def on_photo(outcome):
                    progress.faces += len(outcome.face_ids)

                def on_progress(done, total):
                    nonlocal last_emit
                    now = time.monotonic()
                    progress.done, progress.total = done, total
                    if done:
                        rate = (now - folder_started) / done
                        progress.seconds_left = rate * (total - done)
                    if now - last_emit >= _PROGRESS_INTERVAL or done == total:
                        last_emit = now
                        self.progress.emit(progress)
                    if now - self._last_people >= _PEOPLE_INTERVAL:
                        self._emit_people()
                    # Handle the user's corrections queued meanwhile.
                    QCoreApplication.processEvents()

                report = lib.index_directory(folder, on_progress=on_progress, on_photo=on_photo,
                                             cancel=self.cancel_event)
                indexed += report.indexed
                failed += len(report.failed) + len(report.unreadable_folders)
                found += report.faces_found
        finally:
            self._busy = False
        self._emit_people()
        verb = "Stopped" if self.cancel_event.is_set() else "Indexed"
        summary = f"{verb}: {indexed:,} photos, {found:,} faces found"
        if failed:
            summary += f", {failed:,} could not be read"
        summary += f" ({_seconds(time.monotonic() - started)})"
        self.jobFinished.emit("index", summary)
        self._next_job()

    def do_recluster(self) -> None:
        self._busy = True
        self.progress.emit(Progress("Grouping faces into people"))
        try:
            change = self.library.recluster()
        finally:
            self._busy = False
        if change:
            self.changed.emit(change, True)
        self._emit_people()
        self.jobFinished.emit("recluster", f"{len(self.library.people()):,} people")
        self._next_job()

    def _next_job(self) -> None:
        if self._queue:
            name, args = self._queue.pop(0)
            self.dispatch(name, args)


class LibraryClient(QObject):
    """The GUI's handle on the worker thread."""

    _call = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("faceorganizer-library")
        self.worker = LibraryWorker()
        self.worker.moveToThread(self.thread)
        self._call.connect(self.worker.dispatch)
        self.thread.start()

    def call(self, name: str, *args) -> None:
        self._call.emit(name, args)

    def cancel(self) -> None:
        """Stop the running job after the photos in progress (thread-safe)."""
        self.worker.cancel_event.set()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel what runs, close the library and end the thread."""
        if not self.thread.isRunning():
            return
        self.cancel()
        self.call("close")
        self.thread.quit()
        self.thread.wait(timeout_ms)


def _short(folder: str) -> str:
    home = str(Path.home())
    return "~" + folder[len(home):] if folder.startswith(home + "/") else folder


def _seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"
