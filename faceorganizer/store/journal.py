"""All or nothing: each batch is written whole to a journal file before it
is applied, and the file stays until the engine has made the batch durable.

A journal file is replaced atomically (write, fsync, rename), so it is never
half written, and once it is there the batch is committed: the next open
applies again, oldest first, every journal still there (a batch applied
twice is the same as once). So after a kill, or a power cut that lost what
the engine had not synced, each batch is either fully there or, if its
journal was not complete, fully absent.

A committed batch is applied to the engine later, not while the user waits:
Qdrant Edge rewrites every point a batch touches (a merge of 5,000 faces is
about 100 ms of it). The store as the library reads it (`JournaledStore`)
first applies every committed batch, so a read always sees every write;
`catch_up()` applies them when nothing else is to do (the service's idle
time), and `sync()` applies them and makes them durable in one go, removing
their journals; the library syncs when idle and when it closes, and the
journal itself once `SYNC_EVERY` batches, or `SYNC_BYTES` of them, wait.

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
import re
import shutil
from pathlib import Path

import numpy as np

from faceorganizer.errors import DiskFullError, LibraryDamagedError
from faceorganizer.store.base import Batch, Store

log = logging.getLogger(__name__)

#: Journal files are journal-<number>.json (journal.json: a single one, as
#: libraries before numbered journals left it).
JOURNAL_GLOB = "journal*.json"
_NAME = re.compile(r"journal(?:-(\d+))?\.json")
#: Batches, and bytes of their journals, committed before the journal syncs
#: the engine by itself. The bytes bound what an open after a kill applies
#: again: at Qdrant Edge's 0.3-0.5 ms a face written (in the library's
#: process), 16 MB of journals (about 5,000 new faces, each with its vector)
#: take it 2-3 s. Without it, a killed import of batches of 2,000 photos
#: left 11 journals of 53,000 faces, and the next open took 33 s.
SYNC_EVERY = 64
SYNC_BYTES = 16 * 2**20


def journal_files(folder: Path) -> list[Path]:
    """The journals in `folder`, oldest first."""
    found = []
    for path in folder.glob(JOURNAL_GLOB):
        match = _NAME.fullmatch(path.name)
        if match:
            found.append((int(match.group(1) or 0), path))
    return [path for _, path in sorted(found)]


class Journal:
    """Writes batches to `store` through journal files in `folder`."""

    def __init__(self, store: Store, folder: Path, reserve: int = 0):
        self.store = store
        self.folder = folder
        self.reserve = reserve
        self._pending: list[Path] = []  # committed, not synced yet
        self._pending_bytes = 0
        self._unapplied: list[Batch] = []  # committed, not applied to the engine yet
        self._failed = False  # a batch failed half way: apply the journals again first
        self._next = 1

    @property
    def pending(self) -> int:
        """How many batches are committed but not synced yet."""
        return len(self._pending)

    def recover(self) -> bool:
        """Apply again every journal left, oldest first, sync, and remove
        them; True if there was one."""
        paths = journal_files(self.folder)
        if not paths:
            return False
        batches = []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
                batches.append((len(text), Batch.from_json(json.loads(text))))
            except FileNotFoundError:
                continue
            except (ValueError, KeyError, TypeError) as exc:
                raise LibraryDamagedError(self.folder, f"the journal {path} cannot be read ({exc})") from None
        self.check_space(2 * max((size for size, _ in batches), default=0))
        if not self._pending:
            log.info("finishing %d interrupted write(s) from %s", len(batches), self.folder)
        for _, batch in batches:
            self.store.apply(batch)
        self._pending = paths
        self._unapplied.clear()
        self._failed = False
        self.sync()
        return True

    def write(self, batch: Batch) -> None:
        """Commit a batch: it is in its journal file when this returns, and
        applied to the engine before the next read (see the module's doc)."""
        if not batch:
            return
        if self._failed:
            self.recover()  # a batch an earlier failure left half applied comes first
        text = json.dumps(batch.to_json(), default=_json_default, separators=(",", ":"))
        # The engine writes the batch about twice more (its log, its segments).
        self.check_space(3 * len(text))
        path = self._new_path()
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise self._full() from None
            raise
        _fsync_dir(self.folder)
        self._pending.append(path)
        self._pending_bytes += len(text)
        self._unapplied.append(batch)
        if len(self._pending) >= SYNC_EVERY or self._pending_bytes >= SYNC_BYTES:
            self.sync()

    def catch_up(self) -> None:
        """Apply to the engine every batch committed so far."""
        if self._failed:
            self.recover()
            return
        while self._unapplied:
            try:
                self.store.apply(self._unapplied[0])
            except BaseException as exc:
                self._failed = True  # the journals apply it again, whole
                raise as_disk_full(exc, self.folder) or exc
            del self._unapplied[0]

    def sync(self) -> None:
        """Make every batch committed so far durable in the engine, and drop their journals."""
        if self._failed:
            return  # the journals stay: the next write, read or open applies them again
        self.catch_up()
        if not self._pending:
            return
        try:
            self.store.flush()
        except Exception as exc:  # the journals stay: the next open applies them again
            raise as_disk_full(exc, self.folder) or exc
        for path in self._pending:
            path.unlink(missing_ok=True)
        self._pending.clear()
        self._pending_bytes = 0

    def check_space(self, needed: int = 0) -> None:
        """Raise DiskFullError unless the disk has the reserve and `needed`
        bytes free."""
        ensure_free(self.folder, self.reserve + needed)

    def _full(self) -> DiskFullError:
        return _disk_full(self.folder, self.reserve)

    def _new_path(self) -> Path:
        path = self.folder / f"journal-{self._next:06d}.json"
        self._next += 1
        return path


class JournaledStore:
    """The store as the library reads it: each read first applies the
    batches committed to the journal, so that it sees every write. Writes go
    through the journal only."""

    def __init__(self, journal: Journal):
        self.journal = journal
        store = journal.store
        self.engine, self.dim, self.path, self.reserve = store.engine, store.dim, store.path, store.reserve

    def _store(self) -> Store:
        self.journal.catch_up()
        return self.journal.store

    def meta(self):
        return self._store().meta()

    def count_faces(self, assigned=False, unassigned=False):
        return self._store().count_faces(assigned, unassigned)

    def get_faces(self, ids, *, vectors=False, fields=None):
        return self._store().get_faces(ids, vectors=vectors, fields=fields)

    def iter_faces(self, *, image_id=None, cluster_id=None, unassigned=False, vectors=False, fields=None):
        return self._store().iter_faces(image_id=image_id, cluster_id=cluster_id, unassigned=unassigned,
                                        vectors=vectors, fields=fields)

    def search_faces(self, vector, top_k, threshold=None):
        return self._store().search_faces(vector, top_k, threshold)

    def get_photos(self, ids):
        return self._store().get_photos(ids)

    def iter_photos(self, *, under=None, folder=None, file_keys=None):
        return self._store().iter_photos(under=under, folder=folder, file_keys=file_keys)

    def iter_people(self):
        return self._store().iter_people()

    def iter_log(self, fields=None):
        return self._store().iter_log(fields)

    def get_log(self, ids):
        return self._store().get_log(ids)

    def clear(self) -> None:
        self._store().clear()

    def close(self) -> None:
        self.journal.store.close()


def ensure_free(folder: Path, needed: int) -> None:
    """Raise DiskFullError unless the disk holding `folder` has `needed` bytes free."""
    if shutil.disk_usage(folder).free < needed:
        raise _disk_full(folder, needed)


#: How the engines say that a write found the disk full.
_FULL_DISK_WORDS = ("No space left on device", "database or disk is full", "os error 28")


def as_disk_full(exc: BaseException, folder: Path) -> DiskFullError | None:
    """The DiskFullError saying so if `exc` is a write that found the disk
    holding `folder` full (another program filled it), else None."""
    if isinstance(exc, DiskFullError):
        return None
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or any(w in str(exc) for w in _FULL_DISK_WORDS):
        return _disk_full(folder, 0)
    return None


def _disk_full(folder: Path, needed: int) -> DiskFullError:
    free = shutil.disk_usage(folder).free
    need = f", {max(needed, free + 1) / 2**20:.0f} MB needed" if needed else ""
    return DiskFullError(
        f"The disk holding the library {folder} is full ({free / 2**20:.0f} MB free{need}). "
        "Free some space and do it again: everything done so far is kept."
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
