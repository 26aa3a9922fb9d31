"""One process at a time per library: an exclusive lock file in the library
folder, holding the pid of the process that has it."""

from __future__ import annotations

import os
from pathlib import Path

import portalocker

from faceorganizer.errors import LibraryLockedError


class LibraryLock:
    """An exclusive lock on a library folder, held for the life of the process'
    use of it; a second process gets LibraryLockedError naming the holder."""

    def __init__(self, folder: Path):
        self.path = folder / "faceorganizer.lock"
        self._lock = portalocker.Lock(
            str(self.path), mode="a+", timeout=0, fail_when_locked=True,
            flags=portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING,
        )
        try:
            handle = self._lock.acquire()
        except (portalocker.exceptions.AlreadyLocked, portalocker.exceptions.LockException):
            holder = ""
            try:
                pid = self.path.read_text().strip()
                holder = f" (process {pid})" if pid else ""
            except OSError:
                pass
            raise LibraryLockedError(
                f"The library {folder} is in use by another faceorganizer{holder}. "
                "Close it first, or choose another library with --library."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()

    def release(self) -> None:
        self._lock.release()
