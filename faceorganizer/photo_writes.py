"""Writing analysed photos into the library: their photo records, their faces
(with the people they join or form) as one batch, the user's corrections
carried over to the faces of a photo indexed again, and the records of a
photo file that moved. The indexing pipeline (faceorganizer.indexing) calls
these on the one thread that touches the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceorganizer.analysis import PhotoAnalysis
from faceorganizer.faces import DetectedFace
from faceorganizer.people import FaceState
from faceorganizer.scanning import same_content
from faceorganizer.store import Batch, stable_id

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

#: Two faces of one photo this alike (cosine) are the same face, found again.
_SAME_FACE = 0.8


def write_analyses(
    library: FaceLibrary,
    analyses: Sequence[PhotoAnalysis],
    group: Sequence[str] | None = None,
    regroup: Iterable[int] = (),
) -> set[int]:
    """Store analysed photos, their faces and the people they join, as one
    batch (all or nothing).

    With `group` (face ids: the new ones of this batch and maybe earlier
    ones), new unassigned faces also form people, before the faces are
    written, so they are written once with their person. Returns the
    people formed.
    """
    batch = Batch(meta=dict(library._unwritten_meta))
    formed: set[int] = set()
    if analyses:
        _add_analyses(library, analyses, batch)
    if group:
        formed = library._group_unassigned(group, batch, regroup)
    library._store(batch)
    library._unwritten_meta.clear()
    return formed


def _add_analyses(library: FaceLibrary, analyses: Sequence[PhotoAnalysis], batch: Batch) -> None:
    analyses = [a for a in analyses if a.image_id]  # (a path the store cannot keep: see analyse_photo)
    previous = {r["id"]: r for r in library.store.get_photos([a.image_id for a in analyses])}
    now = _now()
    stale: set[str] = set()
    carried: dict[str, FaceState] = {}
    for a in analyses:
        old = {k: v for k, v in previous.get(a.image_id, {}).items() if k != "id"}
        if a.error is not None:
            # A photo that cannot be read now keeps the faces it had.
            batch.photos[a.image_id] = {**old, **_photo_fields(a), "status": "failed", "error": a.error}
            continue
        # Face ids derive from the file's version: faces the user removed
        # stay removed until the file itself changes.
        removed = old.get("removed_face_ids", []) if same_content(old.get("version"), a.version) else []
        dropped = [fid for fid, _ in a.faces if fid in removed]
        library.thumbnails.remove(dropped)
        a.faces = [(fid, face) for fid, face in a.faces if fid not in removed]
        kept = {fid for fid, _ in a.faces}
        if same_content(old.get("version"), a.version):  # looked at again: the faces drawn on it stay
            kept |= _drawn(library, [fid for fid in old.get("face_ids", []) if fid not in kept])
        replaced = [fid for fid in old.get("face_ids", []) if fid not in kept]
        stale.update(replaced)
        found_again = _carry_corrections(library, a, replaced)
        carried.update(found_again)
        # A drawn box that frames another face now (the photo was cropped) has lost its face.
        lost = a.drawn - found_again.keys()
        if lost:
            library.thumbnails.remove(lost)
            a.faces = [(fid, face) for fid, face in a.faces if fid not in lost]
            kept -= lost
        batch.photos[a.image_id] = {
            **_photo_fields(a),
            "status": "done",
            "error": None,
            "face_ids": sorted(kept),
            "faces_found": a.found,
            "width": a.width,
            "height": a.height,
            "removed_face_ids": removed,
            "small_faces_searched": a.looked_everywhere,
            "indexed_at": now,
            "sidecars": a.sidecars,
            **date_fields(a.taken),
        }
    library._delete_faces(stale, batch)
    good = [a for a in analyses if a.error is None]
    people = library._people_of_new_faces(good, carried)
    face_ids, vectors, payloads = [], [], []
    for a in good:
        for face_id, face in a.faces:
            face_ids.append(face_id)
            vectors.append(face.embedding)
            payloads.append({**face_payload(face_id, a, face, now), **people[face_id]})
    if face_ids:
        vectors = np.stack(vectors)
        library.catalog.add(face_ids, vectors, payloads)
        batch.faces.update(zip(face_ids, zip(vectors, payloads)))
        library._sync_people({p["cluster_id"] for p in people.values() if p["cluster_id"] is not None}, batch)


def _carry_corrections(library: FaceLibrary, analysis: PhotoAnalysis, old_face_ids: list[str]) -> dict[str, FaceState]:
    """A photo indexed again (edited, re-tagged, touched) gets new face ids;
    each new face that is an old face again takes over its person and the
    user's corrections."""
    catalog = library.catalog
    rows = [catalog.row[f] for f in old_face_ids if f in catalog.row]
    if not rows or not analysis.faces:
        return {}
    sims = np.stack([face.embedding for _, face in analysis.faces]) @ catalog.vectors[rows].T
    carried = {}
    for flat in np.argsort(-sims, axis=None):
        i, j = divmod(int(flat), len(rows))
        if sims[i, j] < _SAME_FACE:
            break
        new_id, old_id = analysis.faces[i][0], catalog.ids[rows[j]]
        if new_id not in carried and old_id not in carried.values():
            carried[new_id] = old_id
    return {new_id: catalog.state(old_id) for new_id, old_id in carried.items()}


def move_photo(library: FaceLibrary, record: dict, path: str, batch: Batch) -> None:
    """A photo file moved: its record and faces follow it."""
    image_id = stable_id("path", path)
    face_ids = record.get("face_ids", [])
    batch.set_face_fields(face_ids, {"path": path, "image_id": image_id})
    if library._catalog is not None:
        library._catalog.move_to_photo(face_ids, image_id, path)
    moved = {k: v for k, v in record.items() if k != "id"}
    batch.photos[image_id] = {**moved, **_photo_fields(PhotoAnalysis(image_id, path, moved["version"]))}
    batch.photos_deleted.add(record["id"])


def _photo_fields(a: PhotoAnalysis) -> dict:
    """Where the photo is: `folders` lists every folder above it, so that one
    filter finds the photos under any folder."""
    folder = Path(a.path).parent if a.path else None
    return {
        "path": a.path,
        "folder": str(folder) if folder else None,
        "folders": [str(folder), *map(str, folder.parents)] if folder else [],
        "version": a.version,
    }


def date_fields(taken: tuple[str, str] | None) -> dict:
    """A photo record's `taken` (ISO 8601) and `taken_from` ('exif',
    'digitized' or 'file'); none for an image that is not a file."""
    return {"taken": taken[0], "taken_from": taken[1]} if taken else {}


def face_payload(face_id: str, a: PhotoAnalysis, face: DetectedFace, now: str | None = None) -> dict:
    """A new face's record, of no person yet."""
    return {
        "face_id": face_id,
        "image_id": a.image_id,
        "path": a.path,
        "bbox": [round(v, 1) for v in face.bbox],
        "landmarks": np.round(face.landmarks.astype(np.float64), 1).tolist(),
        "det_score": round(face.det_score, 4),
        "embedding_norm": round(face.embedding_norm, 3),
        "image_size": [a.width, a.height],
        "cluster_id": None,
        "cluster_confidence": None,
        "indexed_at": now or _now(),
        **({"drawn": True} if face_id in a.drawn else {}),
    }


def _drawn(library: FaceLibrary, face_ids: list[str]) -> set[str]:
    """Which of these faces the user drew."""
    if not face_ids:
        return set()
    return {f["id"] for f in library.store.get_faces(face_ids, fields=["drawn"]) if f.get("drawn")}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
