"""What the window's views show, read from a library: the faces of a list and
the photo of a face, as the plain values of faceorganizer.protocol.

This module imports no Qt."""

from __future__ import annotations

from faceorganizer.ages import age_on, ages_on_photos
from faceorganizer.protocol import UNASSIGNED, FaceItem, PhotoFace, PhotoInfo
from faceorganizer.store import stable_id


def face_list(library, key) -> list[FaceItem]:
    """The faces of a person (least sure first), or the unassigned faces."""
    catalog = library.catalog
    ages = {}
    if key == UNASSIGNED:
        ids = library.unassigned_faces()
        similarity = [None] * len(ids)
    else:
        if not catalog.face_count(key):
            return []
        ids = library.faces_of(key)
        rows = [catalog.row[f] for f in ids]
        similarity = catalog.similarity_to_person(rows, key).tolist()
        ages = ages_on_photos(library, key, ids)
    paths = library.paths_of(ids)
    return [FaceItem(f, paths.get(f), s, ages.get(f)) for f, s in zip(ids, similarity)]


def photo(library, face_id: str, key) -> PhotoInfo:
    """The photo of a face, for the viewer, with the photos before and after
    it in the list `key` it was opened from."""
    face = library.get_face(face_id)
    [record] = library.store.get_photos([face["image_id"]]) or [{}]
    faces = _photo_faces(library, face["image_id"], record)
    # The person's photos in path order, one face each, for previous and next.
    order = library.unassigned_faces() if key == UNASSIGNED else library.catalog.face_ids_of(key)
    paths = library.paths_of(order)
    order = sorted(order, key=lambda f: (paths.get(f) or "", f))
    i = order.index(face_id) if face_id in order else -1
    return PhotoInfo(
        face["path"], tuple(face.get("image_size") or (0, 0)), faces, face_id,
        order[i - 1] if i > 0 else None,
        order[i + 1] if 0 <= i < len(order) - 1 else None,
        (i + 1, len(order)),
        order[0] if i > 0 else None,
        order[-1] if 0 <= i < len(order) - 1 else None,
    )


def photo_at(library, path: str) -> PhotoInfo:
    """The photo at `path` for the viewer, alone (opened when it had no face)."""
    image_id = stable_id("path", path)
    [record] = library.store.get_photos([image_id]) or [{}]
    return PhotoInfo(path, (record.get("width") or 0, record.get("height") or 0),
                     _photo_faces(library, image_id, record), "")


def _photo_faces(library, image_id: str, record: dict) -> list[PhotoFace]:
    """The faces of a photo (`record`) with their people's names and ages on its date."""
    faces = []
    for other in library.faces_in_photo(image_id):
        if other.get("not_a_face"):
            continue
        cid = other.get("cluster_id")
        person = library.catalog.people.get(cid) if cid is not None else None
        faces.append(PhotoFace(other["id"], tuple(other["bbox"]), cid, person.name if person else None,
                               age_on(person, record.get("taken"))))
    return faces