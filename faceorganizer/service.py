"""The library service: the one process that owns the library.

The window runs it in a child process (faceorganizer.ui.worker starts it) and
talks to it over a pipe in the messages of faceorganizer.protocol: calls with
an id come in, one reply per call and events go out. A process, not a
thread, because the embedded store is pure Python: on a thread it would hold
the GIL for most of an indexing run, and every paint of the window (a Python
call per tile) would wait for it.

This module imports no Qt.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from faceorganizer import read_models
from faceorganizer.config import default_library_dir
from faceorganizer.errors import DiskFullError, FaceOrganizerError, LibraryDamagedError, LibraryLockedError
from faceorganizer.humanize import count, duration, lower_first
from faceorganizer.people import ChangeSet
from faceorganizer.protocol import (
    CORRECTED,
    DISK_FULL,
    PROTOCOL_VERSION,
    REDONE,
    REGROUPED,
    UNDONE,
    UNEXPECTED,
    AddFolders,
    Call,
    Changed,
    ChangeSettings,
    Close,
    Closed,
    Command,
    Correction,
    FacesReady,
    Failure,
    FoldersChanged,
    Hello,
    HistoryChanged,
    Hide,
    Index,
    Job,
    JobFinished,
    LibraryInfo,
    ListFaces,
    ListPeople,
    Merge,
    MoveFaces,
    NotAFace,
    NotThisPerson,
    Open,
    Opened,
    OpenFailed,
    PeopleChanged,
    PhotoReady,
    Progress,
    Recluster,
    Redo,
    RemoveFolder,
    Rename,
    Repair,
    Reply,
    SettingsChanged,
    ShowPhoto,
    Undo,
    Unreadable,
)
from faceorganizer.store import as_disk_full

log = logging.getLogger(__name__)

#: Progress and the people list go out at most this often while indexing (s).
_PROGRESS_INTERVAL = 0.2
_PEOPLE_INTERVAL = 1.0
#: After this long without a call, the library's writes are made durable (s).
_IDLE_SECONDS = 1.0

#: Each correction and the library operation that makes it.
_CORRECTIONS: dict[type[Correction], Callable] = {
    Merge: lambda library, c: library.merge_clusters([c.target, *c.sources]),
    MoveFaces: lambda library, c: library.reassign_faces(list(c.face_ids), c.target),
    Rename: lambda library, c: library.rename(c.cluster_id, c.name, allow_duplicate=c.allow_duplicate),
    Hide: lambda library, c: library.hide(list(c.cluster_ids), hidden=c.hidden),
    NotThisPerson: lambda library, c: library.not_this_person(list(c.face_ids)),
    NotAFace: lambda library, c: library.not_a_face(list(c.face_ids)),
}


class LibraryService:
    """Owns a FaceLibrary and runs the calls of faceorganizer.protocol on it.

    `send(message)` sends a reply or an event; `poll()` returns the next
    waiting call or None: during a long job the service handles the calls
    that arrive between two photos. Jobs run one at a time; the others wait.
    """

    def __init__(self, send: Callable[[object], None], poll: Callable[[], Call | None], cancel_event) -> None:
        self.send = send
        self.poll = poll
        self.library = None
        self.cancel_event = cancel_event
        self.quitting = False
        self._busy = False
        self._queue: list[Call] = []
        self._last_people = 0.0
        self._handlers: dict[type[Command], Callable[[Command], object]] = {
            Open: self._open,
            Close: self._close,
            ListPeople: lambda _: self._send_people(),
            ListFaces: self._faces,
            ShowPhoto: self._photo,
            Undo: lambda _: self._walk_log(undo=True),
            Redo: lambda _: self._walk_log(undo=False),
            ChangeSettings: self._change_settings,
            AddFolders: self._add_folders,
            Index: self._index,
            Recluster: self._recluster,
            Repair: self._repair,
            RemoveFolder: self._remove_folder,
            **{kind: self._correct for kind in _CORRECTIONS},
        }

    def dispatch(self, call: Call) -> None:
        """Run a call and reply to it; jobs wait while another runs."""
        command = call.command
        if self._busy and isinstance(command, (Job, Open, Close)):
            if isinstance(command, (Open, Close)):
                # The library is being left: its running and waiting jobs stop.
                self.cancel_event.set()
                self._drop_waiting_jobs()
            self._queue.append(call)
            return
        if self.quitting and isinstance(command, Job):
            self.send(Reply(call.id))
            return
        try:
            handler = self._handlers[type(command)]
            if self.library is None and not isinstance(command, (Open, Close, Repair)):
                raise FaceOrganizerError("no library is open.")
            result = handler(command)
        except DiskFullError as exc:
            self._fail(call, str(exc), DISK_FULL)
        except FaceOrganizerError as exc:
            self._fail(call, str(exc))
        except Exception as exc:
            if full := self.library and as_disk_full(exc, self.library.folder):  # another program filled it
                self._fail(call, str(full), DISK_FULL)
            else:  # a bug: say so, keep the window alive
                log.exception("%s failed", type(command).__name__)
                self._fail(call, f"unexpected error: {type(exc).__name__}: {exc}", UNEXPECTED, traceback.format_exc())
        else:
            self.send(Reply(call.id, result))
        self._next_job()

    def _fail(self, call: Call, message: str, kind: str = "", details: str = "") -> None:
        if isinstance(call.command, Job):
            self.send(JobFinished(call.command.job, ""))  # the window's progress bar ends with it
        self.send(Reply(call.id, failure=Failure(call.command.action, message, kind, details)))

    # -- library ------------------------------------------------------------------

    def _open(self, command: Open) -> None:
        from faceorganizer.library import FaceLibrary

        self._close(Close(), say=False)
        try:
            self.library = FaceLibrary(command.library_dir or None, qdrant_url=command.qdrant_url or None)
        except LibraryLockedError as exc:
            self.send(OpenFailed(str(exc)))
            return
        except LibraryDamagedError as exc:
            self.send(OpenFailed(str(exc), damaged=True))
            return
        except Exception as exc:
            log.exception("cannot open the library")
            self.send(OpenFailed(f"The library could not be opened: {exc}"))
            return
        lib = self.library
        self.send(Opened(LibraryInfo(lib.folder, lib.thumbnails.folder, lib.folders(), lib.grouping_settings())))
        self._send_history()
        self._send_people()

    def idle(self) -> None:
        """Nothing to do: make the corrections so far durable on disk (they
        already survive a kill; this makes them survive a power cut)."""
        if self.library is not None:
            try:
                self.library.sync()
            except FaceOrganizerError as exc:  # a full disk: the journals keep every write
                log.warning("cannot sync the library: %s", exc)

    def _close(self, _command: Close, say: bool = True) -> None:
        if self.library is not None:
            self.library.close()
            self.library = None
        if say:
            self.send(Closed())

    def _change_settings(self, command: ChangeSettings) -> None:
        settings = self.library.change_settings(cluster_threshold=command.cluster_threshold,
                                                min_faces=command.min_faces, min_face_size=command.min_face_size)
        self.send(SettingsChanged(settings))

    # -- reading ------------------------------------------------------------------

    def _send_people(self) -> None:
        lib = self.library
        if lib is None:
            return
        self._last_people = time.monotonic()
        self.send(PeopleChanged(lib.people(include_hidden=True), lib.unassigned_count()))

    def _send_history(self) -> None:
        """What Undo and Redo would do, in the Edit menu's words."""
        entries = self.library.history()  # newest first
        undo = next((e["description"] for e in entries if not e["undone"]), None)
        redo = next((e["description"] for e in reversed(entries) if e["undone"]), None)
        self.send(HistoryChanged(undo and f"Undo {lower_first(undo)}", redo and f"Redo {lower_first(redo)}"))

    def _faces(self, command: ListFaces) -> None:
        self.send(FacesReady(command.key, read_models.face_list(self.library, command.key)))

    def _photo(self, command: ShowPhoto) -> None:
        self.send(PhotoReady(read_models.photo(self.library, command.face_id, command.key)))

    # -- changes ------------------------------------------------------------------

    def _correct(self, command: Correction) -> None:
        change: ChangeSet = _CORRECTIONS[type(command)](self.library, command)
        self._changed(change, CORRECTED, change.description)

    def _walk_log(self, undo: bool) -> None:
        """Undo the newest correction not undone, or redo the oldest undone."""
        entries = self.library.history()  # newest first
        walked = (next((e for e in entries if not e["undone"]), None) if undo
                  else next((e for e in reversed(entries) if e["undone"]), None))
        change = self.library.undo() if undo else self.library.redo()
        if change is None or walked is None:
            raise FaceOrganizerError(f"there is nothing to {'undo' if undo else 'redo'}.")
        self._changed(change, UNDONE if undo else REDONE, walked["description"])

    def _changed(self, change: ChangeSet, cause: str, description: str) -> None:
        if change or cause != CORRECTED:
            self.send(Changed(change, cause, description))
        self._send_history()
        self._send_people()

    # -- folders and long jobs ----------------------------------------------------

    def _add_folders(self, command: AddFolders) -> None:
        self.library.add_folders(command.folders)
        self.send(FoldersChanged(self.library.folders()))
        self.dispatch(Call(None, Index(tuple(command.folders))))

    def _remove_folder(self, command: RemoveFolder) -> None:
        removed = self.library.remove_folder(command.folder)
        self.send(FoldersChanged(self.library.folders()))
        self._send_history()
        self._send_people()
        self.send(JobFinished(command.job, f"Removed {command.folder} ({removed:,} faces forgotten)"))

    def _index(self, command: Index) -> None:
        lib, resume = self.library, command.resume
        folders = list(command.folders or lib.folders())
        self._busy = True
        self.cancel_event.clear()
        started = time.monotonic()
        progress = Progress("Indexing")
        last_sent = 0.0
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
                    nonlocal last_sent
                    if (now - last_sent >= _PROGRESS_INTERVAL or last) and (progress.total or not resume):
                        last_sent = now
                        self.send(progress)

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
                        self._send_people()
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
        self._send_people()
        if resume and not (indexed or failed or removed or unreadable_folders or self.cancel_event.is_set()):
            self.send(JobFinished(command.job, ""))
            return
        verb = "Stopped" if self.cancel_event.is_set() else "Indexed"
        summary = f"{verb}: {count(indexed, 'photo')}, {count(found, 'face')} found"
        if removed:
            summary += f", {count(removed, 'photo')} gone (their faces forgotten)"
        for things, kind in ((unreadable_photos, "photo"), (unreadable_folders, "folder")):
            if things:
                summary += f", {count(len(things), kind)} could not be read"
        summary += f" ({duration(time.monotonic() - started)})"
        self.send(Unreadable(unreadable_folders + unreadable_photos))
        self.send(JobFinished(command.job, summary))

    def _repair(self, command: Repair) -> None:
        """Mend a damaged library as `faceorganizer check --repair` does, then open it."""
        from faceorganizer.library import FaceLibrary
        from faceorganizer.repair import reanalyse, repair

        self._close(Close(), say=False)
        folder = Path(command.library_dir) if command.library_dir else default_library_dir()
        self._busy = True
        self.send(Progress("Repairing the library"))

        def on_progress(done: int, total: int) -> None:
            self.send(Progress("Analysing again the photos whose faces were lost", done, total))

        try:
            report = repair(folder, lambda: FaceLibrary(folder), lambda lib: reanalyse(lib, on_progress))
        finally:
            self._busy = False
        self._open(Open(command.library_dir))
        self.send(JobFinished(command.job, f"Repaired: {report.summary()}"))

    def _recluster(self, command: Recluster) -> None:
        self._busy = True
        self.send(Progress("Grouping faces into people"))
        try:
            change = self.library.recluster()
        finally:
            self._busy = False
        self._changed(change, REGROUPED, change.description)
        self.send(JobFinished(command.job, f"{len(self.library.people()):,} people"))

    def _pump(self) -> None:
        while (call := self.poll()) is not None:
            self.dispatch(call)

    def _drop_waiting_jobs(self) -> None:
        """Forget the jobs waiting; each still gets its reply."""
        for call in [call for call in self._queue if isinstance(call.command, Job)]:
            self._queue.remove(call)
            self.send(Reply(call.id))

    def _next_job(self) -> None:
        if self._busy or not self._queue:
            return
        if self.cancel_event.is_set():
            self._drop_waiting_jobs()  # cancel stops what waits too
        if self._queue:
            self.dispatch(self._queue.pop(0))


def serve(connection, cancel_event) -> None:
    """The child process: say Hello, then run calls from `connection` until it sends None."""
    if hasattr(os, "nice"):
        os.nice(5)  # background work: the window and the user's programs first
    logging.basicConfig(level=logging.WARNING, format="faceorganizer: %(levelname)s: %(message)s")

    def poll() -> Call | None:
        try:
            if not connection.poll():
                return None
            call = connection.recv()
        except (EOFError, OSError):  # the window is gone
            call = None
        if call is None:
            service.quitting = True
            cancel_event.set()
        return call

    def send(message) -> None:
        try:
            connection.send(message)
        except (BrokenPipeError, OSError):  # the window is gone
            service.quitting = True
            cancel_event.set()

    service = LibraryService(send, poll, cancel_event)
    send(Hello(PROTOCOL_VERSION, os.getpid()))
    try:
        while not service.quitting:
            try:
                if not connection.poll(_IDLE_SECONDS):
                    service.idle()
                    continue
                call = connection.recv()
            except (EOFError, OSError):
                break
            if call is None:
                break
            service.dispatch(call)
    finally:
        service._close(Close(), say=False)
        connection.close()
