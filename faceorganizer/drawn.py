"""Faces the detector missed, found again inside a box: one the user draws
round a face (`add_drawn_face`), or a named region of an XMP sidecar.

Inside the box enlarged, the detector runs again at a larger scale; where the
enlarged box leaves the photo, the photo's edge is repeated a little, so that
a face filling a whole avatar still sits in a frame the detector knows.
If it finds nothing, the face is aligned on the box itself, with the eyes,
nose and mouth where they sit in a typical detected face's box.

A drawn face is written first as a false detection (hidden everywhere), then
moved to its person by a correction in the same batch: undoing it hides the
face again, redoing it brings it back, and being pinned, no later grouping
takes it from its person. A photo edited later is indexed again with its
drawn boxes: the face found again in each (`faces_in_drawn_boxes`) takes over
the drawn face's person and the user's corrections, as any face found again does.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceorganizer.errors import CorrectionError, FaceOrganizerError
from faceorganizer.faces import Candidate, DetectedFace, FaceAnalyzer
from faceorganizer.images import Photo, load_photo
from faceorganizer.naming import person_named
from faceorganizer.people import ChangeSet, FaceState, PersonState
from faceorganizer.store import Batch, stable_id
from faceorganizer.xmp import iou

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

#: A box and a detected face overlapping this much are the same face (other
#: tools and users draw boxes larger or smaller than our detector; see overlap).
MATCH_IOU = 0.3

#: The box is enlarged this much and scaled up so that its longer side is at
#: least _CROP_SIDE pixels before the detector looks into it.
_CROP_MARGIN = 2.0
_CROP_SIDE = 320
#: Where the enlarged box leaves the photo, the photo's edge is repeated up to
#: this fraction of the box: enough for the detector to see a whole face in a
#: photo it fills, too little to make a face of the repeated edge.
_PAD = 0.25

#: Where the five landmarks sit in a detected face's box (fractions of its
#: width and height; the mean over the faces of players.jpg).
_LANDMARKS_IN_BOX = np.array(
    [[0.272, 0.362], [0.721, 0.362], [0.490, 0.557], [0.307, 0.733], [0.673, 0.733]], dtype=np.float32
)

#: A drawn box smaller than this (shorter side, pixels of the full-size photo) holds no face to recognise.
_MIN_SIDE = 8


def overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """How surely two boxes frame one face: their IoU, and at least MATCH_IOU
    when each holds the other's centre (a box drawn larger or smaller around
    the same face)."""
    def holds(box, other) -> bool:
        x, y = (other[0] + other[2]) / 2, (other[1] + other[3]) / 2
        return box[0] <= x <= box[2] and box[1] <= y <= box[3]

    score = iou(a, b)
    return max(score, MATCH_IOU) if holds(a, b) and holds(b, a) else score


def find_face_in_box(analyzer: FaceAnalyzer, photo: Photo, box: Sequence[float]) -> Candidate | None:
    """The face the detector finds in `box` (pixels of the full-size photo)
    enlarged and scaled up, in the photo's coordinates; None if none there."""
    import cv2

    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = (x2 - x1) * _CROP_MARGIN / 2, (y2 - y1) * _CROP_MARGIN / 2
    left, top, right, bottom = cx - half_w, cy - half_h, cx + half_w, cy + half_h
    s = photo.scale
    height, width = photo.pixels.shape[:2]
    inside = [max(0, int(left * s)), max(0, int(top * s)),
              min(width, int(np.ceil(right * s))), min(height, int(np.ceil(bottom * s)))]
    pixels = photo.pixels[inside[1]:inside[3], inside[0]:inside[2]]
    if min(pixels.shape[:2]) < _MIN_SIDE:
        return None
    pad = _PAD * min(x2 - x1, y2 - y1) * s
    beyond = [round(min(pad, max(0.0, edge))) for edge in
              (-left * s, -top * s, right * s - width, bottom * s - height)]
    if any(beyond):  # the photo's edge repeated where the enlarged box leaves it
        pixels = cv2.copyMakeBorder(pixels, beyond[1], beyond[3], beyond[0], beyond[2], cv2.BORDER_REPLICATE)
    zoom = max(1.0, _CROP_SIDE / max(pixels.shape[:2]))
    if zoom > 1.0:
        size = (round(pixels.shape[1] * zoom), round(pixels.shape[0] * zoom))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_CUBIC)
    origin_x, origin_y = inside[0] / s - beyond[0] / s, inside[1] / s - beyond[1] / s
    crop = Photo(np.ascontiguousarray(pixels), round(pixels.shape[1] / zoom / s), round(pixels.shape[0] / zoom / s))
    offset = np.array([origin_x, origin_y], dtype=np.float32)
    best, best_score = None, MATCH_IOU
    for c in analyzer.detect(crop):
        moved = (c.bbox[0] + origin_x, c.bbox[1] + origin_y, c.bbox[2] + origin_x, c.bbox[3] + origin_y)
        score = overlap(box, moved)
        if score >= best_score:
            best, best_score = Candidate(moved, c.det_score, c.landmarks + offset), score
    return best


