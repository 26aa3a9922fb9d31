"""The parts of a damaged store that can be read on their own, so that
damage to one part does not cost the others.

Qdrant Edge keeps two shards: the faces, and the records (photos, people,
the corrections log). Local mode keeps one collection per kind, each in its
own SQLite file: a part is one collection, opened beside fresh empty ones
(its settings from the store's `meta.json` when that can still be read).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from faceorganizer.store import ENGINES, create_store

#: The record kinds a store holds: faces, photos, people, log.
KINDS = ("faces", "photos", "people", "log")


@contextlib.contextmanager
def part_alone(aside: Path, engine: str, part: str) -> Iterator[Path]:
    """A temporary library folder holding only `part` of the store set aside
    in `aside` (the rest empty). Raises FileNotFoundError if the part is gone."""
    with tempfile.TemporaryDirectory(prefix="faceorganizer-repair-") as tmp:
        if engine == "edge":
            _copy(aside / "edge", Path(tmp) / "edge", [part, "meta.json"])
        else:
            _local_collection_alone(aside / ENGINES["local"], Path(tmp) / ENGINES["local"], part)
        yield Path(tmp)


def parts(engine: str) -> dict[str, tuple[str, ...]]:
    """The parts of a store of `engine`, each with the kinds it holds."""
    if engine == "edge":
        return {"faces": ("faces",), "records": ("photos", "people", "log")}
    return {kind: (kind,) for kind in KINDS}


def _copy(source: Path, target: Path, names: list[str]) -> None:
    target.mkdir()
    for name in names:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        elif (source / name).is_file():
            shutil.copy(source / name, target / name)
        elif name != "meta.json":
            raise FileNotFoundError(f"{source / name} is gone")


def _local_collection_alone(source: Path, target: Path, kind: str) -> None:
    from faceorganizer.store.local import COLLECTIONS

    collection = COLLECTIONS[kind]
    damaged = source / "collection" / collection
    if not damaged.is_dir():
        raise FileNotFoundError(f"{damaged} is gone")
    create_store(target, "local").close()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        meta = json.loads((source / "meta.json").read_text(encoding="utf-8"))
        if set(COLLECTIONS.values()) <= set(meta["collections"]):
            shutil.copy(source / "meta.json", target / "meta.json")
    shutil.rmtree(target / "collection" / collection)
    shutil.copytree(damaged, target / "collection" / collection)
