"""Birthdays and ages: a person's birthday, kept in the library's person
record only (never in photos or sidecars), and their age on a photo's date.

A photo's date is its EXIF date, else its file's modification time, which is
never earlier than the photo: a face whose photo is dated before a person's
birth cannot be that person, whichever date it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from faceorganizer.errors import CorrectionError
from faceorganizer.suggestions import ASSIGN, MERGE, Suggestion


def parse_birthday(value: str | date | None) -> str | None:
    """A birthday as an ISO 8601 date (YYYY-MM-DD), checked; None or "" for
    none. A date that is not one, or is in the future, raises CorrectionError."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        born = value
    else:
        try:
            born = date.fromisoformat(value.strip())
        except ValueError:
            raise CorrectionError(f"'{value}' is not a date: give it as YYYY-MM-DD, as 2019-03-28.") from None
    if born > date.today():
        raise CorrectionError(f"The birthday {born.isoformat()} is in the future.")
    return born.isoformat()


def birthday_description(person: str, born: str | None) -> str:
    """The correction in the user's words, for the corrections log."""
    return f"Set the birthday of {person} to {born}" if born else f"Clear the birthday of {person}"


def age_on(person, taken: str | date | None) -> int | None:
    """The person's age in whole years on the date `taken` (a photo's ISO
    8601 date, or a date), or None when either date is unknown or the photo
    is from before their birth. `person` is a Person or PersonState."""
    born = _day(getattr(person, "born", None))
    day = _day(taken)
    if born is None or day is None or day < born:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_label(person, taken: str | date | None) -> str | None:
    """"Anna, 7" (the person's name and age on `taken`), or None when the age is unknown."""
    age = age_on(person, taken)
    if age is None:
        return None
    return f"{person.name or 'Unnamed person'}, {age}"


def ages_on_photos(library, cluster_id: int, face_ids: Sequence[str]) -> dict[str, int]:
    """The person's age on the photo of each of these faces of theirs, where
    their birthday and the photo's date are known."""
    catalog = library.catalog
    person = catalog.people.get(cluster_id)
    if person is None or not person.born:
        return {}
    photos = {f: catalog.image_ids[catalog.row[f]] for f in face_ids if f in catalog.row}
    dates = {r["id"]: r.get("taken") for r in library.store.get_photos(sorted(set(photos.values())))}
    ages = {f: age_on(person, dates.get(image_id)) for f, image_id in photos.items()}
    return {f: age for f, age in ages.items() if age is not None}


def before_birth(born: str | None, taken: str | None) -> bool:
    """Whether a photo dated `taken` is from before a birthday `born`."""
    born_day, day = _day(born), _day(taken)
    return born_day is not None and day is not None and day < born_day


def without_faces_before_birth(library, suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """The suggestions, less those that would give a person a face from
    before their birth: a face to assign, or the faces of a merge."""
    suggestions = list(suggestions)
    catalog = library.catalog
    born = {cid: state.born for cid, state in catalog.people.items() if state.born}
    if not born:
        return suggestions
    photos: set[str] = set()
    for s in suggestions:
        if s.kind == ASSIGN and s.person in born:
            photos.add(catalog.image_ids[catalog.row[s.face_id]])
        elif s.kind == MERGE and (s.person in born or s.candidate in born):
            photos.update(catalog.photos_of(s.person) | catalog.photos_of(s.candidate))
    dates = {r["id"]: r.get("taken") for r in library.store.get_photos(sorted(photos))} if photos else {}

    def earliest(cluster_id: int) -> str | None:
        taken = [dates.get(p) for p in catalog.photos_of(cluster_id)]
        return min((t[:10] for t in taken if t), default=None)

    kept = []
    for s in suggestions:
        if s.kind == ASSIGN:
            wrong = before_birth(born.get(s.person), dates.get(catalog.image_ids[catalog.row[s.face_id]]))
        elif s.kind == MERGE:
            wrong = (before_birth(born.get(s.person), earliest(s.candidate))
                     or before_birth(born.get(s.candidate), earliest(s.person)))
        else:
            wrong = False
        if not wrong:
            kept.append(s)
    return kept


def _day(value: str | date | None) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
