"""People: clustering and every correction, on real photos, real models and a
real local-mode Qdrant; corrections must outlive re-clustering, new photos and
restarts, and every correction must undo exactly."""

from __future__ import annotations

from collections import Counter

import pytest
from PIL import Image

from faceorganizer.errors import CorrectionError, DuplicateNameError, FaceNotFoundError, PersonNotFoundError
from faceorganizer.library import FaceLibrary

pytestmark = pytest.mark.engines


def snapshot(library) -> dict:
    """What a user sees: every person (name, hidden, faces) and the unassigned faces."""
    return {
        "people": sorted(
            (p.cluster_id, p.name, p.hidden, p.cover_face_id,
             tuple(sorted(library.catalog.face_ids_of(p.cluster_id))))
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
        people = library.people()
        assert len(people) >= 6  # the check below means nothing without people
        for person in people:
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
            for cid, name, hidden, _cover, faces in expected["people"]:
                assert people[cid].name == name
                assert set(faces) <= set(library.catalog.face_ids_of(cid))
            assert moved in library.catalog.face_ids_of(e)
            assert not set(split_faces) & set(library.catalog.face_ids_of(c))
            assert set(split_faces) <= set(library.catalog.face_ids_of(split_id))
            assert new_faces & set(library.catalog.face_ids_of(a))


def expected_faces(snapshot_, cluster_id):
    return next(faces for cid, _, _, _, faces in snapshot_["people"] if cid == cluster_id)


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
        "set_cover": lambda: library.set_cover(people[1], faces[0]),
        "recluster": lambda: library.recluster(0.999),
    }[operation]
    change = run()
    assert change and change.description
    after = snapshot(library)
    if operation != "recluster":
        assert after != before
    library.apply(change.inverse())
    assert snapshot(library) == before
    library.apply(change)
    assert snapshot(library) == after
    # And both survive a restart: the store holds what the catalog shows, and
    # the people's own records (listed before any face is read) agree.
    library._catalog = None
    listed, unassigned = library.people(include_hidden=True), library.unassigned_count()
    assert library._catalog is None
    assert snapshot(library) == after
    assert library.people(include_hidden=True) == listed
    assert unassigned == library.unassigned_count() == len(library.unassigned_faces())


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


def test_joining_a_pinned_person_respects_all_its_photos():
    """A person the user merged from two looks ends as one group: an unpinned
    face may not join one look when its photo is already in the other."""
    import numpy as np

    from faceorganizer.clustering import Constraints, group_faces

    rng = np.random.default_rng(0)
    looks = rng.normal(size=(2, 512))
    looks /= np.linalg.norm(looks, axis=1, keepdims=True)

    def near(look):
        v = looks[look] + rng.normal(0, 0.02, 512)
        return v / np.linalg.norm(v)

    # Rows 0, 1: pinned to person 7, one per look; rows 2, 3: one face like
    # each look, both in photo 9.
    vectors = np.stack([near(0), near(1), near(0), near(1)]).astype(np.float32)
    constraints = Constraints(np.array([1, 2, 9, 9]), np.array([7, 7, -1, -1]))
    labels = group_faces(vectors, constraints, threshold=0.45)
    assert labels[0] == labels[1]
    assert not (labels[2] == labels[0] and labels[3] == labels[0])


def _named_library(library, make_photos):
    """Three shots of t1.jpg: names one person, hides another, drops one face."""
    folder = make_photos("Trip", "t1", 3)[0].parent
    library.add_folders([folder.parent])
    library.index_directory(folder.parent)
    first, second = (p.cluster_id for p in library.people()[:2])
    library.rename(first, "Anna")
    library.hide([second])
    dropped = library.faces_of(first)[0]
    library.not_a_face([dropped])
    return folder, first, second, dropped


def _corrections(library, first, second, dropped):
    assert library.get_person(first).name == "Anna"
    assert library.get_person(first).face_count == 2
    assert library.get_person(second).hidden
    assert library.get_face(dropped)["not_a_face"] is True


def test_moving_or_renaming_photos_keeps_their_faces_and_corrections(library, make_photos):
    folder, first, second, dropped = _named_library(library, make_photos)
    folder.rename(folder.parent / "Trip 2023")
    report = library.index_directory(folder.parent)
    assert (report.moved, report.removed, report.indexed) == (3, 0, 0)
    _corrections(library, first, second, dropped)
    assert "Trip 2023" in library.get_face(dropped)["path"]
    assert library.paths_of([dropped]) == {dropped: library.get_face(dropped)["path"]}
    # And the next scan sees them as unchanged at their new place.
    assert library.index_directory(folder.parent).unchanged == 3


def test_an_empty_mount_point_forgets_nothing(library, make_photos):
    folder, first, second, dropped = _named_library(library, make_photos)
    for photo in folder.iterdir():
        photo.rename(folder.parent.parent / photo.name)  # the drive is "unplugged"
    report = library.index_directory(folder.parent)
    assert report.removed == 0 and "is the drive connected" in report.unreadable_folders[0][1]
    _corrections(library, first, second, dropped)


def test_photos_touched_or_retagged_keep_their_corrections(library, make_photos):
    import os

    folder, first, second, dropped = _named_library(library, make_photos)
    for photo in folder.iterdir():
        stat = photo.stat()
        os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5 * 10**9))
    report = library.index_directory(folder.parent)
    assert report.indexed == 3
    people = {p.cluster_id: p for p in library.people(include_hidden=True)}
    assert people[first].name == "Anna" and people[first].face_count == 2
    assert people[second].hidden
    dropped_again = [f for f in library.iter_faces() if f["not_a_face"]]
    assert len(dropped_again) == 1


