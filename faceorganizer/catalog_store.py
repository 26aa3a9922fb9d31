"""The people catalog, read from where it is quickest to read: face fields
from the catalog snapshot while it is of the store's generation (else from
a scroll of the store), vectors from the vector cache (else from the store),
people from the store.

A library of 100,000 faces has its catalog in a fraction of a second when
it was closed cleanly, and in a few seconds after anything else touched it.
"""

from __future__ import annotations

import gc
import uuid
from pathlib import Path

import numpy as np

from faceorganizer.people import NOT_A_FACE, PINNED, REFUSED_FACES, REJECTED, FaceCatalog, PersonState, room_for
from faceorganizer.snapshot import SNAPSHOT, CatalogFields, CatalogSnapshot
from faceorganizer.store import Store
from faceorganizer.store.vectors import VectorCache

_FIELDS = ["image_id", "path", "cluster_id", "cluster_confidence", PINNED, REJECTED, NOT_A_FACE, REFUSED_FACES]


def new_generation() -> str:
    """A token no write of the library had before (see faceorganizer.snapshot)."""
    return uuid.uuid4().hex


class CatalogStore:
    """Loads the catalog of `store` and keeps its snapshot in `folder`."""

    def __init__(self, store: Store, folder: Path, vector_cache: VectorCache, writable: bool):
        self.store = store
        self.vector_cache = vector_cache
        # A server may have other writers that keep no generation: read it whole.
        self.snapshot = CatalogSnapshot(folder / SNAPSHOT, writable) if store.path is not None else None
        #: The generation of the snapshot on disk, when it matches the catalog in memory.
        self.saved: str | None = None

    def load(self, meta: dict) -> FaceCatalog:
        """The catalog of the store as it is at `meta["generation"]`."""
        count = self.store.count_faces()
        cached_ids, cached = self.vector_cache.load(room=room_for(count))
        generation = meta.get("generation")
        snapshot = self.snapshot.load(generation) if self.snapshot else None
        if snapshot is not None and len(snapshot[0]) == count:
            ids, fields = snapshot
            self.saved = generation
        else:
            ids, fields = self._scroll(cached_ids)
        catalog = FaceCatalog(self.store.dim)
        catalog.load(ids, self._vectors(ids, cached_ids, cached), fields)
        catalog.highest_id = int(meta.get("highest_id", 0))
        for record in self.store.iter_people():
            catalog.people[int(record["id"])] = PersonState(
                record.get("name"), bool(record.get("hidden")),
                record.get("cover_face_id"), bool(record.get("confirmed")), record.get("born"),
            )
        return catalog

    def save(self, catalog: FaceCatalog, generation: str | None) -> None:
        """Snapshot the catalog as of `generation` (once per generation)."""
        if self.snapshot is None or generation is None or generation == self.saved:
            return
        ids, fields = catalog.fields()
        self.snapshot.save(generation, ids, fields)
        self.saved = generation

    def _scroll(self, cached_ids: list[str]) -> tuple[list[str], CatalogFields]:
        """Every face's fields from the store, the faces the vector cache has
        first and in its order (their vectors are then taken without a copy)."""
        # 100,000 new dicts would set off garbage collections that walk all of them, to free nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            payloads = {face.pop("id"): face for face in self.store.iter_faces(fields=_FIELDS)}
        finally:
            if collecting:
                gc.enable()
        ids = [face_id for face_id in cached_ids if face_id in payloads]
        known = set(ids)
        ids += [face_id for face_id in payloads if face_id not in known]
        return ids, CatalogFields.from_payloads([payloads[face_id] for face_id in ids])

    def _vectors(self, ids: list[str], cached_ids: list[str], cached: np.ndarray) -> np.ndarray:
        """The vectors of `ids`, in their order: from the cache, and from the
        store those the cache lacks (which it then keeps). When they are the
        cache's first rows, that is the cache's array, with the rows after
        them as room (see FaceCatalog.load)."""
        if cached_ids[: len(ids)] == ids:
            vectors = cached
        else:
            position = {face_id: row for row, face_id in enumerate(cached_ids)}
            rows = np.fromiter((position.get(face_id, -1) for face_id in ids), dtype=np.int64, count=len(ids))
            vectors = cached[np.maximum(rows, 0)] if len(cached) else np.zeros((len(ids), self.store.dim), np.float32)
            missing = np.flatnonzero(rows < 0)
            if len(missing):
                wanted = [ids[i] for i in missing.tolist()]
                fetched = {f["id"]: f["vector"] for f in self.store.get_faces(wanted, vectors=True, fields=[])}
                vectors[missing] = np.array([fetched[face_id] for face_id in wanted], dtype=np.float32)
                self.vector_cache.append(wanted, vectors[missing])
        if self.vector_cache.rows > 2 * len(ids) + 1024:  # mostly faces gone since: keep only the library's
            self.vector_cache.rewrite(ids, vectors[: len(ids)])
        return vectors
