"""Moving a library's store to another engine: local mode to Qdrant Edge when
it has outgrown local mode, or back.

Everything is copied into a new store beside the old one (`<engine>.migrating`),
streamed in chunks, then read back and compared (counts, and a checksum of
every record and vector); only then does the new store take the old one's
place, and the old one is kept as `<engine>.retired` for the user to delete.
A marker file written before the two renames lets the next open finish them,
so a process killed at any moment leaves the library whole on one engine or
the other: killed before the marker, the old store is untouched and the half
copy is removed by the next migration; after it, the next open completes the
switch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceorganizer.errors import FaceOrganizerError
from faceorganizer.store.base import Batch, Store

#: The marker of a migration between its verification and its renames.
MARKER = "migration.json"
_CHUNK = 2_000


@dataclass
class MigrationReport:
    source: str
    target: str
    faces: int
    photos: int
    people: int
    corrections: int
    retired: Path


def migrate(folder: Path, source: Store, target_engine: str, create: Callable[[Path], Store],
            subfolder: Callable[[str], str], on_progress: Callable[[int, int], None] | None = None
            ) -> MigrationReport:
    """Copy `source` (the open store of the library at `folder`) into a new
    store of `target_engine`, verify it, and switch the library to it.
    `create(path)` makes the new store; `subfolder(engine)` names an engine's folder."""
    if source.engine == target_engine:
        raise FaceOrganizerError(f"The library {folder} already keeps its faces in the {target_engine} engine.")
    staging = folder / (subfolder(target_engine) + ".migrating")
    shutil.rmtree(staging, ignore_errors=True)  # what an interrupted migration left
    target = create(staging)
    try:
        total = source.count_faces()
        done = 0
        sums: dict[int, np.ndarray] = {}
        faces: dict = {}
        for face in source.iter_faces(vectors=True):
            vector = face.pop("vector")
            faces[face.pop("id")] = (vector, face)
            if face.get("cluster_id") is not None:
                cid = int(face["cluster_id"])
                sums[cid] = sums.get(cid, 0) + vector.astype(np.float64)
            if len(faces) >= _CHUNK:
                target.apply(Batch(faces=faces))
                done += len(faces)
                faces = {}
                if on_progress:
                    on_progress(done, total)
        target.apply(Batch(faces=faces))
        if on_progress:
            on_progress(total, total)
        people = {}
        for person in source.iter_people():
            cid = person.pop("id")
            mean = sums.get(cid, np.eye(1, source.dim, dtype=np.float64)[0])
            people[cid] = ((mean / max(np.linalg.norm(mean), 1e-12)).astype(np.float32), person)
        target.apply(Batch(
            photos={p.pop("id"): p for p in source.iter_photos()},
            people=people,
            log={e.pop("id"): e for e in source.iter_log()},
            meta=source.meta(),
        ))
        target.flush()
        counts = _verify(source, target)
    finally:
        target.close()
    old = folder / subfolder(source.engine)
    retired = old.with_name(old.name + ".retired")
    (folder / MARKER).write_text(json.dumps({"staging": staging.name, "target": subfolder(target_engine),
                                             "old": old.name, "retired": retired.name}))
    source.close()
    finish(folder)
    return MigrationReport(source.engine, target_engine, *counts, retired=retired)


def finish(folder: Path) -> None:
    """Complete a verified migration whose renames were cut short."""
    marker = folder / MARKER
    if not marker.exists():
        return
    names = json.loads(marker.read_text())
    staging, target = folder / names["staging"], folder / names["target"]
    old, retired = folder / names["old"], folder / names["retired"]
    if old.exists():
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(old, retired)
    if staging.exists():
        os.replace(staging, target)
    marker.unlink()


def _verify(source: Store, target: Store) -> tuple[int, int, int, int]:
    """Compare every record and vector of both stores; raise if they differ."""
    counts = []
    for name, read in (("faces", lambda s: s.iter_faces(vectors=True)), ("photos", lambda s: s.iter_photos()),
                       ("people", lambda s: s.iter_people()), ("corrections", lambda s: s.iter_log())):
        left, n, left_vectors = _digest(read(source))
        right, m, right_vectors = _digest(read(target))
        if (left, n) != (right, m) or not np.allclose(left_vectors, right_vectors, rtol=0, atol=1e-4):
            raise FaceOrganizerError(
                f"The copy of the {name} differs from the original ({m:,} against {n:,} records); "
                "nothing was changed: the library stays on its engine."
            )
        counts.append(n)
    return tuple(counts)  # type: ignore[return-value]


def _digest(records: Iterable[dict]) -> tuple[str, int, np.ndarray]:
    """An order-free checksum of records' fields, their count, and a sum of
    their vectors, each weighted by its record's checksum.

    The vectors are summed, not hashed: an engine may give a vector back a
    last bit off (local mode normalises it again), which would flip any
    rounding of it, while the weighted sum moves by far less than a wrong,
    missing or swapped vector would move it."""
    total = 0
    count = 0
    vectors = np.zeros(1)
    for record in records:
        vector = record.pop("vector", None)
        fields = {k: v for k, v in record.items() if v is not None}
        digest = int.from_bytes(hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).digest()[:16],
                                "big")
        total ^= digest
        count += 1
        if vector is not None:
            vectors = vectors + (1 + digest / 2**128) * np.asarray(vector, dtype=np.float64)
    return f"{total:032x}", count, vectors
