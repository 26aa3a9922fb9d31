"""LibraryService: the service's calls on one library. It opens and closes
the library, answers the reading calls (people, faces, photos, review
questions), has the corrections made and their log walked by the
Application (faceorganizer.application, which the command line runs too) and
sends what changed, keeps the watched folders, and hands the long jobs to
LibraryJobs (service.jobs); jobs run one at a time and the calls that
arrive meanwhile are handled between two photos.

This module imports no Qt.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

from faceorganizer import photos, read_models
from faceorganizer.application import CORRECTIONS, Application
from faceorganizer.errors import DiskFullError, FaceOrganizerError, LibraryDamagedError, LibraryLockedError
from faceorganizer.humanize import lower_first
from faceorganizer.list_changes import KeyedItems, keyed
from faceorganizer.people import ChangeSet
from faceorganizer.protocol import (
    CORRECTED,
    DISK_FULL,
    REDONE,
    REGROUPED,
    UNDONE,
    UNEXPECTED,
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
    FACE_KEY,
    FacesChanged,
    FacesReady,
    Failure,
    FindSmallFaces,
    HistoryChanged,
    Index,
    Job,
    JobFinished,
    LibraryInfo,
    ListFaceRecords,
    ListFaces,
    ListHistory,
    ListPeople,
    ListPhotos,
    ListQuestions,
    Migrate,
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
    Repair,
    Reply,
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
from faceorganizer.watching import FolderWatcher, rewatched

log = logging.getLogger(__name__)

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
        self.app: Application | None = None  # runs the commands on the library
        self.opened_with = Open()  # opened again after a migration
        self.review = ReviewQueue()
        self.cancel_event = cancel_event
        self.listed: tuple[int | str, KeyedItems] | None = None  # the last list of faces sent, and its key
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
            ListPeople: self.send_people,
            ListFaces: self._faces,
            ListFaceRecords: self._query,
            ListHistory: self._query,
            ShowPhoto: self._photo,
            ListQuestions: lambda _: self._send_questions(),
            Answer: self._correct,
            ListPhotos: self._photos,
            Undo: self._walk_log,
            Redo: self._walk_log,
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
            **{kind: self._correct for kind in CORRECTIONS},
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
            self.app = Application(self.library, find_question=self.review.find)
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
            self.library = self.app = None
        if say:
            self.send(Closed())

    def _change_settings(self, command: ChangeSettings) -> None:
        self.send(SettingsChanged(self.app.execute(command)))

    def _change_sidecar_settings(self, command: ChangeSidecarSettings) -> None:
        self.send(SidecarSettingsChanged(self.app.execute(command)))

    # -- reading ------------------------------------------------------------------

    def send_people(self, command: ListPeople = ListPeople()) -> None:
        if self.library is None:
            return
        self.last_people = time.monotonic()
        self.send(PeopleChanged(self.app.execute(command), self.library.unassigned_count()))

    def send_history(self) -> None:
        """What Undo and Redo would do, in the Edit menu's words."""
        entries = self.app.execute(ListHistory())  # newest first
        undo = next((e["description"] for e in entries if not e["undone"]), None)
        redo = next((e["description"] for e in reversed(entries) if e["undone"]), None)
        self.send(HistoryChanged(undo and f"Undo {lower_first(undo)}", redo and f"Redo {lower_first(redo)}"))

    def _query(self, command: Command) -> object:
        """What the application answers, as the call's result."""
        return self.app.execute(command)

    def _faces(self, command: ListFaces) -> None:
        """The faces of a key, sent as their change from the last list sent
        when it was of the same key and the change is small (the window
        holds that list: see ui.worker), else whole."""
        before = self.listed[1] if self.listed is not None and self.listed[0] == command.key else None
        faces = keyed(read_models.face_list(self.library, command.key), FACE_KEY, before)
        change = faces.change
        if change is not None and len(change.came) + len(change.changed) <= max(100, len(faces.items) // 10):
            self.send(FacesChanged(command.key, change.gone, [(row, faces.items[row]) for row in change.came],
                                   [(row, faces.items[row]) for row in change.changed]))
        else:
            self.send(FacesReady.of(command.key, faces.items))
        self.listed = (command.key, faces._replace(change=None))

    def _photos(self, command: ListPhotos) -> None:
        listed = photos.photos(self.library, command.people, command.folder, table=self.photo_table, boxes=False)
        self.send(PhotosReady(command, photos.plain(listed)))

    def _photo(self, command: ShowPhoto) -> None:
        self.send(PhotoReady(read_models.photo(self.library, command.face_id, command.key) if command.face_id
                             else read_models.photo_at(self.library, command.path)))

    def _send_questions(self) -> None:
        self.send(QuestionsReady(*self.review.head(self.library)))

    # -- changes ------------------------------------------------------------------

    def _correct(self, command: Correction) -> None:
        change: ChangeSet = self.app.execute(command)
        self.changed(change, CORRECTED, change.description)

    def _walk_log(self, command: Undo | Redo) -> None:
        walked = self.app.execute(command)
        self.changed(walked.change, UNDONE if isinstance(command, Undo) else REDONE, walked.correction)

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

