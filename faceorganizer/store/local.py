"""The qdrant-client engine: Qdrant's local mode (`QdrantClient(path=...)`,
pure Python, for libraries up to about 20,000 faces) and a Qdrant server by
URL (HNSW, payload indexes, libraries past one machine), with one code path.

Local mode scans every point on every query and filter, and reads every point
into Python when it opens; batch every write, and query it as rarely as
possible. The layout (collections faces, photos, people, log; settings in the
collections' metadata) is the one libraries were first written with, so they
open as they are.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from faceorganizer.errors import FaceOrganizerError, LibraryLockedError
from faceorganizer.store.base import (
    FACE_INDEXED,
    PHOTO_INDEXED,
    Batch,
    Condition,
    as_record,
    face_conditions,
    group_by_values,
    photo_conditions,
)

# qdrant-client warns on every open of a local store above 20,000 points; the
# README says when to move to the embedded engine, and the warning would reach
# every command's output.
warnings.filterwarnings("ignore", message="Local mode is not recommended", category=UserWarning)

FACES = "faceorganizer-faces"
PHOTOS = "faceorganizer-photos"
PEOPLE = "faceorganizer-people"
LOG = "faceorganizer-log"
#: The collection of each kind of record.
COLLECTIONS = {"faces": FACES, "photos": PHOTOS, "people": PEOPLE, "log": LOG}

_WRITE_BATCH = 256
_SCROLL_BATCH = 1024
#: Local mode sorts every id for each page: pages as big as the collection
#: make a scroll linear instead of quadratic.
_LOCAL_SCROLL_BATCH = 1 << 20
_SCHEMA = {"keyword": models.PayloadSchemaType.KEYWORD, "integer": models.PayloadSchemaType.INTEGER,
           "bool": models.PayloadSchemaType.BOOL}


class QdrantClientStore:
    """The library on qdrant-client: embedded at `path`, or the server at `url`."""

    #: Free disk space below which nothing is written (SQLite reports a full
    #: disk as an error, so a small margin is enough).
    reserve = 16 * 2**20

    def __init__(self, path: Path | None = None, url: str | None = None, dim: int = 512,
                 api_key: str | None = None):
        if url:
            self.client = QdrantClient(url=url, api_key=api_key)
            self.engine, self.path = "server", None
            try:
                self.client.get_collections()
            except Exception as exc:  # qdrant-client raises several untyped errors
                raise FaceOrganizerError(f"Cannot reach the Qdrant server at {url}: {exc}") from None
        else:
            try:
                self.client = QdrantClient(path=str(path))
            except RuntimeError as exc:  # the store's own lock, held in this process
                raise LibraryLockedError(f"The face store in {path} is already open: {exc}") from None
            self.engine, self.path = "local", path
        self.dim = dim
        self._page = _LOCAL_SCROLL_BATCH if self.engine == "local" else _SCROLL_BATCH
        self._ensure(FACES, dim, FACE_INDEXED)
        self._ensure(PHOTOS, None, PHOTO_INDEXED)
        self._ensure(PEOPLE, dim, {})
        self._ensure(LOG, None, {})

    def _ensure(self, name: str, dim: int | None, indexed: dict[str, str]) -> None:
        if self.client.collection_exists(name):
            return
        vectors = models.VectorParams(size=dim, distance=models.Distance.COSINE) if dim else {}
        self.client.create_collection(name, vectors_config=vectors)
        if self.engine == "server":  # local mode has no payload indexes, and warns
            for key, kind in indexed.items():
                self.client.create_payload_index(name, key, _SCHEMA[kind])

    # -- reading ---------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        # Settings once lived in the metadata of all three collections; the
        # faces collection's is where they are written now.
        values: dict[str, Any] = {}
        for name in (PEOPLE, PHOTOS, FACES):
            values.update(self.client.get_collection(name).config.metadata or {})
        return values

    def count_faces(self, assigned=False, unassigned=False) -> int:
        query_filter = None
        if assigned:
            query_filter = models.Filter(must_not=[_condition("empty", "cluster_id", None)])
        elif unassigned:
            query_filter = models.Filter(must=[_condition("empty", "cluster_id", None)],
                                         must_not=[_condition("match", "not_a_face", True)])
        return self.client.count(FACES, count_filter=query_filter, exact=True).count

    def get_faces(self, ids, *, vectors=False, fields=None) -> list[dict]:
        return self._get(FACES, ids, vectors, fields)

    def iter_faces(self, *, image_id=None, cluster_id=None, unassigned=False, vectors=False,
                   fields=None) -> Iterator[dict]:
        return self._scroll(FACES, face_conditions(image_id, cluster_id, unassigned), vectors, fields)

    def search_faces(self, vector, top_k, threshold=None) -> list[dict]:
        response = self.client.query_points(
            FACES, query=np.asarray(vector, dtype=np.float32).tolist(), limit=top_k,
            score_threshold=threshold, with_payload=True,
        )
        return [dict(as_record(point.id, point.payload, point.vector), score=point.score) for point in response.points]

    def get_photos(self, ids) -> list[dict]:
        return self._get(PHOTOS, ids, False, None)

    def iter_photos(self, *, under=None, folder=None, file_keys=None) -> Iterator[dict]:
        return self._scroll(PHOTOS, photo_conditions(under, folder, file_keys), False, None)

    def iter_people(self) -> Iterator[dict]:
        return self._scroll(PEOPLE, [], False, None)

    def iter_log(self, fields=None) -> Iterator[dict]:
        return self._scroll(LOG, [], False, fields)

    def get_log(self, ids) -> list[dict]:
        return self._get(LOG, ids, False, None)

    def _get(self, name: str, ids: Sequence, vectors: bool, fields) -> list[dict]:
        records = []
        with_payload = list(fields) if fields is not None else True
        ids = list(ids)
        for start in range(0, len(ids), _SCROLL_BATCH):
            records += self.client.retrieve(name, ids=ids[start:start + _SCROLL_BATCH],
                                            with_vectors=vectors, with_payload=with_payload)
        return [as_record(r.id, r.payload, r.vector) for r in records]

    def _scroll(self, name: str, conditions: list[Condition], vectors: bool, fields) -> Iterator[dict]:
        query_filter = models.Filter(must=[_condition(*c) for c in conditions]) if conditions else None
        with_payload = list(fields) if fields is not None else True
        offset = None
        while True:
            records, offset = self.client.scroll(
                name, scroll_filter=query_filter, limit=self._page, offset=offset,
                with_payload=with_payload, with_vectors=vectors,
            )
            for record in records:
                yield as_record(record.id, record.payload, record.vector)
            if offset is None:
                return

    # -- writing ---------------------------------------------------------------

    def apply(self, batch: Batch) -> None:
        self._put(FACES, list(batch.faces), [p for _, p in batch.faces.values()],
                  [v for v, _ in batch.faces.values()])
        self._set_fields(FACES, batch.face_fields)
        self._delete(FACES, batch.faces_deleted)
        self._put(PHOTOS, list(batch.photos), list(batch.photos.values()))
        self._set_fields(PHOTOS, batch.photo_fields)
        self._delete(PHOTOS, batch.photos_deleted)
        self._put(PEOPLE, list(batch.people), [p for _, p in batch.people.values()],
                  [v for v, _ in batch.people.values()])
        self._set_fields(PEOPLE, batch.people_fields)
        self._delete(PEOPLE, batch.people_deleted)
        self._put(LOG, list(batch.log), list(batch.log.values()))
        self._set_fields(LOG, batch.log_fields)
        self._delete(LOG, batch.log_deleted)
        if batch.meta:
            metadata = self.client.get_collection(FACES).config.metadata or {}
            self.client.update_collection(FACES, metadata={**metadata, **batch.meta})

    def _put(self, name: str, ids: list, payloads: list[dict], vectors: list | None = None) -> None:
        for start in range(0, len(ids), _WRITE_BATCH):
            end = start + _WRITE_BATCH
            if vectors is not None:
                points: Any = models.Batch(
                    ids=ids[start:end],
                    vectors=np.asarray(vectors[start:end], dtype=np.float32).reshape(-1, self.dim).tolist(),
                    payloads=payloads[start:end],
                )
            else:
                points = [models.PointStruct(id=i, vector={}, payload=p)
                          for i, p in zip(ids[start:end], payloads[start:end])]
            self.client.upsert(name, points=points, wait=True)

    def _set_fields(self, name: str, updates: dict) -> None:
        """Set fields, one request per group of records given the same values."""
        operations = [
            models.SetPayloadOperation(set_payload=models.SetPayload(payload=values, points=ids[i:i + _WRITE_BATCH]))
            for values, ids in group_by_values(updates)
            for i in range(0, len(ids), _WRITE_BATCH)
        ]
        for start in range(0, len(operations), _WRITE_BATCH):
            self.client.batch_update_points(name, operations[start:start + _WRITE_BATCH], wait=True)

    def _delete(self, name: str, ids) -> None:
        ids = list(ids)
        for start in range(0, len(ids), _WRITE_BATCH):
            self.client.delete(name, points_selector=models.PointIdsList(points=ids[start:start + _WRITE_BATCH]),
                               wait=True)

    def flush(self) -> None:
        """Every write above waited for the store: nothing is left to flush."""

    def clear(self) -> None:
        meta = self.meta()
        for name, dim, indexed in ((FACES, self.dim, FACE_INDEXED), (PHOTOS, None, PHOTO_INDEXED),
                                   (PEOPLE, self.dim, {}), (LOG, None, {})):
            self.client.delete_collection(name)
            self._ensure(name, dim, indexed)
        self.client.update_collection(FACES, metadata=meta)

    def close(self) -> None:
        self.client.close()


def _condition(kind: str, key: str, value):
    if kind == "empty":
        return models.IsEmptyCondition(is_empty=models.PayloadField(key=key))
    if isinstance(value, list):
        return models.FieldCondition(key=key, match=models.MatchAny(any=value))
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))
