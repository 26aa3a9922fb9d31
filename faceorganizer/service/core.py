"""LibraryService: the service's calls on one library. It opens and closes
the library, answers the reading calls (people, faces, photos, review
questions), makes the corrections and walks their log, keeps the watched
folders, and hands the long jobs to LibraryJobs (service.jobs); jobs run one
at a time and the calls that arrive meanwhile are handled between two photos.

This module imports no Qt.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

from faceorganizer import photos, read_models, review
from faceorganizer.errors import DiskFullError, FaceOrganizerError, LibraryDamagedError, LibraryLockedError
from faceorganizer.humanize import lower_first
from faceorganizer.people import ChangeSet
from faceorganizer.protocol import (
    CORRECTED,
    DISK_FULL,
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
    SwitchModels,
    Undo,
    WatchFolders,
    WriteSidecars,
)
from faceorganizer.model_switch import models_in_words
from faceorganizer.review_queue import ReviewQueue
from faceorganizer.service.jobs import LibraryJobs
from faceorganizer.store import as_disk_full
from faceorganizer.strangers import hide_strangers, ignore_photo
from faceorganizer.watching import FolderWatcher, rewatched

log = logging.getLogger(__name__)

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
        self.opened_with = Open()  # opened again after a migration
        self.review = ReviewQueue()
        self.cancel_event = cancel_event
        self.quitting = False
        self.busy = False  # a job is running
        self._queue: list[Call] = []
        self.last_people = 0.0  # when the people list was last sent (monotonic s)
        self.watching = False  # the window asked to index what changes in the folders
        self.watcher: FolderWatcher | None = None
        self.photo_table: photos.PhotoTable | None = None
        self.jobs = LibraryJobs(self)
        self._handlers: dict[type[Command], Callable[[Command], object]] = {
            Open: self.open,
            Close: self._close,
            ListPeople: lambda _: self.send_people(),
            ListFaces: self._faces,
            ShowPhoto: self._photo,
            ListQuestions: lambda _: self._send_questions(),
            Answer: self._answer,
            ListPhotos: self._photos,
            Undo: lambda _: self._walk_log(undo=True),
            Redo: lambda _: self._walk_log(undo=False),
            ChangeSettings: self._change_settings,
            ChangeSidecarSettings: self._change_sidecar_settings,
            AddFolders: self.jobs.add_folders,
            Index: self.jobs.index,
            Recluster: self.jobs.recluster,
            FindSmallFaces: self.jobs.find_small_faces,
            SwitchModels: self.jobs.switch_models,
            Repair: self.jobs.repair,
            RemoveFolder: self.jobs.remove_folder,
            Migrate: self.jobs.migrate,
            WatchFolders: self._watch,
            ExcludeFolder: self.jobs.exclude,
            WriteSidecars: self.jobs.write_sidecars,
            **{kind: self._correct for kind in _CORRECTIONS},
        }

    def dispatch(self, call: Call) -> None:
        """Run a call and reply to it; jobs wait while another runs."""
        command = call.command
        if self.busy and isinstance(command, (Job, Open, Close)):
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

    def open(self, command: Open) -> None:
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
        self.opened_with = command
        lib = self.library
        self.photo_table = photos.PhotoTable(lib)
        self.send(Opened(LibraryInfo(lib.folder, lib.thumbnails.folder, lib.folders(), lib.grouping_settings(),
                                     excluded=lib.excluded_folders(), engine=lib.store.engine,
                                     face_count=lib.count(), sidecars=lib.sidecar_settings(),
                                     models=models_in_words(lib))))
        self.rewatch()
        self.send_history()
        self.send_people()

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
        if self.watcher is not None and not self.busy and (changed := self.watcher.due()):
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

    def send_people(self) -> None:
        lib = self.library
        if lib is None:
            return
        self.last_people = time.monotonic()
        self.send(PeopleChanged(lib.people(include_hidden=True), lib.unassigned_count()))

    def send_history(self) -> None:
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
        self.changed(change, CORRECTED, change.description)

    def _correct(self, command: Correction) -> None:
        change: ChangeSet = _CORRECTIONS[type(command)](self.library, command)
        self.changed(change, CORRECTED, change.description)

    def _walk_log(self, undo: bool) -> None:
        """Undo the newest correction not undone, or redo the oldest undone."""
        entries = self.library.history()  # newest first
        walked = (next((e for e in entries if not e["undone"]), None) if undo
                  else next((e for e in reversed(entries) if e["undone"]), None))
        change = self.library.undo() if undo else self.library.redo()
        if change is None or walked is None:
            raise FaceOrganizerError(f"there is nothing to {'undo' if undo else 'redo'}.")
        self.changed(change, UNDONE if undo else REDONE, walked["description"])

    def changed(self, change: ChangeSet, cause: str, description: str) -> None:
        if change or cause != CORRECTED:
            self.send(Changed(change, cause, description))
        self.send_history()
        self.send_people()
        self.review.changed(change)
        if self.review.computed:  # the next question at once; the queue is computed again when idle
            self._send_questions()
        if cause != REGROUPED and self.library.settings.write_sidecars:
            from faceorganizer.sidecars import touched_photos

            if photos := touched_photos(self.library, change):
                self._queue.append(Call(None, WriteSidecars(photos=tuple(photos))))

    # -- watching -------------------------------------------------------------------

    def _watch(self, command: WatchFolders) -> None:
        self.watching = command.on
        self.rewatch()

    def rewatch(self) -> None:
        self.watcher = rewatched(self.watcher, self.library, self.watching)

    # -- jobs -------------------------------------------------------------------------

    def pump(self) -> None:
        """Run the calls waiting; a job calls this between two photos."""
        while (call := self.poll()) is not None:
            self.dispatch(call)

    def _drop_waiting_jobs(self) -> None:
        """Forget the jobs waiting; each still gets its reply."""
        for call in [call for call in self._queue if isinstance(call.command, Job)]:
            self._queue.remove(call)
            self.send(Reply(call.id))

    def _next_job(self) -> None:
        if self.busy or not self._queue:
            return
        if self.cancel_event.is_set():
            self._drop_waiting_jobs()  # cancel stops what waits too
        if self._queue:
            self.dispatch(self._queue.pop(0))

