"""Where a library keeps everything: one interface (`base.Store`), three
engines behind it, and the journal that makes each write all or nothing.

- "edge": Qdrant Edge, Qdrant's engine embedded in the process; the default
  for new libraries, fast at any size.
- "local": qdrant-client's local mode, pure Python; libraries made before the
  embedded engine, and platforms without its wheel. Slow past ~20,000 faces.
- "server": a Qdrant server (or cluster) by URL, for libraries beyond one machine.

Only this package imports an engine.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from faceorganizer.config import ENGINES
from faceorganizer.errors import FaceOrganizerError, LibraryDamagedError
from faceorganizer.store.base import Batch, Store, damage_of, stable_id
from faceorganizer.store.journal import Journal, JournaledStore, as_disk_full, ensure_free, journal_files
from faceorganizer.store.migrate import finish as finish_migration

__all__ = ["ENGINES", "Batch", "Journal", "JournaledStore", "Store", "as_disk_full", "create_store", "default_engine", "engine_of",
           "ensure_free", "journal_files", "open_store", "read_only_copy", "stable_id"]

#: Environment variable choosing the engine of new libraries.
ENGINE_ENV = "FACEORGANIZER_ENGINE"


def default_engine() -> str:
    """The engine for a new library: $FACEORGANIZER_ENGINE, else Qdrant Edge
    where its wheel installs, else local mode."""
    chosen = os.environ.get(ENGINE_ENV)
    if chosen:
        if chosen not in ENGINES:
            raise FaceOrganizerError(f"{ENGINE_ENV}={chosen}: the engine is one of {', '.join(ENGINES)}")
        return chosen
    return "edge" if importlib.util.find_spec("qdrant_edge") else "local"


def engine_of(folder: Path) -> str | None:
    """The engine whose files are in the library folder, if any."""
    return next((engine for engine, sub in ENGINES.items() if (folder / sub).is_dir()), None)


@contextlib.contextmanager
def read_only_copy(folder: Path) -> Iterator[Path]:
    """A private copy of a library's store (and journal) to read a library
    that cannot be written: the engines write to their files even to read
    them (locks, logs, memory maps). Removed when the library is closed."""
    copy = Path(tempfile.mkdtemp(prefix="faceorganizer-read-only-"))
    try:
        for name in ENGINES.values():
            if (folder / name).is_dir():
                _copy_sparse(folder / name, copy / name)
        for journal in journal_files(folder):
            shutil.copy(journal, copy / journal.name)
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _copy_sparse(source: Path, target: Path) -> None:
    """Copy a folder; Qdrant Edge's files are mostly holes, kept holes where cp can."""
    if sys.platform.startswith("linux") and shutil.which("cp"):
        subprocess.run(["cp", "-r", "--sparse=always", str(source), str(target)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    else:
        shutil.copytree(source, target)
    # The copy is ours to write, whatever the rights on the original.
    for folder, _, files in os.walk(target):
        for name in [folder, *(os.path.join(folder, f) for f in files)]:
            os.chmod(name, os.stat(name).st_mode | stat.S_IWUSR | stat.S_IRUSR)


def open_store(folder: Path, *, engine: str | None = None, url: str | None = None, dim: int = 512) -> Store:
    """The store of the library at `folder`: its own engine for an existing
    library, `engine` (or the default) for a new one, or the server at `url`."""
    if url:
        from faceorganizer.store.local import QdrantClientStore

        return QdrantClientStore(url=url, dim=dim)
    folder.mkdir(parents=True, exist_ok=True)
    finish_migration(folder)
    existing = engine_of(folder)
    if engine is not None and existing is not None and engine != existing:
        raise FaceOrganizerError(
            f"The library {folder} keeps its faces in the {existing} engine, not {engine}; "
            "Open it without choosing an engine."
        )
    engine = existing or engine or default_engine()
    try:
        return create_store(folder / ENGINES[engine], engine, dim)
    except FaceOrganizerError:
        raise
    except Exception as exc:  # the engines raise untyped errors on files they cannot read or write
        raise as_disk_full(exc, folder) or LibraryDamagedError(folder, damage_of(exc)) from exc


def create_store(path: Path, engine: str, dim: int = 512) -> Store:
    """The store of `engine` whose files are at `path` (made if new)."""
    if engine == "edge":
        from faceorganizer.store.edge import EdgeStore as engine_class
    elif engine == "local":
        from faceorganizer.store.local import QdrantClientStore as engine_class
    else:
        raise FaceOrganizerError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    if not path.exists():
        ensure_free(path.parent, engine_class.reserve)  # a store that exists is guarded by its journal
    return engine_class(path, dim=dim)