def face_on_box(box: Sequence[float]) -> Candidate:
    """A face aligned on the box alone, when the detector finds none in it
    (detection score 0: nothing vouches for it but the user)."""
    x1, y1, x2, y2 = map(float, box)
    landmarks = _LANDMARKS_IN_BOX * np.array([x2 - x1, y2 - y1], dtype=np.float32) + np.array([x1, y1], np.float32)
    return Candidate((x1, y1, x2, y2), 0.0, landmarks.astype(np.float32))


def drawn_candidate(analyzer: FaceAnalyzer, photo: Photo, box: Sequence[float]) -> Candidate:
    """The face in a box the user drew: the one the detector finds there, framed
    by the user's box, else one aligned on the box alone."""
    found = find_face_in_box(analyzer, photo, box)
    return replace(found, bbox=tuple(box)) if found is not None else face_on_box(box)


def drawn_face_id(image_id: str, version: dict, box: Sequence[float]) -> str:
    """The id of a face drawn in `box` of a version of a photo."""
    return stable_id(image_id, version.get("size"), version.get("mtime_ns"), "drawn", *(round(v) for v in box))


#: A box the user drew on a photo: (x1, y1, x2, y2), and the (width, height) of the photo it was drawn on.
DrawnBox = tuple[Sequence[float], Sequence[int]]


def drawn_boxes(library: FaceLibrary, records: Iterable[dict]) -> dict[str, list[DrawnBox]]:
    """The boxes drawn round the faces (still placed, not undone) of these
    photo records, by the photo's path."""
    ids = [face_id for record in records for face_id in record.get("face_ids", [])]
    boxes: dict[str, list[DrawnBox]] = defaultdict(list)
    for face in library.store.get_faces(ids, fields=["path", "bbox", "image_size", "drawn", "not_a_face"]):
        if face.get("drawn") and not face.get("not_a_face"):
            boxes[face["path"]].append((face["bbox"], face["image_size"]))
    return dict(boxes)


def faces_in_drawn_boxes(analyzer: FaceAnalyzer, photo: Photo, drawn: Sequence[DrawnBox],
                         kept: Sequence[Candidate]) -> list[Candidate]:
    """The faces in the boxes drawn on an earlier version of `photo`, each box
    scaled to the photo's size now. A box that a detected face `kept` fills is
    left to that face (it takes over the drawn one as a face found again)."""
    faces = []
    for (x1, y1, x2, y2), (width, height) in drawn:
        sx, sy = photo.width / width, photo.height / height
        box = (x1 * sx, y1 * sy, x2 * sx, y2 * sy)
        if not any(overlap(box, c.bbox) >= MATCH_IOU for c in kept):
            faces.append(drawn_candidate(analyzer, photo, box))
    return faces


