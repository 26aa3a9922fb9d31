"""People: clustering and every correction, on real photos, real models and a
real local-mode Qdrant; corrections must outlive re-clustering, new photos and
restarts, and every correction must undo exactly."""

from __future__ import annotations

from collections import Counter

import pytest
from PIL import Image

from faceorganizer.errors import FaceNotFoundError, PersonNotFoundError
from faceorganizer.library import FaceLibrary


def snapshot(library) -> dict:
    """What a user sees: every person (name, hidden, faces) and the unassigned faces."""
    return {
        "people": sorted(
            (p.cluster_id, p.name, p.hidden, tuple(sorted(library.catalog.face_ids_of(p.cluster_id))))
            for p in library.people(include_hidden=True)
        ),
        "unassigned": sorted(library.unassigned_faces()),
    }


def identity_of(library) -> dict[str, int]:
    """A face's true identity: its index among the faces of the source photo,
    matched by position (the variants only crop, scale and mirror)."""
    identities = {}
    for face in library.iter_faces():
        x1, y1, x2, y2 = face["bbox"]
        w, h = face["image_size"]
        centre = (x1 + x2) / 2 / w
        mirrored = "flip" in face.get("path", "")
        identities[face["id"]] = round((1 - centre if mirrored else centre) * 100)
    return identities


def faces_by_photo(library) -> dict[str, list[str]]:
    photos: dict[str, list[str]] = {}
    for face in library.iter_faces():
        photos.setdefault(face["image_id"], []).append(face["id"])
    return photos


@pytest.fixture
def t1_library(library, make_photos):
    """Four shots of the six people of t1.jpg, indexed and clustered."""
    folder = make_photos("shots", "t1", 4)[0].parent
    library.index_directory(folder)
    return library


def test_each_person_of_the_photos_becomes_one_person(t1_library):
    people = t1_library.people()
    assert len(people) == 6
    assert all(p.face_count == 4 and p.name is None for p in people)
    # One face per shot in each person: never two faces of one photo.
    for person in people:
        photos = [t1_library.get_face(f)["image_id"] for f in t1_library.faces_of(person.cluster_id)]
        assert len(set(photos)) == 4
    assert t1_library.cluster_all() == 6
    assert sorted(p.face_count for p in t1_library.people()) == [4] * 6


def test_two_faces_in_one_photo_are_never_one_person(library, sample_photos, tmp_path, make_photos):
    # The same six people twice in one photo (twins side by side, as far as
    # the models can tell), plus three ordinary shots.
    t1 = Image.open(sample_photos["t1"]).convert("RGB")
    twice = Image.new("RGB", (t1.width * 2, t1.height))
    twice.paste(t1, (0, 0))
    twice.paste(t1.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (t1.width, 0))
    folder = make_photos("shots", "t1", 3)[0].parent
    twice.save(folder / "twins.jpg", quality=92)
    library.index_directory(folder)
    for _ in range(2):
        for person in library.people():
            photos = Counter(library.get_face(f)["image_id"] for f in library.faces_of(person.cluster_id))
            assert max(photos.values()) == 1
        library.cluster_all()


def test_get_cluster_returns_the_seed_contract(t1_library):
    person = t1_library.people()[0]
    cluster = t1_library.get_cluster(person.cluster_id)
    assert cluster["cluster_id"] == person.cluster_id and cluster["face_count"] == 4
    assert {f["cluster_id"] for f in cluster["faces"]} == {person.cluster_id}
    with pytest.raises(PersonNotFoundError):
        t1_library.get_cluster(999)


def test_corrections_outlive_new_photos_and_reclustering(tmp_path, analyzer, make_photos):
    """The user merges two people, splits one, moves a face and names people;
    new photos come and the library is re-clustered: everything holds, and the
    new faces of the named people join them."""
    library_dir = tmp_path / "lib"
    with FaceLibrary(library_dir, analyzer=analyzer) as library:
        library.index_directory(make_photos("t1", "t1", 4)[0].parent)
        library.index_directory(make_photos("gdp", "gdp", 4)[0].parent)
        people = library.people()
        assert len(people) >= 9

        def from_folder(person, folder):
            return f"/{folder}/" in library.get_face(library.faces_of(person.cluster_id)[0])["path"]

        t1_people = [p.cluster_id for p in people if from_folder(p, "t1")]
        gdp_people = [p.cluster_id for p in people if from_folder(p, "gdp")]
        # Anna: one person of each set (the user knows better than the models).
        a, c, d, e = t1_people[:4]
        b = gdp_people[0]

        merged = library.merge_clusters([a, b]).result
        assert merged == a
        split_faces = library.faces_of(c)[:2]
        [split_id] = library.split_cluster(c, [split_faces]).result
        moved = library.faces_of(d)[0]
        library.reassign_faces([moved], e)
        library.rename(a, "Anna")
        library.rename(e, "Ben")
        library.rename(split_id, "Carl")
        expected = snapshot(library)

        assert library.cluster_all() == len(expected["people"])
        assert snapshot(library) == expected

    # New shots of the same people, after a restart.
    with FaceLibrary(library_dir, analyzer=analyzer) as library:
        assert snapshot(library) == expected
        before = {p.cluster_id: p.face_count for p in library.people()}
        report = library.index_directory(make_photos("t1-new", "t1", 2, first_seed=10)[0].parent)
        report2 = library.index_directory(make_photos("gdp-new", "gdp", 2, first_seed=10)[0].parent)
        new_faces = set(report.face_ids) | set(report2.face_ids)
        by_name = {p.name: p for p in library.people() if p.name}
        # Anna was two people merged: she gains the new faces of both.
        assert by_name["Anna"].face_count == before[a] + 4
        assert by_name["Ben"].face_count >= before[e] + 2
        assert set(library.faces_of(a)) >= set(expected_faces(expected, a))

        for _ in range(2):
            library.cluster_all()
            people = {p.cluster_id: p for p in library.people()}
            for cid, name, hidden, faces in expected["people"]:
                assert people[cid].name == name
                assert set(faces) <= set(library.catalog.face_ids_of(cid))
            assert moved in library.catalog.face_ids_of(e)
            assert not set(split_faces) & set(library.catalog.face_ids_of(c))
            assert set(split_faces) <= set(library.catalog.face_ids_of(split_id))
            assert new_faces & set(library.catalog.face_ids_of(a))


