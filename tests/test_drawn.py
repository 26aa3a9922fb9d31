"""Faces the detector missed, drawn round by the user: `add-face` and FaceLibrary.add_face."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance

from faceorganizer.cli import main
from faceorganizer.images import load_photo

from conftest import photo_variant

def crop_of_face(source: Path, target: Path, analyzer, margin: float, side: int | None = None) -> Path:
    """A photo of the most confident face of `source`: its box scaled by
    `margin` round its centre (0.5: the middle half of the face), resized to `side`."""
    face = analyzer.analyze(load_photo(source))[0]
    x1, y1, x2, y2 = face.bbox
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, min(x2 - x1, y2 - y1) * margin / 2
    with Image.open(source) as image:
        crop = image.convert("RGB").crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
    if side:
        crop = crop.resize((side, side), Image.Resampling.BICUBIC)
    crop.save(target, quality=92)
    return target


@pytest.fixture
def avatar_library(tmp_path, sample_photos, analyzer, capsys):
    """(library folder, avatar, portrait, person id): two shots of the six
    people of t1.jpg, grouped; a tight 150x150 avatar of one of them, in which
    the detector finds no face; a portrait of the same person, not indexed,
    and that person's id."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(2):
        photo_variant(sample_photos["t1"], folder / f"t1-{seed}.jpg", seed)
    avatar = crop_of_face(sample_photos["t1"], folder / "avatar.jpg", analyzer, margin=0.5, side=150)
    portrait = crop_of_face(sample_photos["t1"], tmp_path / "portrait.jpg", analyzer, margin=2.0)
    library = str(tmp_path / "library")
    assert main(["index", "--library", library, str(folder)]) == 0
    capsys.readouterr()
    assert main(["faces", "--library", library, "--json"]) == 0
    assert not any(f["path"] == str(avatar) for f in json.loads(capsys.readouterr().out))
    assert main(["search", "--library", library, str(portrait), "--json"]) == 0
    people = {r["cluster_id"] for r in json.loads(capsys.readouterr().out)}
    assert len(people) == 1
    return library, avatar, portrait, people.pop()


def faces_of(library: str, person: int, capsys) -> list[dict]:
    assert main(["faces", "--library", library, "--person", str(person), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.engines
def test_a_face_drawn_where_none_was_found_joins_the_person_is_searchable_and_survives_clustering(
        avatar_library, capsys):
    library, avatar, portrait, person = avatar_library
    assert main(["add-face", "--library", library, str(avatar), "--box", "0,0,150,150",
                 "--person", str(person)]) == 0
    face_id = capsys.readouterr().out.strip()
    added = [f for f in faces_of(library, person, capsys) if f["face_id"] == face_id]
    assert added and added[0]["path"] == str(avatar) and added[0]["bbox"] == [0, 0, 150, 150]

    assert main(["search", "--library", library, str(portrait), "--json"]) == 0
    found = {r["face_id"]: r["cluster_id"] for r in json.loads(capsys.readouterr().out)}
    assert found.get(face_id) == person

    assert main(["cluster", "--library", library]) == 0
    capsys.readouterr()
    assert face_id in {f["face_id"] for f in faces_of(library, person, capsys)}


def test_adding_a_face_is_undone_and_redone_like_any_correction(avatar_library, capsys):
    library, avatar, _, person = avatar_library
    assert main(["add-face", "--library", library, str(avatar), "--box", "10,5,140,150",
                 "--person", str(person)]) == 0
    face_id = capsys.readouterr().out.strip()
    assert main(["history", "--library", library, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["description"] == \
        "Add a face of avatar.jpg to an unnamed person (2 faces)"
    assert main(["undo", "--library", library]) == 0
    capsys.readouterr()
    assert len(faces_of(library, person, capsys)) == 2
    assert main(["faces", "--library", library, "--unassigned", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["redo", "--library", library]) == 0
    capsys.readouterr()
    assert face_id in {f["face_id"] for f in faces_of(library, person, capsys)}


def test_a_drawn_face_stays_with_its_person_when_its_photo_is_edited_or_looked_at_again(avatar_library, capsys):
    library, avatar, _, person = avatar_library
    assert main(["add-face", "--library", library, str(avatar), "--box", "0,0,150,150",
                 "--person", str(person)]) == 0
    drawn = capsys.readouterr().out.strip()

    assert main(["index", "--library", library, "--small-faces", str(avatar.parent)]) == 0
    capsys.readouterr()
    assert drawn in {f["face_id"] for f in faces_of(library, person, capsys)}

    with Image.open(avatar) as image:  # another program brightens it and saves it over
        brighter = ImageEnhance.Brightness(image).enhance(1.15)
    brighter.save(avatar, quality=90)
    assert main(["index", "--library", library, str(avatar.parent)]) == 0
    capsys.readouterr()
    again = [f for f in faces_of(library, person, capsys) if f["path"] == str(avatar)]
    assert len(again) == 1 and again[0]["face_id"] != drawn and again[0]["bbox"] == [0, 0, 150, 150]


def test_a_drawn_face_named_joins_the_person_of_that_name_or_a_new_one(avatar_library, capsys):
    library, avatar, _, person = avatar_library
    assert main(["rename", "--library", library, str(person), "Anna"]) == 0
    assert main(["add-face", "--library", library, str(avatar), "--box", "0,0,150,150", "--name", "anna"]) == 0
    capsys.readouterr()
    assert len(faces_of(library, person, capsys)) == 3
    assert main(["add-face", "--library", library, str(avatar), "--box", "0,0,75,75", "--name", "Somebody"]) == 0
    face_id = capsys.readouterr().out.strip()
    assert main(["people", "--library", library, "--json"]) == 0
    people = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert people["Somebody"]["face_count"] == 1
    assert [f["face_id"] for f in faces_of(library, people["Somebody"]["cluster_id"], capsys)] == [face_id]


def test_a_box_outside_the_photo_or_a_photo_not_indexed_is_refused_with_the_reason(
        avatar_library, sample_photos, capsys):
    folder, avatar, _, person = avatar_library
    assert main(["add-face", "--library", folder, str(avatar), "--box", "200,200,300,300",
                 "--person", str(person)]) == 1
    assert "holds less than 8 pixels of avatar.jpg (150x150): draw it round the face" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["add-face", "--library", folder, str(avatar), "--box", "1,2,3", "--person", str(person)])
    assert usage.value.code == 2
    assert "is not a box: four numbers X1,Y1,X2,Y2" in capsys.readouterr().err
    assert main(["add-face", "--library", folder, str(sample_photos["yaoming"]), "--box", "70,70,180,210",
                 "--name", "Yao"]) == 1
    assert "yaoming.jpg is not in the library: add or rescan its folder first." in capsys.readouterr().err
    assert main(["add-face", "--library", folder, str(avatar), "--box", "0,0,150,150",
                 "--person", str(person)]) == 0
    assert main(["add-face", "--library", folder, str(avatar), "--box", "0,0,150,150",
                 "--person", str(person)]) == 1
    assert "is in the library already" in capsys.readouterr().err
