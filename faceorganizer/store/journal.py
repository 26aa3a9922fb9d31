"""All or nothing: each batch is written whole to a journal file before it
is applied, and the file is removed once the engine holds the batch durably.

A process killed while applying leaves the journal behind; the next open
applies it again before anything is read (a batch applied twice is the same
as once), so a correction or an indexing flush is either fully there or, if
the kill came before the journal was complete, fully absent. The journal file
is replaced atomically (write, fsync, rename), so it is never half written.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from faceorganizer.store.base import Batch, Store

log = logging.getLogger(__name__)

JOURNAL = "journal.json"


class Journal:
    """Writes batches to `store` through the journal file at `path`."""

    def __init__(self, store: Store, path: Path):
        self.store = store
        self.path = path

    def recover(self) -> bool:
        """Finish the batch a killed process left; True if there was one."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        log.info("finishing an interrupted write from %s", self.path)
        self._apply(Batch.from_json(data))
        return True

    def write(self, batch: Batch) -> None:
        if not batch:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(batch.to_json(), out, default=_json_default, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        self._apply(batch)

    def _apply(self, batch: Batch) -> None:
        self.store.apply(batch)
        self.store.flush()
        self.path.unlink()


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