def test_a_person_id_is_never_handed_out_twice(library, make_photos):
    library.index_directory(make_photos("t1", "t1", 3)[0].parent)
    anna, ben = (p.cluster_id for p in library.people()[:2])
    library.rename(ben, "Ben")
    ben_faces = set(library.catalog.face_ids_of(ben))
    merge = library.merge_clusters([anna, ben])
    # New people arrive while Ben's id is free; none may take it.
    library.index_directory(make_photos("gdp", "gdp", 2)[0].parent)
    assert ben not in {p.cluster_id for p in library.people()}
    library.apply(merge.inverse())
    assert library.get_person(ben).name == "Ben"
    assert set(library.catalog.face_ids_of(ben)) == ben_faces


def test_a_face_dropped_as_not_a_face_stays_out_of_new_people(library, make_photos):
    photos = make_photos("yao", "yaoming", 2)
    [face] = library.index(photos[0])
    library.not_a_face([face])
    library.index(photos[1])
    assert library.people() == []
    assert library.get_face(face)["cluster_id"] is None


def test_a_moved_face_stays_with_its_new_person_after_new_photos_and_regrouping(t1_library, make_photos):
    """A reassign means "this face belongs with these faces": after new photos
    and a re-clustering, the target person still holds its own faces and the
    moved one, under its id."""
    library = t1_library
    source, target = [p.cluster_id for p in library.people()][:2]
    target_faces = set(library.faces_of(target))
    moved = library.faces_of(source)[0]
    library.reassign_faces([moved], target)
    library.index_directory(make_photos("more", "t1", 2, first_seed=20)[0].parent)
    library.cluster_all()
    assert set(library.faces_of(target)) >= target_faces | {moved}
    assert moved not in library.faces_of(source)


def test_descriptions_name_people_as_the_user_sees_them(t1_library):
    """Undo texts and messages never show internal ids."""
    library = t1_library
    a, b, c = [p for p in library.people()][:3]
    library.rename(a.cluster_id, "Anna")
    merge = library.merge_clusters([a.cluster_id, b.cluster_id])
    assert merge.description == f"Merge an unnamed person ({b.face_count} faces) into 'Anna'"
    hide = library.hide([c.cluster_id])
    assert hide.description == f"Hide an unnamed person ({c.face_count} faces)"
    for change in (merge, hide):
        assert str(c.cluster_id) not in change.description and str(b.cluster_id) not in change.description


def test_corrections_that_make_no_sense_are_refused_and_change_nothing(t1_library):
    library = t1_library
    a, b = [p.cluster_id for p in library.people()][:2]
    before = snapshot(library)
    with pytest.raises(CorrectionError, match="two different people"):
        library.merge_clusters([a, a])
    with pytest.raises(CorrectionError, match="two different people"):
        library.merge_clusters([a])
    with pytest.raises(CorrectionError, match="not a face of"):
        library.split_cluster(a, [library.faces_of(b)[:1]])
    with pytest.raises(CorrectionError, match="no faces"):
        library.split_cluster(a, [[]])
    with pytest.raises(CorrectionError, match="not a face of"):
        library.set_cover(a, library.faces_of(b)[0])
    assert snapshot(library) == before


def test_a_name_taken_by_another_person_is_refused_unless_allowed(t1_library):
    library = t1_library
    a, b = [p.cluster_id for p in library.people()][:2]
    library.rename(a, "Leonard")
    before = snapshot(library)
    with pytest.raises(DuplicateNameError, match="already named 'Leonard'"):
        library.rename(b, "leonard ")
    assert snapshot(library) == before
    library.rename(a, "Leonard")  # its own name again is fine
    library.rename(b, "Leonard", allow_duplicate=True)
    assert [p.name for p in library.people()].count("Leonard") == 2