def expected_faces(snapshot_, cluster_id):
    return next(faces for cid, _, _, faces in snapshot_["people"] if cid == cluster_id)


@pytest.mark.parametrize("operation", ["merge", "split", "reassign", "rename", "hide", "not_this_person",
                                       "not_a_face", "set_cover", "recluster"])
def test_every_correction_undoes_and_redoes_exactly(t1_library, operation):
    library = t1_library
    people = [p.cluster_id for p in library.people()]
    library.rename(people[3], "Dora")
    before = snapshot(library)
    faces = library.faces_of(people[1])
    run = {
        "merge": lambda: library.merge_clusters([people[3], people[0]]),
        "split": lambda: library.split_cluster(people[1], [faces[:2]]),
        "reassign": lambda: library.reassign_faces(faces[:1], people[2]),
        "rename": lambda: library.rename(people[0], "Eva"),
        "hide": lambda: library.hide([people[0], people[3]]),
        "not_this_person": lambda: library.not_this_person(faces[:2]),
        "not_a_face": lambda: library.not_a_face(faces[:1]),
        "set_cover": lambda: library.set_cover(people[1], faces[-1]),
        "recluster": lambda: library.recluster(0.999),
    }[operation]
    change = run()
    assert change and change.description
    after = snapshot(library)
    if operation not in ("set_cover", "recluster"):
        assert after != before
    library.apply(change.inverse())
    assert snapshot(library) == before
    library.apply(change)
    assert snapshot(library) == after
    # And both survive a restart: the store holds what the catalog shows.
    library._catalog = None
    assert snapshot(library) == after


def test_not_this_person_never_comes_back(t1_library):
    library = t1_library
    person = library.people()[0].cluster_id
    face = library.faces_of(person)[0]
    library.not_this_person([face])
    assert face in library.unassigned_faces()
    assert library.get_face(face)["cluster_id"] is None
    for threshold in (None, 0.1):
        library.cluster_all(threshold)
        assert face not in library.catalog.face_ids_of(person)
    # Indexing the same photo again does not bring it back either.
    library.index(library.get_face(face)["path"])
    assert face not in library.catalog.face_ids_of(person)


def test_not_a_face_leaves_every_list(t1_library):
    library = t1_library
    person = library.people()[0]
    face = library.faces_of(person.cluster_id)[0]
    library.not_a_face([face])
    assert face not in library.unassigned_faces()
    assert library.get_person(person.cluster_id).face_count == person.face_count - 1
    library.cluster_all()
    assert face not in library.unassigned_faces()
    assert all(face not in library.catalog.face_ids_of(p.cluster_id) for p in library.people())
    assert library.get_face(face)["not_a_face"] is True


def test_hidden_and_named_people(t1_library, make_photos):
    library = t1_library
    first, second = (p.cluster_id for p in library.people()[:2])
    library.hide([first])
    assert first not in {p.cluster_id for p in library.people()}
    assert first in {p.cluster_id for p in library.people(include_hidden=True)}
    library.cluster_all()
    assert library.get_person(first).hidden

    # A named person is listed even when it has fewer faces than the minimum.
    library.rename(second, "Zoe")
    for face in library.faces_of(second)[:3]:
        library.not_this_person([face])
    assert library.people()[0].name == "Zoe" and library.people()[0].face_count == 1
    library.cluster_all()
    assert library.people()[0].name == "Zoe"


def test_a_new_photo_joins_its_people_at_once(t1_library, make_photos):
    library = t1_library
    counts = {p.cluster_id: p.face_count for p in library.people()}
    [photo] = make_photos("later", "t1", 1, first_seed=20)
    face_ids = library.index(photo)
    assert len(face_ids) == 6
    people = {library.get_face(f)["cluster_id"] for f in face_ids}
    assert people == set(counts)
    assert {p.cluster_id: p.face_count for p in library.people()} == {c: n + 1 for c, n in counts.items()}
    assert all(library.get_face(f)["cluster_confidence"] > 0.3 for f in face_ids)


@pytest.mark.parametrize("min_faces", [2, 3])
def test_few_faces_wait_unassigned_until_a_person_forms(library, make_photos, min_faces):
    library.settings.min_faces = min_faces
    photos = make_photos("yao", "yaoming", min_faces)
    for i, photo in enumerate(photos[:-1]):
        library.index(photo)
        assert library.people() == [] and len(library.unassigned_faces()) == i + 1
    library.index(photos[-1])
    [person] = library.people()
    assert person.face_count == min_faces and library.unassigned_faces() == []


def test_bad_ids_are_refused(t1_library):
    with pytest.raises(PersonNotFoundError):
        t1_library.merge_clusters([1, 999])
    with pytest.raises(FaceNotFoundError):
        t1_library.reassign_faces(["00000000-0000-0000-0000-000000000000"], 1)
