"""The window's handle on the library service (faceorganizer.service), which
runs in a child process: every store access happens there.

`LibraryClient.call(name, *args)` sends a call; the service's events arrive on
a reader thread and are re-emitted as the Qt signals of `LibraryClient.worker`
(a LibraryBridge), delivered on the GUI thread. Signals carry plain Python
objects, declared `object` (a `list` would be copied element by element).
"""

from __future__ import annotations

import multiprocessing
import threading

from PySide6.QtCore import QObject, Signal

from faceorganizer.service import (  # noqa: F401  (the UI's names for them)
    UNASSIGNED,
    FaceItem,
    LibraryInfo,
    PhotoFace,
    PhotoInfo,
    Progress,
    serve,
)


class LibraryBridge(QObject):
    """The service's events as Qt signals, emitted on the GUI thread."""

    opened = Signal(object)  # LibraryInfo
    openFailed = Signal(str)  # a message for the user
    peopleChanged = Signal(object, int)  # [Person], unassigned face count
    facesReady = Signal(object, object)  # key (person id or UNASSIGNED), [FaceItem]
    changed = Signal(object, bool)  # ChangeSet, whether it is a new user action
    progress = Signal(object)  # Progress
    jobFinished = Signal(str, str)  # job, summary for the status bar
    photoReady = Signal(object)  # PhotoInfo
    foldersChanged = Signal(object)  # [str]
    unreadable = Signal(object)  # [(path, reason)]: what the last indexing could not read
    error = Signal(str)
    closed = Signal()

    _arrived = Signal(str, object)

    def __init__(self) -> None:
        super().__init__()
        self._arrived.connect(self._deliver)

    def _deliver(self, event: str, args: tuple) -> None:
        getattr(self, event).emit(*args)


class LibraryClient(QObject):
    """Starts the service process and talks to it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # spawn, not fork: a forked copy of a process running Qt is unsafe.
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._cancel = context.Event()
        self._send_lock = threading.Lock()
        self.worker = LibraryBridge()
        self.process = context.Process(target=serve, args=(child, self._cancel),
                                       name="faceorganizer-library", daemon=True)
        self.process.start()
        child.close()
        self.reader = threading.Thread(target=self._read, name="faceorganizer-events", daemon=True)
        self.reader.start()

    def call(self, name: str, *args) -> None:
        self._send((name, args))

    def cancel(self) -> None:
        """Stop the running job after the photos in progress."""
        self._cancel.set()

    def is_running(self) -> bool:
        return self.process.is_alive() or self.reader.is_alive()

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Cancel what runs, close the library and end the process."""
        if not self.process.is_alive():
            self.reader.join(timeout_s)
            return
        self.cancel()
        self.call("close")
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
                pass  # the service is gone; shutdown() says so

    def _read(self) -> None:
        while True:
            try:
                event, args = self._connection.recv()
            except (EOFError, OSError, TypeError):
                return
            self.worker._arrived.emit(event, args)
