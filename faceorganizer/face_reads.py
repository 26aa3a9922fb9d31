"""Reading faces out of a library: `search` for the faces most like a face or
a photo's largest face, and each face's payload with every field present
(`get_face`, `iter_faces`, `faces_in_photo`, `paths_of`). FaceLibrary's
methods of the same names hand over to these.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from faceorganizer.clustering import top_k
from faceorganizer.errors import FaceNotFoundError, NoFaceDetectedError
from faceorganizer.images import ImageInput, load_photo

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary
    from faceorganizer.people import FaceCatalog


@dataclass
class SearchResult:
    """A face found by `FaceLibrary.search`, with its cosine similarity `score`."""

    face_id: str
    image_id: str
    score: float
    bbox: tuple[float, float, float, float] | None = None
    cluster_id: int | None = None
    path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def search(
    library: FaceLibrary,
    image_or_face_id: ImageInput,
    top_k: int = 10,
    threshold: float | None = None,
) -> list[SearchResult]:
    """The faces most like the given face, best first.

    The query is a face id from this library (that face itself is left
    out), or a photo, whose largest face is used.

    With every face's vector in memory (the library's catalog is loaded, as
    it is in the window's library process), the faces are scored there,
    exactly; else the store scans its vectors (a one-off search of a
    library just opened: loading the catalog would cost far more).
    """
    exclude = None
    if isinstance(image_or_face_id, str) and _looks_like_id(image_or_face_id):
        records = library.store.get_faces([image_or_face_id], vectors=True)
        if not records:
            raise FaceNotFoundError(image_or_face_id)
        vector = records[0]["vector"]
        exclude = image_or_face_id
    else:
        photo = load_photo(image_or_face_id, max_side=library.settings.decode_size)
        detected = library.analyzer.analyze(photo)
        if not detected:
            raise NoFaceDetectedError("no face found in the query image")
        vector = max(detected, key=lambda f: f.size).embedding
    count = top_k + (exclude is not None)
    if library._catalog is not None:
        scores = dict(_nearest(library._catalog, vector, count, threshold))
        hits = [dict(record, score=scores[record["id"]]) for record in library.store.get_faces(list(scores))]
        hits.sort(key=lambda hit: -hit["score"])
    else:
        hits = library.store.search_faces(vector, count, threshold)
    results = [
        SearchResult(
            face_id=hit["id"],
            image_id=hit.get("image_id", ""),
            score=float(hit["score"]),
            bbox=tuple(hit["bbox"]) if hit.get("bbox") else None,
            cluster_id=hit.get("cluster_id"),
            path=hit.get("path"),
            metadata={k: v for k, v in hit.items() if k not in ("id", "score")},
        )
        for hit in hits
        if hit["id"] != exclude
    ]
    return results[:top_k]


def _nearest(catalog: FaceCatalog, vector, count: int, threshold: float | None) -> list[tuple[str, float]]:
    """The `count` faces of the catalog most like `vector` (a unit vector),
    best first, with their cosine similarity, at least `threshold`. Exact:
    every face in memory is scored, 100,000 of them in about 10 ms, where
    the store scans them in 15-30 ms (Qdrant Edge has no HNSW index)."""
    scores = catalog.vectors @ np.asarray(vector, dtype=np.float32)
    scores[~catalog.alive] = -np.inf
    if threshold is not None:
        scores[scores < threshold] = -np.inf
    rows, sims = top_k(scores[None, :], min(count, len(scores)))
    return [(catalog.ids[row], float(sim)) for row, sim in zip(rows[0].tolist(), sims[0]) if sim > -np.inf]


def get_face(library: FaceLibrary, face_id: str) -> dict:
    """The face's payload, with its `id`."""
    records = library.store.get_faces([face_id]) if _looks_like_id(face_id) else []
    if not records:
        raise FaceNotFoundError(face_id)
    return _face_dict(records[0])


def iter_faces(library: FaceLibrary, cluster_id: int | None = None, *, unassigned: bool = False) -> Iterator[dict]:
    """Every face's payload (of one person, or the unassigned ones)."""
    faces = library.store.iter_faces(cluster_id=cluster_id, unassigned=unassigned)
    if unassigned:
        faces = (f for f in faces if not f.get("not_a_face"))
    return map(_face_dict, faces)


def faces_in_photo(library: FaceLibrary, image_id: str) -> list[dict]:
    """Every face of one photo."""
    return [_face_dict(f) for f in library.store.iter_faces(image_id=image_id)]


def paths_of(library: FaceLibrary, face_ids: Sequence[str]) -> dict[str, str | None]:
    """The photo path of each face: from the catalog when it is in memory
    (the grid of 100,000 unassigned faces lists them in a blink), else
    from the store (a command that writes a few sidecars loads no catalog)."""
    if library._catalog is not None:
        return library._catalog.paths_of(face_ids)
    return {r["id"]: r.get("path") for r in library.store.get_faces(face_ids, fields=["path"])}


_FACE_DEFAULTS = {"cluster_id": None, "cluster_confidence": None, "pinned": False,
                  "rejected_clusters": [], "not_a_face": False}


def _face_dict(payload: dict) -> dict:
    """A face's payload with every field present (the store drops null values)."""
    return {**_FACE_DEFAULTS, **payload}


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4 and not os.path.sep in value

