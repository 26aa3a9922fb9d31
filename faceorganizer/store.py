"""The face store: every face's vector and payload, and the scan state of every
photo, in Qdrant, the one source of truth.

The same code runs on Qdrant's local mode (`QdrantClient(path=...)`, embedded,
the default) and on a Qdrant server (`QdrantClient(url=...)`). Local mode scans
every point on every query and filter, so callers batch their writes and never
query once per face in a loop over the library.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import portalocker
from qdrant_client import QdrantClient, models

from faceorganizer.errors import LibraryLockedError

log = logging.getLogger(__name__)

# qdrant-client warns on every open of a local store above 20,000 points; the
# README says when to move to a server, and the warning would reach every
# command's output.
warnings.filterwarnings("ignore", message="Local mode is not recommended", category=UserWarning)

FACES = "faceorganizer-faces"
PHOTOS = "faceorganizer-photos"
PEOPLE = "faceorganizer-people"

#: Payload fields that are filtered on; indexed where the backend has indexes.
_FACE_KEYWORD_FIELDS = ("image_id", "path")
_FACE_INTEGER_FIELDS = ("cluster_id",)

_WRITE_BATCH = 256
_SCROLL_BATCH = 1024
_LOCAL_SCROLL_BATCH = 1 << 20

_ID_NAMESPACE = uuid.UUID("5d0c8e8a-7f3b-4a53-9f44-3c1f0f7e6a10")


def stable_id(*parts: object) -> str:
    """A UUID derived from `parts`: the same inputs give the same point id."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


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


def open_client(folder: Path, url: str | None = None, api_key: str | None = None) -> QdrantClient:
    """A client on the library's embedded store, or on the Qdrant server at `url`."""
    if url:
        return QdrantClient(url=url, api_key=api_key)
    try:
        return QdrantClient(path=str(folder / "qdrant"))
    except RuntimeError as exc:  # the store's own lock, held in this process
        raise LibraryLockedError(f"The face store in {folder} is already open: {exc}") from None


def is_local(client: QdrantClient) -> bool:
    from qdrant_client.local.qdrant_local import QdrantLocal

    return isinstance(client._client, QdrantLocal)


def _match(field: str, value: Any) -> models.Filter:
    if isinstance(value, (list, tuple, set, frozenset)):
        condition = models.FieldCondition(key=field, match=models.MatchAny(any=list(value)))
    elif value is None:
        # A null payload value may be stored as no value at all.
        return models.Filter(must=[models.IsEmptyCondition(is_empty=models.PayloadField(key=field))])
    else:
        condition = models.FieldCondition(key=field, match=models.MatchValue(value=value))
    return models.Filter(must=[condition])


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Collection:
    """One Qdrant collection, with the batched helpers the library needs."""

    def __init__(self, client: QdrantClient, name: str, dim: int | None):
        self.client = client
        self.name = name
        self.dim = dim
        self.local = is_local(client)
        self._ensure()

    def _ensure(self) -> None:
        """Create the collection if it does not exist yet."""
        if not self.client.collection_exists(self.name):
            vectors = (
                models.VectorParams(size=self.dim, distance=models.Distance.COSINE) if self.dim else {}
            )
            self.client.create_collection(self.name, vectors_config=vectors)
            self._create_indexes()

    def _create_indexes(self) -> None:
        """Payload indexes, on a server; local mode has none and warns."""

    def add(
        self,
        ids: Sequence[str | int],
        payloads: Sequence[dict],
        vectors: np.ndarray | None = None,
    ) -> None:
        """Insert or replace points, in batches."""
        for start in range(0, len(ids), _WRITE_BATCH):
            end = start + _WRITE_BATCH
            if vectors is not None:
                points: models.Batch | list[models.PointStruct] = models.Batch(
                    ids=list(ids[start:end]),
                    vectors=np.asarray(vectors[start:end], dtype=np.float32).tolist(),
                    payloads=list(payloads[start:end]),
                )
            else:
                points = [
                    models.PointStruct(id=point_id, vector={}, payload=payload)
                    for point_id, payload in zip(ids[start:end], payloads[start:end])
                ]
            self.client.upsert(self.name, points=points, wait=True)

    def get(
        self, ids: Sequence[str], with_vectors: bool = False, fields: Sequence[str] | None = None
    ) -> list[models.Record]:
        """The points with these ids that exist (with only `fields` of their
        payload, if given), in no particular order."""
        records = []
        with_payload: bool | list[str] = list(fields) if fields is not None else True
        for chunk in _chunks(list(ids), _SCROLL_BATCH):
            records += self.client.retrieve(
                self.name, ids=list(chunk), with_vectors=with_vectors, with_payload=with_payload
            )
        return records

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        """The payloads of the points with these ids that exist, by id."""
        return {str(r.id): dict(r.payload or {}) for r in self.get(ids)}

    def get_by_filter(self, field: str, value: Any, with_vectors: bool = False) -> list[dict]:
        """Payloads (with `vector` when asked) of the points whose `field` equals
        `value`, or is any of the values in a list."""
        return list(self.scroll_all(with_vectors=with_vectors, query_filter=_match(field, value)))

    def update_payload(self, ids: Sequence[str], payload: dict) -> None:
        """Set the fields of `payload` on every point in `ids` (others unchanged)."""
        for chunk in _chunks(list(ids), _WRITE_BATCH):
            self.client.set_payload(self.name, payload=payload, points=list(chunk), wait=True)

    def update_payloads(self, updates: dict[str, dict]) -> None:
        """Set a different payload on each point, in one batched request per chunk."""
        items = list(updates.items())
        for chunk in _chunks(items, _WRITE_BATCH):
            operations = [
                models.SetPayloadOperation(
                    set_payload=models.SetPayload(payload=payload, points=[point_id])
                )
                for point_id, payload in chunk
            ]
            self.client.batch_update_points(self.name, operations, wait=True)

    def scroll_all(
        self,
        with_vectors: bool = False,
        query_filter: models.Filter | None = None,
        fields: Sequence[str] | None = None,
        batch_size: int | None = None,
    ) -> Iterator[dict]:
        """Every point's payload as a dict with its `id` (and `vector`)."""
        # Local mode sorts every id for each page: pages as big as the
        # collection make a scroll linear instead of quadratic.
        batch_size = batch_size or (_LOCAL_SCROLL_BATCH if self.local else _SCROLL_BATCH)
        offset = None
        with_payload: bool | list[str] = list(fields) if fields is not None else True
        while True:
            records, offset = self.client.scroll(
                self.name,
                scroll_filter=query_filter,
                limit=batch_size,
                offset=offset,
                with_payload=with_payload,
                with_vectors=with_vectors,
            )
            for record in records:
                yield _as_dict(record)
            if offset is None:
                return

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for chunk in _chunks(ids, _WRITE_BATCH):
            self.client.delete(self.name, points_selector=models.PointIdsList(points=list(chunk)), wait=True)

    def delete_by_filter(self, field: str, value: Any) -> None:
        self.client.delete(
            self.name, points_selector=models.FilterSelector(filter=_match(field, value)), wait=True
        )

    def metadata(self) -> dict:
        """The collection's own metadata (which models made its vectors, say)."""
        return dict(self.client.get_collection(self.name).config.metadata or {})

    def set_metadata(self, values: dict) -> None:
        self.client.update_collection(self.name, metadata={**self.metadata(), **values})

    @property
    def size(self) -> int:
        return self.client.count(self.name, exact=True).count

    def clear(self) -> None:
        """Remove every point (the collection and its settings stay)."""
        self.client.delete_collection(self.name)
        self._ensure()


