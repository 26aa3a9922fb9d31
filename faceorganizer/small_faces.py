"""A second, closer look for the small faces of big photos.

The first pass sees a 12 MP photo at 640 px, a sixth of its size: a face of
40-100 px is 6-16 px there, below what the detector finds reliably (16 px).
Where the first pass hints at a group of such faces (two or more faces of
that size, one at least found, the others maybe weaker guesses), the photo
is decoded again at full size, and the detector runs once on the region
around the hints (the group, with a margin for the faces it gave no hint of)
at the scale that makes a 40 px face 20 px. The small faces are embedded
from the full size: at 40 px, 88% then join their person, against 83% from
the half size. Photos whose first pass shows fewer small faces, and photos
small enough for the first pass to see 40 px faces, cost nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faceorganizer.faces import Candidate, FaceAnalyzer
from faceorganizer.images import ImageInput, Photo, load_photo

#: The smallest face (shorter side, full-size pixels) the closer look is for.
SMALL_FACE = 40
#: Faces the closer look finds smaller than this are left out: a crowd's
#: faces of 15-30 px join their person too seldom to be worth their place
#: (at 32 px, one in two does; at 40 px, nine in ten).
SMALLEST = 32
#: The size the detector finds faces reliably at, in its input's pixels.
RELIABLE = 16
#: The size the closer look shows a SMALL_FACE to the detector at.
CLOSE_SIZE = 20
#: Faces this size or larger in a decode (pixels) embed as well as from any sharper one.
SHARP_ENOUGH = 56
#: First-pass guesses at least this sure count as hints of a small face.
HINT_SCORE = 0.1
#: The hints that make a group worth a closer look, one at least a face the
#: detector is sure of. Weak guesses alone are most often false: 4 of the
#: throughput benchmark's 40 photos have 15-20 of them, and a closer look
#: found 0-2 faces in each, at several times the cost of their first look.
GROUP = 2
#: The margin around the hints' region, as a share of the photo's longer side.
MARGIN = 0.15
#: Face numbers of a photo's closer look start here, after the first pass's
#: and the named regions', so that those keep their face ids.
FIRST_NUMBER = 1000
#: Boxes overlapping this much (intersection over the smaller box) are one face.
SAME_FACE = 0.5


@dataclass
class CloserLook:
    """What a closer look found: the faces new to it (`faces`) and all it saw
    (`seen`), in the photo's full-size pixels, and the full-size decode to
    embed them from."""

    photo: Photo
    faces: list[Candidate]
    seen: list[Candidate]

    def embedding_sources(self, photo: Photo, kept: list[tuple[int, Candidate]], keep
                          ) -> list[tuple[Photo, list[tuple[int, Candidate]]]]:
        """The faces to embed from each decode, numbered: the first look's
        `kept` faces that are large in its decode `photo` from it, the others
        (as the closer look saw them) and the new ones that `keep` accepts
        (numbered from FIRST_NUMBER) from the full size."""
        large = [(i, c) for i, c in kept if c.size * photo.scale >= SHARP_ENOUGH]
        small = [(i, self.sharper(c)) for i, c in kept if c.size * photo.scale < SHARP_ENOUGH]
        return [(photo, large), (self.photo, small + list(enumerate(filter(keep, self.faces), FIRST_NUMBER)))]

    def sharper(self, face: Candidate) -> Candidate:
        """`face` as the closer look saw it, when it did: its landmarks there
        are placed far better than in a first look that saw it at 10-16 px."""
        best = max(self.seen, key=lambda c: _overlap(face.bbox, c.bbox), default=None)
        if best is None or _overlap(face.bbox, best.bbox) < SAME_FACE:
            return face
        return best


def hints(analyzer: FaceAnalyzer, photo: Photo, found: Sequence[Candidate]) -> list[Candidate]:
    """Of the first pass's finds (weaker guesses included), those that say a
    closer look may pay: faces too small for the first pass to find them
    reliably. None at all for a photo the first pass sees well enough."""
    scale = analyzer.detector_scale(photo)
    if SMALL_FACE * scale >= RELIABLE:
        return []
    return [c for c in found if c.det_score >= HINT_SCORE and c.size * scale < RELIABLE]


def look_closer(
    analyzer: FaceAnalyzer,
    image: ImageInput,
    photo: Photo,
    found: Sequence[Candidate],
    known: Sequence[Candidate],
    *,
    everywhere: bool = False,
) -> CloserLook | None:
    """The faces a closer look finds, other than those `found` (the first
    pass's finds, weaker guesses included) holds above the detector's
    threshold and the `known` ones. None when the photo needs no closer look:
    when it is small enough, or, unless `everywhere`, when `found` holds
    fewer than GROUP hints of small faces, or none the detector is sure of."""
    if SMALL_FACE * analyzer.detector_scale(photo) >= RELIABLE:
        return None
    near = hints(analyzer, photo, found)
    if everywhere:
        region = (0.0, 0.0, float(photo.width), float(photo.height))
    elif len(near) >= GROUP and any(c.det_score >= analyzer.det_thresh for c in near):
        margin = MARGIN * max(photo.width, photo.height)
        region = (max(0.0, min(c.bbox[0] for c in near) - margin), max(0.0, min(c.bbox[1] for c in near) - margin),
                  min(float(photo.width), max(c.bbox[2] for c in near) + margin),
                  min(float(photo.height), max(c.bbox[3] for c in near) + margin))
    else:
        return None
    sharp = photo if photo.scale >= 1 else load_photo(image, max_side=max(photo.width, photo.height))
    close = _reduced(sharp, CLOSE_SIZE / SMALL_FACE)
    s = close.scale
    left, top, right, bottom = (round(v * s) for v in region)
    crop = Photo(np.ascontiguousarray(close.pixels[top:bottom, left:right]),
                 round((right - left) / s), round((bottom - top) / s))
    offset = np.array([left / s, top / s], dtype=np.float32)
    boxes = [c.bbox for c in found if c.det_score >= analyzer.det_thresh] + [c.bbox for c in known]
    seen = [Candidate((c.bbox[0] + offset[0], c.bbox[1] + offset[1], c.bbox[2] + offset[0], c.bbox[3] + offset[1]),
                      c.det_score, c.landmarks + offset)
            for c in analyzer.detect(crop, det_size=max(crop.pixels.shape[:2]))]
    faces: list[Candidate] = []
    for c in seen:
        if c.size >= SMALLEST and not any(_overlap(c.bbox, other) >= SAME_FACE for other in boxes):
            boxes.append(c.bbox)
            faces.append(c)
    return CloserLook(sharp, faces, seen)


def _reduced(photo: Photo, scale: float) -> Photo:
    """The photo at `scale` of its full size."""
    import cv2

    size = (round(photo.width * scale), round(photo.height * scale))
    return Photo(cv2.resize(photo.pixels, size, interpolation=cv2.INTER_AREA), photo.width, photo.height)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The intersection of two boxes over the smaller one's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / max(smaller, 1e-6)
