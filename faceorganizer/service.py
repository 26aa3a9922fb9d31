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

from faceorganizer import photos, read_models, review
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
    AddFace,
    AddFolders,
    Answer,
    Call,
    Changed,
    ChangeSettings,
    ChangeSidecarSettings,
    Close,
    Closed,
    Command,
    Correction,
    ExcludeFolder,
    FacesReady,
    Failure,
    FindSmallFaces,
    FoldersChanged,
    Hello,
    HistoryChanged,
    Hide,
    HideStrangers,
    IgnorePhoto,
    Index,
    Job,
    JobFinished,
    LibraryInfo,
    ListFaces,
    ListPeople,
    ListPhotos,
    ListQuestions,
    Merge,
    Migrate,
    MoveFaces,
    NameFace,
    NotAFace,
    NotThisPerson,
    Open,
    Opened,
    OpenFailed,
    PeopleChanged,
    PhotoReady,
    PhotosReady,
    Progress,
    QuestionsReady,
    Recluster,
    Redo,
    RemoveFolder,
    Rename,
    Repair,
    Reply,
    SetBirthday,
    SettingsChanged,
    ShowPhoto,
    SidecarSettingsChanged,
    SidecarsNotWritten,
    Undo,
    Unreadable,
    WatchFolders,
    WriteSidecars,
)
from faceorganizer.review_queue import ReviewQueue
from faceorganizer.store import as_disk_full
from faceorganizer.strangers import hide_strangers, ignore_photo
from faceorganizer.watching import FolderWatcher, rewatched

log = logging.getLogger(__name__)

#: Progress and the people list go out at most this often while indexing (s).
_PROGRESS_INTERVAL = 0.2
_PEOPLE_INTERVAL = 1.0
#: After this long without a call, the library's writes are made durable (s).
_IDLE_SECONDS = 1.0
#: How often the review questions being computed are looked for (s).
_QUESTIONS_SECONDS = 0.2

#: The engines as the user knows them.
_ENGINE_NAMES = {"edge": "Qdrant Edge", "local": "qdrant-client's local mode"}

