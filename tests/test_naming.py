"""Naming one face, as on its box in the viewer (FaceLibrary.name_face)."""

from __future__ import annotations

import pytest

from faceorganizer.errors import CorrectionError

from conftest import photo_variant


def test_a_name_on_a_face_names_its_unnamed_person_or_moves_the_face_to_the_person_of_that_name(
        library, sample_photos, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(2):
        photo_variant(sample_photos["t1"], folder / f"t1-{seed}.jpg", seed)
    library.index_directory(folder)
    people = library.people()
    assert [p.face_count for p in people] == [2] * 6
    first, second = people[0].cluster_id, people[1].cluster_id

    change = library.name_face(library.faces_of(first)[0], "Anna")
    assert change.description.startswith("Name an unnamed person (2 faces) 'Anna'")
    assert library.get_person(first).name == "Anna" and library.get_person(first).face_count == 2

    moved = library.faces_of(second)[0]
    library.name_face(moved, " anna ")
    assert moved in library.faces_of(first) and library.get_person(second).face_count == 1

    change = library.name_face(moved, "Ben")
    ben = change.result
    assert library.get_person(ben).name == "Ben" and library.faces_of(ben) == [moved]
    assert change.description in {"Name a face of t1-0.jpg 'Ben'", "Name a face of t1-1.jpg 'Ben'"}
    library.cluster_all()
    assert library.faces_of(ben) == [moved]  # kept by grouping
    library.undo()
    assert moved in library.faces_of(first)
    assert not library.name_face(moved, "Anna")  # nothing to change
    with pytest.raises(CorrectionError, match="Type the name"):
        library.name_face(moved, "  ")
