"""All or nothing: each batch is written whole to a journal file before it
is applied, and the file is removed once the engine holds the batch durably.

A process killed while applying leaves the journal behind; the next open
applies it again before anything is read (a batch applied twice is the same
as once), so a correction or an indexing flush is either fully there or, if
the kill came before the journal was complete, fully absent. The journal file
is replaced atomically (write, fsync, rename), so it is never half written.

No batch starts on a disk with less than `reserve` bytes free (and a margin
for the batch itself): Qdrant Edge maps its files into memory, and a page it
cannot write on a full disk kills the process (SIGBUS) instead of raising an
error. Refused, the write raises DiskFullError and nothing is lost.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np

from faceorganizer.errors import DiskFullError, LibraryDamagedError
from faceorganizer.store.base import Batch, Store

log = logging.getLogger(__name__)

JOURNAL = "journal.json"


class Journal:
    """Writes batches to `store` through the journal file at `path`."""

    def __init__(self, store: Store, path: Path, reserve: int = 0):
        self.store = store
        self.path = path
        self.reserve = reserve

    def recover(self) -> bool:
        """Finish the batch a killed process left; True if there was one."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        except ValueError as exc:
            raise LibraryDamagedError(self.path.parent, f"the journal {self.path} cannot be read ({exc})") from None
        try:
            batch = Batch.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise LibraryDamagedError(self.path.parent, f"the journal {self.path} cannot be read ({exc})") from None
        self.check_space(2 * len(text))
        log.info("finishing an interrupted write from %s", self.path)
        self._apply(batch)
        return True

    def write(self, batch: Batch) -> None:
        if not batch:
            return
        self.recover()  # a batch an earlier failure left half applied comes first
        text = json.dumps(batch.to_json(), default=_json_default, separators=(",", ":"))
        # The engine writes the batch about twice more (its log, its segments).
        self.check_space(3 * len(text))
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise self._full() from None
            raise
        _fsync_dir(self.path.parent)
        self._apply(batch)

    def check_space(self, needed: int = 0) -> None:
        """Raise DiskFullError unless the disk has the reserve and `needed`
        bytes free."""
        ensure_free(self.path.parent, self.reserve + needed)

    def _full(self) -> DiskFullError:
        return _disk_full(self.path.parent, self.reserve)

    def _apply(self, batch: Batch) -> None:
        self.store.apply(batch)
        self.store.flush()
        self.path.unlink()


def ensure_free(folder: Path, needed: int) -> None:
    """Raise DiskFullError unless the disk holding `folder` has `needed` bytes free."""
    if shutil.disk_usage(folder).free < needed:
        raise _disk_full(folder, needed)


def _disk_full(folder: Path, needed: int) -> DiskFullError:
    free = shutil.disk_usage(folder).free
    return DiskFullError(
        f"The disk holding the library {folder} is full ({free / 2**20:.0f} MB free, "
        f"{max(needed, free + 1) / 2**20:.0f} MB needed). Free some space and do it again: "
        "everything done so far is kept."
    )


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no such call)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
