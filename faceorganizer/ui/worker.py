"""The window's handle on the library service (faceorganizer.service), which
runs in a child process: every store access happens there.

`LibraryClient.call(command)` sends a command of faceorganizer.protocol with a
new call id. The service's events and replies arrive on a reader thread and
are re-emitted as the Qt signals of `LibraryClient.worker` (a LibraryBridge),
delivered on the GUI thread. A failed call comes back as `failed(Failure)`,
which names the action. Should the service stop (killed, crashed), every call
still waiting fails and `died(message)` says so; `restart()` starts a new one.
Signals carry plain Python objects, declared `object` (a `list` would be
copied element by element).
"""

from __future__ import annotations

import gc
import threading
from typing import NamedTuple

from PySide6.QtCore import QObject, Signal

from faceorganizer import protocol as p
from faceorganizer.list_changes import KeyedItems, applied, keyed
from faceorganizer.photos import from_plain
from faceorganizer.service.launch import Started, start
from faceorganizer.threads import lower_thread_priority


class _Stopped(NamedTuple):
    """The reader's last word: the pipe closed (`reason`, if the service was refused)."""

    reason: str | None = None


class _KeyedFaces(NamedTuple):
    """FacesReady with its faces keyed for the faces grid's model."""

    key: int | str
    faces: KeyedItems


class LibraryBridge(QObject):
    """The service's events as Qt signals, emitted on the GUI thread."""

    opened = Signal(object)  # LibraryInfo
    openFailed = Signal(str, bool)  # a message for the user; whether the library is damaged
    peopleChanged = Signal(object, int)  # [Person], unassigned face count
    facesReady = Signal(object, object)  # key (person id or UNASSIGNED), KeyedItems of FaceItem
    changed = Signal(object)  # protocol.Changed
    historyChanged = Signal(object, object)  # the Undo and Redo texts (None: nothing to undo, redo)
    settingsChanged = Signal(object)  # GroupingSettings
    sidecarSettingsChanged = Signal(object)  # SidecarSettings
    progress = Signal(object)  # Progress
    jobFinished = Signal(str, str)  # job, summary for the status bar
    photoReady = Signal(object)  # PhotoInfo
    questionsReady = Signal(object, object)  # the first review questions [Question], how many are open (or None)
    photosReady = Signal(object, object)  # ListPhotos, [DatedPhoto]
    foldersChanged = Signal(object)  # [str]
    excludedChanged = Signal(object)  # [str]: subfolders left out of indexing
    unreadable = Signal(object)  # [(path, reason)]: what the last indexing could not read
    sidecarsNotWritten = Signal(object)  # [(path, reason)]: the sidecars the last writing could not write
    failed = Signal(object)  # Failure: a call failed
    died = Signal(str)  # the service stopped unexpectedly: what happened
    closed = Signal()

    _arrived = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._arrived.connect(self._deliver)
        self.on_reply = None  # set by LibraryClient
        self.on_stopped = None
        self._events = {
            p.Opened: lambda e: self.opened.emit(e.info),
            p.OpenFailed: lambda e: self.openFailed.emit(e.message, e.damaged),
            p.Closed: lambda e: self.closed.emit(),
            p.PeopleChanged: lambda e: self.peopleChanged.emit(e.people, e.unassigned),
            _KeyedFaces: lambda e: self.facesReady.emit(e.key, e.faces),
            p.Changed: self.changed.emit,
            p.HistoryChanged: lambda e: self.historyChanged.emit(e.undo, e.redo),
            p.SettingsChanged: lambda e: self.settingsChanged.emit(e.settings),
            p.SidecarSettingsChanged: lambda e: self.sidecarSettingsChanged.emit(e.settings),
            p.Progress: self.progress.emit,
            p.JobFinished: lambda e: self.jobFinished.emit(e.job, e.summary),
            p.PhotoReady: lambda e: self.photoReady.emit(e.info),
            p.QuestionsReady: lambda e: self.questionsReady.emit(e.questions, e.open),
            p.PhotosReady: lambda e: self.photosReady.emit(e.request, from_plain(e.photos)),
            p.FoldersChanged: self._folders_changed,
            p.Unreadable: lambda e: self.unreadable.emit(e.problems),
            p.SidecarsNotWritten: lambda e: self.sidecarsNotWritten.emit(e.problems),
        }

    def _folders_changed(self, event: p.FoldersChanged) -> None:
        self.foldersChanged.emit(event.folders)
        self.excludedChanged.emit(event.excluded)

    def _deliver(self, message) -> None:
        if isinstance(message, p.Reply):
            self.on_reply(message)
        elif isinstance(message, _Stopped):
            self.on_stopped(message.reason)
        else:
            self._events[type(message)](message)


