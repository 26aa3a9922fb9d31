"""Suggestions on real photos: the questions a user is asked, what a yes and a
no do, and that both undo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from faceorganizer import review, suggestions
from faceorganizer.cli import main
from faceorganizer.errors import CorrectionError, PersonNotFoundError
from faceorganizer.library import FaceLibrary
from faceorganizer.people import ChangeSet, FaceState
from faceorganizer.refusals import FacesApart, FacesNotPerson, PeopleApart
from faceorganizer.review_queue import ReviewQueue

pytestmark = pytest.mark.engines


def snapshot(library) -> dict:
    """What a user sees: every person (name, faces) and the unassigned faces."""
    return {
        "people": sorted((p.cluster_id, p.name, tuple(sorted(library.catalog.face_ids_of(p.cluster_id))))
                         for p in library.people(include_hidden=True)),
        "unassigned": sorted(library.unassigned_faces()),
    }


def photos_of(library, cluster_id: int) -> set[str]:
    return set(library.catalog.photos_of(cluster_id))


@pytest.fixture
def split_library(library, make_photos):
    """Four shots of the six people of t1.jpg, with one person split in two
    (two shots each): returns (library, the two pieces)."""
    library.index_directory(make_photos("shots", "t1", 4)[0].parent)
    assert sorted(p.face_count for p in library.people()) == [4] * 6
    person = library.people()[0].cluster_id
    [piece] = library.split_cluster(person, [library.faces_of(person)[:2]]).result
    return library, (person, piece)


def test_a_person_split_in_two_is_the_first_question(split_library):
    library, pieces = split_library
    [first, *_] = review.questions(library)
    assert first.kind == suggestions.MERGE
    assert {first.person, first.candidate} == set(pieces)
    assert first.score > 0.9 and first.fixes == 2
    assert review.describe(library.catalog, first) == (
        f"Is an unnamed person (2 faces) the same person as an unnamed person (2 faces)? score {first.score:.2f}"
    )
    found = suggestions.merge_suggestions(library.catalog)
    assert found[pieces[0]][0].candidate == pieces[1]
    assert found[pieces[1]][0].candidate == pieces[0]


def test_people_who_share_a_photo_are_never_suggested(split_library, sample_photos, tmp_path):
    library, (person, piece) = split_library
    # Every other pair of people shares the four shots: none is suggested.
    found = suggestions.merge_suggestions(library.catalog)
    for cid, candidates in found.items():
        for s in candidates:
            assert not photos_of(library, cid) & photos_of(library, s.candidate)
    assert {cid for cid, candidates in found.items() if candidates} == {person, piece}
    # A photo of the six people twice (t1 beside its mirror image) puts the
    # split person's look in both pieces: from then on they are two people.
    t1 = Image.open(sample_photos["t1"]).convert("RGB")
    twice = Image.new("RGB", (t1.width * 2, t1.height))
    twice.paste(t1, (0, 0))
    twice.paste(t1.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (t1.width, 0))
    twice.save(tmp_path / "twins.jpg", quality=92)
    [twins] = {library.get_face(f)["image_id"] for f in library.index(tmp_path / "twins.jpg")}
    copies = [f["id"] for f in library.faces_in_photo(twins)]
    catalog = library.catalog
    likeness = {f: float(catalog.vectors[catalog.row[f]] @ catalog.mean(person)) for f in copies}
    pair = sorted(copies, key=likeness.get)[-2:]
    free = [c for c in (person, piece) if c not in {catalog.state(f).cluster_id for f in pair}]
    for face_id in pair:
        if catalog.state(face_id).cluster_id not in (person, piece):
            library.reassign_faces([face_id], free.pop())
    assert twins in photos_of(library, person) & photos_of(library, piece)
    assert (min(person, piece), max(person, piece)) not in suggestions.refused_pairs(library.catalog)
    assert all(s.candidate != piece for s in suggestions.merge_suggestions(library.catalog).get(person, []))
    assert all({s.person, s.candidate} != {person, piece}
               for s in review.questions(library) if s.kind == suggestions.MERGE)


def test_accepting_a_merge_makes_one_person_and_undo_restores(split_library):
    library, pieces = split_library
    before = snapshot(library)
    [first, *_] = review.questions(library)
    change = review.accept(library, first)
    assert change.description == "Merge an unnamed person (2 faces) into an unnamed person (2 faces)"
    assert sorted(p.face_count for p in library.people()) == [4] * 6
    assert all({s.person, s.candidate} != set(pieces) for s in review.questions(library)
               if s.kind == suggestions.MERGE)
    library.undo()
    assert snapshot(library) == before
    assert review.questions(library)[0].id == first.id


def test_a_rejected_suggestion_is_not_asked_again(split_library, tmp_path, analyzer):
    library, pieces = split_library
    before = snapshot(library)
    [first, *_] = review.questions(library)
    change = review.reject(library, first)
    assert change.description == (
        "An unnamed person (2 faces) is not the same person as an unnamed person (2 faces)"
    )
    assert snapshot(library) == before  # a no moves no face
    assert first.id not in {s.id for s in review.questions(library)}
    with pytest.raises(review.SuggestionNotFoundError):
        review.find(library, first.id)
    # Remembered: after grouping again and in the library opened again.
    library.cluster_all()
    folder = library.folder
    library.close()
    with FaceLibrary(folder, analyzer=analyzer) as reopened:
        assert first.id not in {s.id for s in review.questions(reopened)}
        assert reopened.history()[0]["description"] == change.description
        assert reopened.undo().description.startswith("Undo an unnamed person (2 faces) is not")
        assert review.questions(reopened)[0].id == first.id


def test_a_face_of_no_person_is_asked_about_the_person_it_looks_like(split_library):
    library, (person, _) = split_library
    face_id = library.faces_of(person)[-1]
    # The face belongs to no person (as grouping leaves a face it is unsure
    # of), and has refused no one.
    library.apply(ChangeSet("Leave the face out", {face_id: library.catalog.state(face_id)}, {face_id: FaceState(None)}))
    asked = [s for s in review.questions(library) if s.face_id == face_id]
    assert [(s.kind, s.person, s.candidate) for s in asked] == [(suggestions.ASSIGN, person, None)]
    assert asked[0].score > 0.9
    review.accept(library, asked[0])
    assert library.catalog.state(face_id).cluster_id == person


def test_suggest_on_the_command_line(split_library, capsys):
    library, pieces = split_library
    folder = str(library.folder)
    library.close()
    capsys.readouterr()
    assert main(["suggest", "--library", folder, "--json", "--limit", "1"]) == 0
    [first] = json.loads(capsys.readouterr().out)
    assert first["kind"] == "merge" and {first["person"], first["candidate"]} == set(pieces)
    assert np.isclose(first["score"], round(first["score"], 3)) and first["fixes"] == 2
    assert main(["suggest", "--library", folder]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == (
        f"{first['id']}  Is an unnamed person (2 faces) the same person as an unnamed person (2 faces)?"
        f" score {first['score']:.2f}"
    )
    assert "answer with: faceorganizer suggest --accept ID" in out.err
    assert main(["suggest", "--library", folder, "--reject", first["id"]]) == 0
    assert "is not the same person" in capsys.readouterr().out
    assert main(["suggest", "--library", folder, "--accept", first["id"]]) == 1
    assert f"No open question has the id {first['id']!r}" in capsys.readouterr().err
    assert main(["undo", "--library", folder]) == 0
    assert capsys.readouterr().out.startswith("Undo an unnamed person (2 faces) is not the same person")
    assert main(["suggest", "--library", folder, "--accept", first["id"]]) == 0
    assert capsys.readouterr().out.startswith("Merge an unnamed person (2 faces) into")
    assert main(["people", "--library", folder, "--json"]) == 0
    assert sorted(p["face_count"] for p in json.loads(capsys.readouterr().out)) == [4] * 6


def test_two_faces_of_no_person_are_asked_about_as_a_pair(split_library, analyzer):
    library, (_, piece) = split_library
    faces = library.faces_of(piece)
    # Both faces of the piece belong to no person (as a grouping leaves
    # faces seen too few times), and have refused no one.
    library.apply(ChangeSet("Leave the faces out", {f: library.catalog.state(f) for f in faces},
                            {f: FaceState(None) for f in faces}))
    [pair] = [s for s in review.questions(library) if s.kind == suggestions.PAIR]
    assert {pair.face_id, pair.other_face} == set(faces) and pair.score > 0.5
    assert review.describe(library.catalog, pair).startswith(
        f"Are faces {pair.face_id} and {pair.other_face} (of no person) one person? score")
    change = review.reject(library, pair)
    assert change.description == "Two faces are not one person"
    # Grouping again would make the two a person; the no keeps them apart.
    library.cluster_all()
    assert library.catalog.state(faces[0]).cluster_id is None or (
        library.catalog.state(faces[0]).cluster_id != library.catalog.state(faces[1]).cluster_id)
    folder = library.folder
    library.close()
    with FaceLibrary(folder, analyzer=analyzer) as reopened:
        assert all(s.kind != suggestions.PAIR for s in review.questions(reopened))
        assert reopened.history()[0]["description"] == change.description
        reopened.undo()
        assert [s.id for s in review.questions(reopened) if s.kind == suggestions.PAIR] == [pair.id]
        reopened.cluster_all()
        assert reopened.catalog.state(faces[0]).cluster_id == reopened.catalog.state(faces[1]).cluster_id is not None


def test_a_no_that_makes_no_sense_is_refused_and_changes_nothing(split_library):
    library, (person, piece) = split_library
    before, log = snapshot(library), library.history()
    first, second = library.faces_of(person)[:2]
    with pytest.raises(CorrectionError, match=f"Faces {first} and {second} are both in an unnamed person"):
        library.refuse(FacesApart(first, second))
    with pytest.raises(CorrectionError, match="is in an unnamed person .2 faces.: take it out instead"):
        library.refuse(FacesNotPerson((first,), person))
    with pytest.raises(PersonNotFoundError):
        library.refuse(PeopleApart(person, 999))
    assert snapshot(library) == before and library.history() == log


def test_a_yes_to_a_pair_makes_them_a_person(split_library):
    library, (_, piece) = split_library
    faces = library.faces_of(piece)
    library.apply(ChangeSet("Leave the faces out", {f: library.catalog.state(f) for f in faces},
                            {f: FaceState(None) for f in faces}))
    [pair] = [s for s in review.questions(library) if s.kind == suggestions.PAIR]
    person = review.accept(library, pair).result
    assert sorted(library.faces_of(person)) == sorted(faces)


def test_the_review_queue_is_kept_between_writes_and_follows_each_change(split_library):
    library, (person, piece) = split_library
    library.rename(piece, "Anna")
    queue = ReviewQueue()
    queue.refresh(library)
    queue.wait()
    queue.collect()
    [first, *_], open_count = queue.head(library)
    assert open_count == len(review.questions(library)) and first.id == review.questions(library)[0].id
    assert (first.text, first.left_label, first.right_label) == ("Is this Anna?", "Anna · 2 faces", "Unnamed · 2 faces")
    assert [len(first.left), len(first.right)] == [2, 2]
    queue.refresh(library)
    assert not queue.running  # nothing written since: nothing to compute
    # An answer drops at once the questions about what it changed.
    change = review.accept(library, queue.find(first.id))
    queue.changed(change)
    assert first.id not in {q.id for q in queue.head(library)[0]}
    # Computed again, from a snapshot: what changes meanwhile is taken out of the result.
    queue.refresh(library)
    queue.changed(library.undo())
    queue.wait()
    queue.collect()
    assert first.id not in {q.id for q in queue.head(library)[0]}
    queue.refresh(library)
    queue.wait()
    queue.collect()
    assert queue.head(library)[0][0].id == first.id