def add_drawn_face(library: FaceLibrary, path: str | os.PathLike, box: Sequence[float],
                   person: int | None = None, name: str | None = None) -> ChangeSet:
    """Add the face in `box` (x1, y1, x2, y2 in pixels of the upright photo)
    of an indexed photo, as a face of person `person`, or of the person named
    `name` (a new one if nobody has that name), or of nobody yet. The change's
    `result` is the new face's id."""
    library.check_writable()
    path = str(Path(path).expanduser().resolve())
    image_id = stable_id("path", path)
    records = library.store.get_photos([image_id])
    if not records or records[0].get("status") != "done":
        raise FaceOrganizerError(f"{path} is not in the library: add or rescan its folder first.")
    record = {k: v for k, v in records[0].items() if k != "id"}
    photo = load_photo(path, max_side=library.settings.decode_size)
    box = _checked_box(box, photo, path)
    face = library.analyzer.embed(photo, [drawn_candidate(library.analyzer, photo, box)])[0]
    face_id = drawn_face_id(image_id, record.get("version") or {}, box)
    if face_id in library.catalog.row and not library.catalog.state(face_id).not_a_face:
        raise CorrectionError(f"This face of {Path(path).name} is in the library already.")
    target, people, who = _target(library, person, name)
    payload = _drawn_payload(face_id, image_id, path, face, (photo.width, photo.height))
    batch = Batch()
    batch.faces[face_id] = (face.embedding, payload)
    batch.photos[image_id] = {**record, "face_ids": sorted({*record.get("face_ids", []), face_id})}
    library.catalog.add([face_id], face.embedding[None, :], [payload])
    library.thumbnails.write(face_id, photo.pixels, tuple(v * photo.scale for v in box))
    description = f"Add a face of {Path(path).name}" + (f" to {who}" if who else "")
    return library._commit(description, {face_id: FaceState(target, pinned=target is not None)}, people,
                           result=face_id, batch=batch)


def _checked_box(box: Sequence[float], photo: Photo, path: str) -> tuple[float, float, float, float]:
    """The box within the photo, or a CorrectionError saying what is wrong with it."""
    if len(box) != 4:
        raise CorrectionError("A face box is four numbers: X1,Y1,X2,Y2 (pixels of the upright photo).")
    (x1, x2), (y1, y2) = sorted(map(float, box[0::2])), sorted(map(float, box[1::2]))
    x1, y1, x2, y2 = max(0.0, x1), max(0.0, y1), min(float(photo.width), x2), min(float(photo.height), y2)
    if min(x2 - x1, y2 - y1) < _MIN_SIDE:
        raise CorrectionError(
            f"The box {','.join(f'{v:g}' for v in box)} holds less than {_MIN_SIDE} pixels of "
            f"{Path(path).name} ({photo.width}x{photo.height}): draw it round the face."
        )
    return x1, y1, x2, y2


def _target(library: FaceLibrary, person: int | None, name: str | None) -> tuple[int | None, dict, str]:
    """The person the face joins, the person states that change, and who it
    is as the user sees them."""
    name = (name or "").strip()
    if person is None and name:
        person = person_named(library, name)
        if person is None:
            new = library.catalog.next_cluster_id()
            return new, {new: PersonState(name=name, confirmed=True)}, f"'{name}'"
    if person is None:
        return None, {}, ""
    library.get_person(int(person))
    return int(person), {int(person): library._confirmed_state(int(person))}, library._names([int(person)])


def _drawn_payload(face_id: str, image_id: str, path: str, face: DetectedFace, size: tuple[int, int]) -> dict:
    """A face record as indexing writes one, marked drawn, and hidden until the
    correction that adds it places it."""
    return {
        "face_id": face_id,
        "image_id": image_id,
        "path": path,
        "bbox": [round(v, 1) for v in face.bbox],
        "landmarks": np.round(face.landmarks.astype(np.float64), 1).tolist(),
        "det_score": round(face.det_score, 4),
        "embedding_norm": round(face.embedding_norm, 3),
        "image_size": list(size),
        "indexed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "drawn": True,
        **FaceState(None, not_a_face=True).payload(),
        "cluster_confidence": None,
    }