class LibraryClient(QObject):
    """Starts the service process, talks to it, and notices when it stops."""

    def __init__(self, parent: QObject | None = None, started: Started | None = None) -> None:
        """`started`: the service process, when the program started it already (see service.launch)."""
        super().__init__(parent)
        self.worker = LibraryBridge()
        self.worker.on_reply = self._on_reply
        self.worker.on_stopped = self._on_stopped
        self.pending: dict[int, p.Command] = {}  # calls not answered yet
        self.failed_command: p.Command | None = None  # the last call that failed
        self._next_id = 0
        self._send_lock = threading.Lock()
        self._closing = False
        self._start(started)

    def _start(self, started: Started | None = None) -> None:
        self.process, self._connection, self._cancel = started or start()
        self.reader = threading.Thread(target=self._read, args=(self._connection,),
                                       name="faceorganizer-events", daemon=True)
        self.reader.start()

    def call(self, command: p.Command) -> int:
        """Send a command; its reply (or failure) comes back with the id returned."""
        self._next_id += 1
        self.pending[self._next_id] = command
        self._send(p.Call(self._next_id, command))
        return self._next_id

    def cancel(self) -> None:
        """Stop the running job after the photos in progress."""
        self._cancel.set()

    def is_running(self) -> bool:
        return self.process.is_alive() or self.reader.is_alive()

    def restart(self) -> None:
        """Start a new service after the last one stopped (open the library again on it)."""
        self.reader.join(5)
        self.process.join(5)
        self._connection.close()
        self._start()

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Cancel what runs, close the library and end the process."""
        self._closing = True
        if not self.process.is_alive():
            self.reader.join(timeout_s)
            return
        self.cancel()
        self.call(p.Close())
        self._send(None)
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        self.reader.join(timeout_s)
        self._connection.close()

    def _send(self, message) -> None:
        with self._send_lock:
            try:
                self._connection.send(message)
            except (BrokenPipeError, OSError):
                pass  # the service is gone: the reader says so

    def _read(self, connection) -> None:
        """The reader thread: check the service's Hello, then pass on what it says."""
        lower_thread_priority(5)
        try:
            hello = connection.recv()
            if not (isinstance(hello, p.Hello) and hello.version == p.PROTOCOL_VERSION):
                self.process.kill()
                self.worker._arrived.emit(_Stopped(
                    f"The library's process speaks version {getattr(hello, 'version', '?')} of the window's "
                    f"protocol, this window version {p.PROTOCOL_VERSION}: install faceorganizer again."))
                return
            faces = None  # the last list of faces received
            while True:
                message = _received(connection, faces)
                if isinstance(message, _KeyedFaces):  # kept without its change: the list before goes
                    faces = message._replace(faces=message.faces._replace(change=None))
                self.worker._arrived.emit(message)
        except (EOFError, OSError):
            self.worker._arrived.emit(_Stopped())

    def _on_reply(self, reply: p.Reply) -> None:
        command = self.pending.pop(reply.call_id, None)
        if reply.failure is not None:
            self.failed_command = command
            self.worker.failed.emit(reply.failure)

    def _on_stopped(self, reason: str | None) -> None:
        """The pipe closed: on shutdown, as asked; otherwise the service died."""
        if self._closing:
            return
        self.process.join(5)
        code = self.process.exitcode
        how = f"was killed (signal {-code})" if code is not None and code < 0 else f"stopped (exit status {code})"
        waiting, self.pending = self.pending, {}
        for command in waiting.values():
            if not isinstance(command, p.Close):
                self.worker.failed.emit(p.Failure(command.action, "the library's process stopped before it was done."))
        self.worker.died.emit(reason or f"The library's process {how}.")


def _received(connection, faces: _KeyedFaces | None):
    """The service's next message. A list of 100,000 faces is 100,000 new
    objects: the garbage collector, set off as they are made, would walk every
    one of them (pausing the window 100-200 ms) to free none. It runs again
    once they are in and frozen (as library_events freezes what the window
    shows): the next young collection, on whichever thread, would walk them
    all otherwise. A list of the key of `faces`, the last list received,
    comes with its change from that one; a FacesChanged is made the list it
    describes (see faceorganizer.list_changes)."""
    connection.poll(None)  # waiting, with the collector on
    collecting = gc.isenabled()
    gc.disable()
    try:
        message = connection.recv()
        before = faces.faces if faces is not None and faces.key == getattr(message, "key", None) else None
        if isinstance(message, p.FacesReady):  # unpickled and keyed here, not on the GUI thread
            message = _KeyedFaces(message.key, keyed(message.faces(), p.FACE_KEY, before))
            gc.freeze()
        elif isinstance(message, p.FacesChanged):  # the change from `faces`, which the service sent last
            listed = applied(before, message.gone, message.came, message.changed, p.FACE_KEY)
            message = _KeyedFaces(message.key, listed)
            gc.freeze()
        return message
    finally:
        if collecting:
            gc.enable()
