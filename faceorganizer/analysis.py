"""Analysing one photo on a worker thread: decode it, find and embed its
faces (looking closer for small ones where asked), cut their thumbnails, and
read its date and sidecars. The result, a `PhotoAnalysis`, touches no store:
the indexing pipeline (faceorganizer.indexing) writes it on its own thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceorganizer.dates import photo_date
from faceorganizer.drawn import DrawnBox, drawn_face_id, faces_in_drawn_boxes
from faceorganizer.errors import ImageLoadError
from faceorganizer.faces import Candidate, DetectedFace
from faceorganizer.images import ImageInput, Photo, load_photo
from faceorganizer.scanning import NOT_TEXT, file_version, is_text, os_reason, printable, version_key
from faceorganizer.sidecars import faces_in_regions, sidecar_versions
from faceorganizer.small_faces import HINT_SCORE, look_closer
from faceorganizer.store import stable_id

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

log = logging.getLogger(__name__)


@dataclass
class PhotoAnalysis:
    """A photo analysed on a worker thread, ready to be written."""

    image_id: str
    path: str | None
    version: dict[str, int]
    width: int = 0
    height: int = 0
    faces: list[tuple[str, DetectedFace]] = field(default_factory=list)
    found: int = 0
    error: str | None = None
    taken: tuple[str, str] | None = None  # (ISO 8601 date, where it came from)
    sidecars: list[list[int] | None] | None = None  # see sidecars.sidecar_versions
    looked_everywhere: bool = False  # for small faces, on the whole photo
    drawn: set[str] = field(default_factory=set)  # ids of its faces found again in boxes the user drew


def analyse_photo(library: FaceLibrary, path: str | None, image: ImageInput,
                  look_everywhere: bool = False, drawn: Sequence[DrawnBox] = ()) -> PhotoAnalysis:
    """Decode and analyse one photo, and cut its face thumbnails. Runs on a
    worker thread and touches no store. `look_everywhere`: look closer for
    small faces on the whole photo, not only where the first pass hints;
    `drawn`: the boxes the user drew round faces of an earlier version of it."""
    if path is not None and not is_text(path):
        return PhotoAnalysis("", printable(path), {}, error=NOT_TEXT)  # no id: nothing of it is kept
    if path is not None:
        try:
            version = file_version(os.stat(path))
        except OSError as exc:
            return PhotoAnalysis(stable_id("path", path), path, {}, error=os_reason(exc))
        image_id = stable_id("path", path)
    else:
        version = {}
        image_id = stable_id("content", content_hash(image))
    key = version_key(version)
    analysis = PhotoAnalysis(image_id, path, version, looked_everywhere=look_everywhere)
    try:
        photo = load_photo(image, max_side=library.settings.decode_size)
    except ImageLoadError as exc:
        analysis.error = exc.reason
        return analysis
    analysis.width, analysis.height = photo.width, photo.height
    if path is not None:
        analysis.taken = photo_date(path, version["mtime_ns"])
        analysis.sidecars = sidecar_versions(path)
    settings = library.settings
    analyzer = library.analyzer
    small_faces = settings.small_faces or look_everywhere

    def keep(c: Candidate) -> bool:
        return c.size >= settings.min_face_size and c.det_score >= settings.min_det_score

    try:
        found = analyzer.detect(photo, threshold=HINT_SCORE if small_faces else None)
        detected = [c for c in found if c.det_score >= analyzer.det_thresh]
        kept = [(i, c) for i, c in enumerate(detected) if keep(c)]
        kept += faces_in_regions(analyzer, photo, path, detected, kept)
        closer = look_closer(analyzer, image, photo, found, [c for _, c in kept],
                             everywhere=look_everywhere) if small_faces else None
        looks = [(photo, kept)] if closer is None else closer.embedding_sources(photo, kept, keep)
        embedded = [(source, numbered, analyzer.embed(source, [c for _, c in numbered]))
                    for source, numbered in looks]
        redrawn = faces_in_drawn_boxes(analyzer, photo, drawn, [c for _, c in kept]) if drawn else []
        redrawn = analyzer.embed(photo, redrawn) if redrawn else []
    except Exception as exc:  # onnxruntime and OpenCV raise untyped errors
        log.exception("face analysis failed on %s", path or "an image")
        analysis.error = f"face analysis failed ({exc})"
        return analysis
    analysis.found = len(detected) + (len(closer.faces) if closer else 0)
    for source, numbered, faces in embedded:
        for (i, _), face in zip(numbered, faces):
            face_id = stable_id(image_id, key, i)
            analysis.faces.append((face_id, face))
            library.thumbnails.write(face_id, source.pixels, _scaled(face.bbox, source))
    for face in redrawn:
        face_id = drawn_face_id(image_id, version, face.bbox)
        analysis.faces.append((face_id, face))
        analysis.drawn.add(face_id)
        library.thumbnails.write(face_id, photo.pixels, _scaled(face.bbox, photo))
    return analysis


def source_of(image: ImageInput) -> str | None:
    if isinstance(image, (str, os.PathLike)):
        return str(Path(image).expanduser().resolve())
    return None


def content_hash(image: ImageInput) -> str:
    if isinstance(image, np.ndarray):
        return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()
    if isinstance(image, (bytes, bytearray, memoryview)):
        return hashlib.sha1(image).hexdigest()
    return hashlib.sha1(image.tobytes()).hexdigest()


def _scaled(box: tuple[float, ...], photo: Photo) -> tuple[float, float, float, float]:
    s = photo.scale
    return tuple(v * s for v in box)  # type: ignore[return-value]

