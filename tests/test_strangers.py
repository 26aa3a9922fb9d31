"""Strangers in bulk, on real photos: `hide --unnamed --max-faces N` hides
the unnamed people of few faces in one correction and undo brings them back;
hidden people are never suggested and keep the new faces like theirs."""

from __future__ import annotations

import json

import pytest

from faceorganizer import review, suggestions
from faceorganizer.cli import main
from faceorganizer.library import FaceLibrary
from faceorganizer.strangers import hide_strangers


def people_json(library: str, capsys, *extra: str) -> list[dict]:
    capsys.readouterr()
    assert main(["people", "--library", library, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_hide_unnamed_with_few_faces_on_the_command_line_and_undo(tmp_path, make_photos, capsys):
    library = str(tmp_path / "lib")
    make_photos("photos", "t1", 3)  # six people of 3 faces
    folder = make_photos("photos", "players", 2)[0].parent  # a crowd of 2 faces each
    assert main(["index", "--library", library, str(folder)]) == 0
    before = people_json(library, capsys)
    small = [p for p in before if p["face_count"] <= 2]
    assert len(small) >= 10 and any(p["face_count"] == 3 for p in before)
    assert main(["rename", "--library", library, str(small[0]["cluster_id"]), "Dana"]) == 0
    assert main(["rename", "--library", library, str(before[-1]["cluster_id"]), "Eli"]) == 0
    listed = people_json(library, capsys)
    named = {p["cluster_id"]: p for p in listed if p["name"]}

    assert main(["hide", "--library", library, "--unnamed", "--max-faces", "2"]) == 0

    assert capsys.readouterr().out.startswith(f"Hide {len(small) - 1 - (before[-1] in small):,} unnamed people")
    after = people_json(library, capsys)
    assert not [p for p in after if not p["name"] and p["face_count"] <= 2]
    assert {p["cluster_id"]: p for p in after if p["name"]} == named  # no named person touched
    assert sorted(p["cluster_id"] for p in after if p["face_count"] == 3 and not p["name"]) == sorted(
        p["cluster_id"] for p in before if p["face_count"] == 3 and p["cluster_id"] not in named)
    assert main(["undo", "--library", library]) == 0
    assert people_json(library, capsys) == listed


def test_the_hide_command_asks_for_ids_or_unnamed_with_max_faces(tmp_path, capsys):
    library = str(tmp_path / "lib")
    for args in ([], ["--unnamed"], ["--max-faces", "2"], ["--unnamed", "--max-faces", "2", "4"]):
        assert main(["hide", "--library", library, *args]) != 0
    assert "--unnamed with --max-faces N" in capsys.readouterr().err


@pytest.fixture
def hidden_piece(library, make_photos):
    """Four shots of t1.jpg's six people, one person split in two and the
    smaller piece hidden: (library, the person, the hidden piece)."""
    library.index_directory(make_photos("shots", "t1", 4)[0].parent)
    person = library.people()[0].cluster_id
    [piece] = library.split_cluster(person, [library.faces_of(person)[:2]]).result
    assert suggestions.merge_suggestions(library.catalog)[person][0].candidate == piece
    library.hide([piece])
    return library, person, piece


def test_a_hidden_person_is_never_suggested(hidden_piece):
    library, person, piece = hidden_piece
    merges = suggestions.merge_suggestions(library.catalog)
    assert piece not in merges
    assert all(s.candidate != piece for found in merges.values() for s in found)
    asked = review.questions(library)
    assert all(piece not in (s.person, s.candidate) for s in asked)
    assert not {s.face_id for s in asked} & set(library.faces_of(piece))


def test_a_new_face_like_a_hidden_persons_stays_hidden(library, make_photos):
    library.index_directory(make_photos("shots", "t1", 3)[0].parent)
    stranger = library.people()[0].cluster_id
    library.hide([stranger])
    library.index_directory(make_photos("more", "t1", 2, first_seed=10)[0].parent)
    assert library.get_person(stranger).hidden and library.get_person(stranger).face_count == 5
    assert stranger not in [p.cluster_id for p in library.people()]
    assert sorted(p.face_count for p in library.people()) == [5] * 5


def test_hide_strangers_touches_no_named_person(hidden_piece):
    library, person, _ = hidden_piece
    library.rename(person, "Anna")
    change = hide_strangers(library, max_faces=10)
    assert person not in change.people_after
    assert [p.name for p in library.people()] == ["Anna"]
    library.undo()
    assert len(library.people()) == 6


def test_ignoring_a_photo_hides_its_faces_of_no_named_person(library, make_photos):
    from faceorganizer.strangers import ignore_photo

    make_photos("photos", "t1", 3)
    library.index_directory(make_photos("photos", "players", 2)[0].parent)
    crowd = next(f for f in library.iter_faces() if "players-0" in f["path"])
    in_photo = library.faces_in_photo(crowd["image_id"])
    dana = next(f["cluster_id"] for f in in_photo if f["cluster_id"] is not None)
    library.rename(dana, "Dana")
    listed = [(p.cluster_id, p.name, p.face_count) for p in library.people()]

    change = ignore_photo(library, crowd["id"])

    assert change.description == f"Ignore {len(in_photo) - 1} faces of players-0.jpg"
    ignored = library.get_person(change.result)
    assert ignored.hidden and ignored.face_count == len(in_photo) - 1
    assert library.get_person(dana).name == "Dana" and library.get_person(dana).face_count == 2  # both shots
    assert {f["cluster_id"] for f in library.faces_in_photo(crowd["image_id"])} == {dana, change.result}
    assert not ignore_photo(library, crowd["id"])  # nothing left to ignore
    library.undo()
    assert [(p.cluster_id, p.name, p.face_count) for p in library.people()] == listed