class FaceIndex(Collection):
    """The faces: a 512-d cosine vector and the payload of DESIGN.md per face."""

    def __init__(self, client: QdrantClient, dim: int = 512, name: str = FACES):
        super().__init__(client, name, dim)

    def _create_indexes(self) -> None:
        if self.local:
            return
        for field in _FACE_KEYWORD_FIELDS:
            self.client.create_payload_index(self.name, field, models.PayloadSchemaType.KEYWORD)
        for field in _FACE_INTEGER_FIELDS:
            self.client.create_payload_index(self.name, field, models.PayloadSchemaType.INTEGER)

    def search(
        self,
        vector: np.ndarray,
        top_k: int = 10,
        threshold: float | None = None,
        query_filter: models.Filter | None = None,
    ) -> list[dict]:
        """The `top_k` most similar faces, best first, each with its `score`."""
        response = self.client.query_points(
            self.name,
            query=np.asarray(vector, dtype=np.float32).tolist(),
            limit=top_k,
            score_threshold=threshold,
            query_filter=query_filter,
            with_payload=True,
        )
        return [dict(_as_dict(point), score=point.score) for point in response.points]

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """All face ids and their vectors (N x dim float32), from one scroll."""
        ids, rows = [], []
        for point in self.scroll_all(with_vectors=True, fields=[]):
            ids.append(point["id"])
            rows.append(point["vector"])
        return ids, np.asarray(rows, dtype=np.float32).reshape(len(ids), self.dim)


class PhotoTable(Collection):
    """What the library knows of each photo file, without vectors: its size and
    modification time when indexed, its faces, or why it failed."""

    def __init__(self, client: QdrantClient, name: str = PHOTOS):
        super().__init__(client, name, None)

    def _create_indexes(self) -> None:
        if not self.local:
            for field in ("path", "folder", "folders"):
                self.client.create_payload_index(self.name, field, models.PayloadSchemaType.KEYWORD)


class PeopleTable(Collection):
    """The people: id = person (cluster) id, vector = the mean of its faces,
    payload = name, hidden, cover face, confirmed, face count."""

    def __init__(self, client: QdrantClient, dim: int = 512, name: str = PEOPLE):
        super().__init__(client, name, dim)

    def put(self, people: dict[int, tuple[np.ndarray, dict]]) -> None:
        """Insert or replace people: id -> (mean vector, payload)."""
        if people:
            ids = list(people)
            self.add(ids, [people[i][1] for i in ids], np.stack([people[i][0] for i in ids]))


def _as_dict(record: models.Record | models.ScoredPoint) -> dict:
    data = dict(record.payload or {})
    data["id"] = str(record.id)
    if record.vector is not None:
        data["vector"] = record.vector
    return data
