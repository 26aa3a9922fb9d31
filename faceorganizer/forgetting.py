"""Forgetting faces and photos (the files stay untouched): one face the user
removed, which stays removed when its photo is indexed again unless the file
changes; a photo and all its faces; the records and faces of photos whose
files are gone. Each leaves the people the faces were in up to date.
FaceLibrary's `remove`, `remove_image`, `_forget_photos` and `_delete_faces`
hand over to these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from faceorganizer.store import Batch

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary


def remove_face(library: FaceLibrary, face_id: str) -> None:
    """Remove one face. It stays removed when its photo is indexed again,
    unless the photo file changes."""
    face = library.get_face(face_id)
    batch = Batch()
    delete_faces(library, [face_id], batch)
    for record in library.store.get_photos([face["image_id"]]):
        batch.photo_fields[record["id"]] = {
            "face_ids": [f for f in record.get("face_ids", []) if f != face_id],
            "removed_face_ids": record.get("removed_face_ids", []) + [face_id],
        }
    library._store(batch)


def remove_image(library: FaceLibrary, image_id: str) -> None:
    """Remove a photo and all its faces from the library (the file stays)."""
    batch = Batch()
    delete_faces(library, [f["id"] for f in library.store.iter_faces(image_id=image_id, fields=[])], batch)
    forget_photos(library, library.store.get_photos([image_id]), batch)
    library._store(batch)


def forget_photos(library: FaceLibrary, records: Iterable[dict], batch: Batch) -> None:
    """Remove photo records and all their faces (the files are gone)."""
    records = list(records)
    delete_faces(library, [fid for r in records for fid in r.get("face_ids", [])], batch)
    batch.photos_deleted.update(r["id"] for r in records)


def delete_faces(library: FaceLibrary, face_ids: Iterable[str], batch: Batch) -> None:
    """Delete faces, from the people they were in too (their thumbnails
    go once the batch is written)."""
    face_ids = list(face_ids)
    if not face_ids:
        return
    batch.delete_faces(face_ids)
    catalog = library.catalog
    people = {catalog.state(f).cluster_id for f in face_ids if f in catalog.row}
    catalog.remove(face_ids)
    library._sync_people(people - {None}, batch)
