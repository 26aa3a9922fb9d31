"""Questions about faces on real photos: a face is asked about the candidate
it is best matched with once the candidate's hubness is taken off."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from faceorganizer import face_questions
from faceorganizer.suggestions import PAIR

pytestmark = pytest.mark.engines


def blurred(source: Path, target: Path) -> Path:
    """The photo as a poor copy shows it: a quarter of its size, blown up
    again, blurred and compressed hard."""
    image = Image.open(source).convert("RGB")
    small = image.resize((image.width // 4, image.height // 4), Image.Resampling.BILINEAR)
    small.resize(image.size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(2)).save(target, quality=60)
    return target


@pytest.fixture
def sharp_and_blurred(library, sample_photos, tmp_path):
    """players.jpg, t1.jpg and gdp.jpg, each beside a blurred copy: returns
    (library, {a blurred face of players.jpg of no person: its sharp face,
    of no person too})."""
    photos = {name: (sample_photos[name], blurred(sample_photos[name], tmp_path / f"{name}.jpg"))
              for name in ("players", "t1", "gdp")}
    library.index_batch([str(path) for pair in photos.values() for path in pair])
    faces = {}
    for face in library.iter_faces(unassigned=True):
        x1, y1, x2, y2 = face["bbox"]
        faces.setdefault(face["path"], []).append((face["id"], ((x1 + x2) / 2, (y1 + y2) / 2)))
    sharp, poor = (faces[str(path.resolve())] for path in photos["players"])

    def nearest(centre):
        return min(sharp, key=lambda face: abs(face[1][0] - centre[0]) + abs(face[1][1] - centre[1]))

    return library, {face_id: found[0] for face_id, centre in poor
                     if abs((found := nearest(centre))[1][0] - centre[0]) + abs(found[1][1] - centre[1]) < 20}


def test_a_blurred_face_is_asked_about_its_sharp_self(sharp_and_blurred, monkeypatch):
    # A blurred face is like every blurred face (blur takes away what tells
    # people apart): matched with another, it says little. Its sharp self is
    # less like it than some of them, but like fewer others.
    library, sharp_of = sharp_and_blurred
    assert len(sharp_of) >= 10

    def asked_about_sharp_self() -> int:
        asked = face_questions.face_suggestions(library.catalog)
        return sum(1 for face_id, sharp in sharp_of.items()
                   if (s := asked.get(face_id)) and s.kind == PAIR and sharp in (s.face_id, s.other_face))

    assert asked_about_sharp_self() >= 2 * len(sharp_of) // 3
    # By similarity alone, most are asked about some other face.
    monkeypatch.setattr(face_questions, "HUB_WEIGHT", 0.0)
    assert asked_about_sharp_self() <= len(sharp_of) // 2
