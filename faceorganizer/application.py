"""The application layer: `Application` runs the typed commands of
faceorganizer.protocol that read or correct one open library (the people
and their faces, the corrections and their log, the settings) for both front
ends. The command line calls it in process, the window through the library
service (service.core), so both share one validation, one set of error types
and the corrections log's descriptions. The long jobs are faceorganizer.jobs';
what only the window needs (the review queue, the photo table, watching the
folders) stays in the service.

This module imports no Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faceorganizer import review
from faceorganizer.errors import FaceOrganizerError
from faceorganizer.people import ChangeSet
from faceorganizer.protocol import (
    AddFace,
    Answer,
    ChangeSettings,
    ChangeSidecarSettings,
    Command,
    Correction,
    Hide,
    HideStrangers,
    IgnorePhoto,
    ListFaceRecords,
    ListHistory,
    ListPeople,
    Merge,
    MoveFaces,
    NameFace,
    NotAFace,
    NotThisPerson,
    Redo,
    Rename,
    SetBirthday,
    Split,
    Undo,
)
from faceorganizer.strangers import hide_strangers, ignore_photo

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary
    from faceorganizer.suggestions import Suggestion


class NothingToWalk(FaceOrganizerError):
    """An undo with nothing left to undo, or a redo with nothing to redo."""


@dataclass(frozen=True)
class Walked:
    """An undo or a redo: the change it made (whose description says "Undo
    ..." or "Redo ...") and the correction undone or redone, in the user's words."""

    change: ChangeSet
    correction: str


#: Each correction and the library operation that makes it.
CORRECTIONS: dict[type[Correction], Callable[[FaceLibrary, Any], ChangeSet]] = {
    Merge: lambda library, c: library.merge_clusters([c.target, *c.sources]),
    Split: lambda library, c: library.split_cluster(c.cluster_id, [list(c.face_ids)]),
    MoveFaces: lambda library, c: library.reassign_faces(list(c.face_ids), c.target),
    Rename: lambda library, c: library.rename(c.cluster_id, c.name, allow_duplicate=c.allow_duplicate),
    SetBirthday: lambda library, c: library.set_birthday(c.cluster_id, c.born),
    Hide: lambda library, c: library.hide(list(c.cluster_ids), hidden=c.hidden),
    HideStrangers: lambda library, c: hide_strangers(library, c.max_faces),
    IgnorePhoto: lambda library, c: ignore_photo(library, c.face_id),
    NotThisPerson: lambda library, c: library.not_this_person(list(c.face_ids)),
    NotAFace: lambda library, c: library.not_a_face(list(c.face_ids)),
    NameFace: lambda library, c: library.name_face(c.face_id, c.name),
    AddFace: lambda library, c: library.add_face(c.path, c.box, person=c.person, name=c.name),
}


class Application:
    """Runs the commands above on `library` (a FaceLibrary): `execute`
    returns what a command asked for (a correction: its change-set; an undo
    or a redo: `Walked`), or raises a FaceOrganizerError saying why not.
    `find_question(id)` finds the review question an `Answer` answers (by
    default among the library's open ones; the service keeps its own queue)."""

    def __init__(self, library: FaceLibrary, find_question: Callable[[str], Suggestion] | None = None) -> None:
        self.library = library
        self.find_question = find_question or (lambda question_id: review.find(library, question_id))
        self._handlers: dict[type[Command], Callable[[Any], Any]] = {
            ListPeople: lambda c: library.people(include_hidden=c.include_hidden),
            ListFaceRecords: self._face_records,
            ListHistory: lambda _: library.history(),
            Undo: lambda _: self._walk_log(undo=True),
            Redo: lambda _: self._walk_log(undo=False),
            ChangeSettings: lambda c: library.change_settings(
                cluster_threshold=c.cluster_threshold, min_faces=c.min_faces, min_face_size=c.min_face_size),
            ChangeSidecarSettings: lambda c: library.change_sidecar_settings(c.style, c.write_after_corrections),
            Answer: self._answer,
            **{kind: self._correct for kind in CORRECTIONS},
        }

    def execute(self, command: Command) -> Any:
        return self._handlers[type(command)](command)

    def _correct(self, command: Correction) -> ChangeSet:
        return CORRECTIONS[type(command)](self.library, command)

    def _answer(self, command: Answer) -> ChangeSet:
        question = self.find_question(command.question_id)
        return (review.accept if command.yes else review.reject)(self.library, question)

    def _face_records(self, command: ListFaceRecords) -> list[dict]:
        if command.person is not None:
            self.library.get_person(command.person)  # an unknown person is an error, not no faces
        return list(self.library.iter_faces(command.person, unassigned=command.unassigned))

    def _walk_log(self, undo: bool) -> Walked:
        """Undo the newest correction not undone, or redo the oldest undone."""
        entries = self.library.history()  # newest first
        walked = (next((e for e in entries if not e["undone"]), None) if undo
                  else next((e for e in reversed(entries) if e["undone"]), None))
        change = self.library.undo() if undo else self.library.redo()
        if change is None or walked is None:
            raise NothingToWalk(f"there is nothing to {'undo' if undo else 'redo'}.")
        return Walked(change, walked["description"])