#: Each correction and the library operation that makes it.
_CORRECTIONS: dict[type[Correction], Callable] = {
    Merge: lambda library, c: library.merge_clusters([c.target, *c.sources]),
    MoveFaces: lambda library, c: library.reassign_faces(list(c.face_ids), c.target),
    Rename: lambda library, c: library.rename(c.cluster_id, c.name, allow_duplicate=c.allow_duplicate),
    SetBirthday: lambda library, c: library.set_birthday(c.cluster_id, c.born),
    Hide: lambda library, c: library.hide(list(c.cluster_ids), hidden=c.hidden),
    HideStrangers: lambda library, c: hide_strangers(library, c.max_faces),
    IgnorePhoto: lambda library, c: ignore_photo(library, c.face_id),
    NotThisPerson: lambda library, c: library.not_this_person(list(c.face_ids)),
    NotAFace: lambda library, c: library.not_a_face(list(c.face_ids)),
    NameFace: lambda library, c: library.name_face(c.face_id, c.name),
    AddFace: lambda library, c: library.add_face(c.path, c.box, name=c.name),
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
        self._opened_with = Open()
        self.review = ReviewQueue()
        self.cancel_event = cancel_event
        self.quitting = False
        self._busy = False
        self._queue: list[Call] = []
        self._last_people = 0.0
        self.watching = False  # the window asked to index what changes in the folders
        self.watcher: FolderWatcher | None = None
        self._progress_sent = 0.0
        self.photo_table: photos.PhotoTable | None = None
        self._handlers: dict[type[Command], Callable[[Command], object]] = {
            Open: self._open,
            Close: self._close,
            ListPeople: lambda _: self._send_people(),
            ListFaces: self._faces,
            ShowPhoto: self._photo,
            ListQuestions: lambda _: self._send_questions(),
            Answer: self._answer,
            ListPhotos: self._photos,
            Undo: lambda _: self._walk_log(undo=True),
            Redo: lambda _: self._walk_log(undo=False),
            ChangeSettings: self._change_settings,
            ChangeSidecarSettings: self._change_sidecar_settings,
            AddFolders: self._add_folders,
            Index: self._index,
            Recluster: self._recluster,
            FindSmallFaces: self._find_small_faces,
            Repair: self._repair,
            RemoveFolder: self._remove_folder,
            Migrate: self._migrate,
            WatchFolders: self._watch,
            ExcludeFolder: self._exclude,
            WriteSidecars: self._write_sidecars,
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
            self.review = ReviewQueue()
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
        self._opened_with = command
        lib = self.library
        self.photo_table = photos.PhotoTable(lib)
        self.send(Opened(LibraryInfo(lib.folder, lib.thumbnails.folder, lib.folders(), lib.grouping_settings(),
                                     excluded=lib.excluded_folders(), engine=lib.store.engine,
                                     face_count=lib.count(), sidecars=lib.sidecar_settings())))
        self._rewatch()
        self._send_history()
        self._send_people()

    def idle(self) -> None:
        """Nothing to do: make the corrections so far durable on disk (they
        already survive a kill; this makes them survive a power cut), read
        the photos' listing fields into memory if not done yet, refresh the
        review questions, and index the watched folders that changed."""
        if self.library is not None:
            try:
                self.library.sync()
            except FaceOrganizerError as exc:  # a full disk: the journals keep every write
                log.warning("cannot sync the library: %s", exc)
            self.photo_table.load(seconds=0.25)  # a slice at a time, till the Photos view needs no store
            if self.review.collect():
                self._send_questions()
            self.review.refresh(self.library)
        if self.watcher is not None and not self._busy and (changed := self.watcher.due()):
            self.dispatch(Call(None, Index(tuple(changed))))

    def _close(self, _command: Close, say: bool = True) -> None:
        self.watcher = rewatched(self.watcher, None, False)
        if self.library is not None:
            self.library.close()
            self.library = None
        if say:
            self.send(Closed())

    def _change_settings(self, command: ChangeSettings) -> None:
        settings = self.library.change_settings(cluster_threshold=command.cluster_threshold,
                                                min_faces=command.min_faces, min_face_size=command.min_face_size)
        self.send(SettingsChanged(settings))

    def _change_sidecar_settings(self, command: ChangeSidecarSettings) -> None:
        settings = self.library.change_sidecar_settings(command.style, command.write_after_corrections)
        self.send(SidecarSettingsChanged(settings))

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

    def _photos(self, command: ListPhotos) -> None:
        listed = photos.photos(self.library, command.people, command.folder, table=self.photo_table, boxes=False)
        self.send(PhotosReady(command, photos.plain(listed)))

    def _photo(self, command: ShowPhoto) -> None:
        self.send(PhotoReady(read_models.photo(self.library, command.face_id, command.key)))

    def _send_questions(self) -> None:
        self.send(QuestionsReady(*self.review.head(self.library)))

    # -- changes ------------------------------------------------------------------

    def _answer(self, command: Answer) -> None:
        question = self.review.find(command.question_id)
        change = (review.accept if command.yes else review.reject)(self.library, question)
        self._changed(change, CORRECTED, change.description)

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
        self.review.changed(change)
        if self.review.computed:  # the next question at once; the queue is computed again when idle
            self._send_questions()
        if cause != REGROUPED and self.library.settings.write_sidecars:
            from faceorganizer.sidecars import touched_photos

            if photos := touched_photos(self.library, change):
                self._queue.append(Call(None, WriteSidecars(photos=tuple(photos))))

    # -- folders and long jobs ----------------------------------------------------

    def _watch(self, command: WatchFolders) -> None:
        self.watching = command.on
        self._rewatch()

    def _rewatch(self) -> None:
        self.watcher = rewatched(self.watcher, self.library, self.watching)

    def _folders_changed(self) -> None:
        self.send(FoldersChanged(self.library.folders(), self.library.excluded_folders()))
        self._rewatch()

    def _add_folders(self, command: AddFolders) -> None:
        self.library.add_folders(command.folders)
        self._folders_changed()
        self.dispatch(Call(None, Index(tuple(command.folders))))

    def _exclude(self, command: ExcludeFolder) -> None:
        forgotten = self.library.exclude_folder(command.folder, command.excluded)
        self._folders_changed()
        self._send_people()
        if command.excluded:
            self.send(JobFinished(command.job, f"{command.folder} is left out of indexing"
                                               f" ({count(forgotten, 'face')} forgotten)"))
        else:
            self.send(JobFinished(command.job, ""))
            self.dispatch(Call(None, Index((command.folder,))))

    def _remove_folder(self, command: RemoveFolder) -> None:
        removed = self.library.remove_folder(command.folder)
        self._folders_changed()
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
                    if progress.total or not resume:
                        self._send_progress(progress, now, last)

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

    def _find_small_faces(self, command: FindSmallFaces) -> None:
        self._busy = True
        self.cancel_event.clear()
        started = last_sent = time.monotonic()
        progress = Progress("Looking for small faces")

        def on_progress(done, total):
            nonlocal last_sent
            progress.done, progress.total = done, total
            if time.monotonic() - last_sent >= _PROGRESS_INTERVAL or done == total:
                last_sent = time.monotonic()
                self.send(progress)
            self._pump()

        try:
            report = self.library.find_small_faces(on_progress, cancel=self.cancel_event)
        finally:
            self._busy = False
        self._send_people()
        self.send(JobFinished(command.job, f"{'Stopped' if report.cancelled else 'Looked closer'}: "
                                           f"{count(report.indexed, 'photo')}, {count(report.faces_found, 'face')}"
                                           f" found ({duration(time.monotonic() - started)})"))

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

    def _migrate(self, command: Migrate) -> None:
        """Copy every face into the other engine with progress, check it,
        switch to it (the library closes), and open the library again."""
        self._busy = True
        progress = Progress(f"Moving the faces to {_ENGINE_NAMES.get(command.engine, command.engine)}")
        started = time.monotonic()

        def on_progress(done: int, total: int) -> None:
            now = time.monotonic()
            progress.done, progress.total = done, total
            if done:
                progress.seconds_left = (now - started) / done * (total - done)
            self._send_progress(progress, now, last=done == total)

        self.send(progress)
        try:
            report = self.library.migrate(command.engine, on_progress)
        finally:
            self._busy = False
            self._open(self._opened_with)  # closed by the migration, whether it finished or not
        self.send(JobFinished(command.job, (
            f"Moved {count(report.faces, 'face')} and {count(report.corrections, 'correction')} to "
            f"{_ENGINE_NAMES.get(report.target, report.target)} and checked them "
            f"({duration(time.monotonic() - started)}); the old store is kept in {report.retired} until you delete it")))

    def _write_sidecars(self, command: WriteSidecars) -> None:
        """Write names into sidecars; after a correction (`photos` given),
        quietly but for the photos whose sidecar could not be written."""
        from faceorganizer.sidecars import write_sidecars

        lib, asked = self.library, command.photos is None
        self._busy = True
        progress = Progress("Writing XMP sidecars")

        def on_progress(done: int, total: int) -> None:
            progress.done, progress.total = done, total
            if asked:
                self._send_progress(progress, time.monotonic(), last=done == total)
            self._pump()

        try:
            report = write_sidecars(lib, people=command.cluster_ids or None, photos=command.photos,
                                    style=lib.settings.sidecar_style, on_progress=on_progress)
        finally:
            self._busy = False
        self.send(SidecarsNotWritten(report.failed))
        self.send(JobFinished(command.job, report.summary() if asked or report.failed else ""))

    def _send_progress(self, progress: Progress, now: float, last: bool) -> None:
        """Send the progress of the running job, at most every _PROGRESS_INTERVAL but for the last."""
        if now - self._progress_sent >= _PROGRESS_INTERVAL or last:
            self._progress_sent = now
            self.send(progress)

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
                if not connection.poll(_QUESTIONS_SECONDS if service.review.running else _IDLE_SECONDS):
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
