"""Birthdays and ages: set on the command line or the library, undone like a
rename, listed by `people --json`, and never a suggestion of a face from
before the person's birth."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pytest

from faceorganizer import review, suggestions
from faceorganizer.ages import age_label, age_on
from faceorganizer.cli import main
from faceorganizer.people import ChangeSet, FaceState, Person


def dated(paths, year: int) -> None:
    """Date photos (they have no EXIF date: their file's time is theirs)."""
    stamp = datetime(year, 7, 1, 12).timestamp()
    for path in paths:
        os.utime(path, (stamp, stamp))


@pytest.fixture
def dated_library(library, make_photos):
    """Four shots of the six people of t1.jpg, two from 2015 and two from 2020."""
    shots = make_photos("shots", "t1", 4)
    dated(shots[:2], 2015)
    dated(shots[2:], 2020)
    library.index_directory(shots[0].parent)
    assert sorted(p.face_count for p in library.people()) == [4] * 6
    return library


def test_age_on_a_photo_s_date():
    anna = Person(1, "Anna", 3, born="2012-06-15")
    assert age_on(anna, "2019-06-14T23:59:00+02:00") == 6
    assert age_on(anna, "2019-06-15T08:00:00") == 7
    assert age_label(anna, "2020-01-01T10:00:00") == "Anna, 7"
    assert age_on(anna, "2011-01-01T10:00:00") is None  # before her birth
    assert age_on(anna, None) is None
    assert age_on(Person(2, "Ben", 3), "2019-06-15T08:00:00") is None  # no birthday


def test_a_birthday_is_kept_undone_and_redone_like_a_rename(dated_library, tmp_path):
    library = dated_library
    person = library.people()[0].cluster_id
    change = library.set_birthday(person, "2012-06-15")
    assert change.description.startswith("Set the birthday of ")
    assert library.get_person(person).born == "2012-06-15"
    library.undo()
    assert library.get_person(person).born is None
    library.redo()
    assert library.get_person(person).born == "2012-06-15"
    library.close()
    from faceorganizer.library import FaceLibrary
    with FaceLibrary(library.folder) as reopened:
        assert reopened.get_person(person).born == "2012-06-15"
        assert [p.born for p in reopened.people() if p.cluster_id == person] == ["2012-06-15"]
    # Never written beside the photos.
    assert not [p for p in (tmp_path / "shots").iterdir() if p.suffix == ".xmp"]


def test_a_date_that_is_not_one_is_refused(dated_library):
    from faceorganizer.errors import CorrectionError

    person = dated_library.people()[0].cluster_id
    for bad in ("2012-13-01", "next week", "2999-01-01"):
        with pytest.raises(CorrectionError):
            dated_library.set_birthday(person, bad)
    assert dated_library.get_person(person).born is None


def test_no_suggestion_gives_a_person_a_face_from_before_their_birth(dated_library):
    library = dated_library
    person = library.people()[0].cluster_id
    old_photo = {r["id"] for r in library.store.iter_photos() if r["taken"].startswith("2015")}
    face_id = next(f for f in library.faces_of(person) if library.get_face(f)["image_id"] in old_photo)
    library.apply(ChangeSet("Leave the face out", {face_id: library.catalog.state(face_id)}, {face_id: FaceState(None)}))

    def asked() -> list:
        return [(s.kind, s.person) for s in review.questions(library) if s.face_id == face_id]

    assert asked() == [(suggestions.ASSIGN, person)]
    library.set_birthday(person, "2018-03-01")  # the face's photo is from 2015
    assert asked() == []
    library.set_birthday(person, "2014-03-01")
    assert asked() == [(suggestions.ASSIGN, person)]


def test_birthday_on_the_command_line(dated_library, capsys):
    library = dated_library
    person = library.people()[0].cluster_id
    library.rename(person, "Anna")
    folder = str(library.folder)
    library.close()
    assert main(["birthday", "--library", folder, "Anna", "2012-06-15"]) == 0
    assert "Set the birthday of 'Anna' to 2012-06-15" in capsys.readouterr().out
    assert main(["people", "--library", folder, "--json"]) == 0
    rows = {r["cluster_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[person]["born"] == "2012-06-15"
    assert all(r["born"] is None for cid, r in rows.items() if cid != person)
    assert main(["birthday", "--library", folder, str(person), "--clear"]) == 0
    assert "Clear the birthday of 'Anna'" in capsys.readouterr().out
    assert main(["birthday", "--library", folder, "Anna", "15/06/2012"]) == 1
    assert "is not a date: give it as YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["birthday", "--library", folder, "Anna"])
    assert info.value.code == 2


def test_the_window_s_lists_give_the_age_on_each_photo(dated_library):
    from faceorganizer import read_models

    library = dated_library
    person = library.people()[0].cluster_id
    library.set_birthday(person, "2010-01-01")
    ages = sorted(item.age for item in read_models.face_list(library, person))
    assert ages == [5, 5, 10, 10]  # photos of July 2015 and July 2020
    face_id = library.faces_of(person)[0]
    shown = read_models.photo(library, face_id, person)
    [face] = [f for f in shown.faces if f.face_id == face_id]
    assert face.age in (5, 10)
    assert all(f.age is None for f in shown.faces if f.cluster_id != person)


def test_a_merge_keeps_the_birthday(dated_library):
    library = dated_library
    first, second = (p.cluster_id for p in library.people()[:2])
    library.set_birthday(second, "2010-01-01")
    library.merge_clusters([first, second])
    assert library.get_person(first).born == "2010-01-01"
    library.undo()
    assert library.get_person(first).born is None and library.get_person(second).born == "2010-01-01"
