"""What the window and the library service say to each other over their pipe.

The window sends a `Call`: an id and a command (a dataclass below). The
service answers each call with exactly one `Reply` carrying the same id: a
result, or a `Failure` naming the action in the user's words. Between calls
it sends events (the other dataclasses below, and a running job's
`Progress`, which is faceorganizer.jobs' own), which say what changed. The
first message of a service is `Hello` with its `PROTOCOL_VERSION`; the window
refuses a service that speaks another.

Everything here crosses the pipe pickled: plain values only. This module
imports no Qt.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from faceorganizer.config import GroupingSettings, SidecarSettings
from faceorganizer.humanize import lower_first
from faceorganizer.jobs import Progress
from faceorganizer.people import ChangeSet, Person

#: Changed whenever a message below changes shape.
PROTOCOL_VERSION = 6

#: The faces pane's key for the faces of no person.
UNASSIGNED = "unassigned"


# -- values ----------------------------------------------------------------------


class FaceItem(NamedTuple):
    """A face as a grid shows it (a tuple: lists of 10,000 cross the pipe fast)."""

    face_id: str
    path: str | None
    similarity: float | None = None
    age: int | None = None  # the person's age on the photo's date, when their birthday is known


#: A face's key in lists (see faceorganizer.list_changes).
FACE_KEY = attrgetter("face_id")


@dataclass(frozen=True)
class PhotoFace:
    face_id: str
    bbox: tuple[float, float, float, float]
    cluster_id: int | None
    name: str | None
    age: int | None = None  # on the photo's date, when the person's birthday is known ("Anna, 7")


@dataclass(frozen=True)
class PhotoInfo:
    """A photo for the viewer: its file, its faces, and the photos of the same
    person before and after it."""

    path: str
    size: tuple[int, int]
    faces: list[PhotoFace]
    face_id: str
    previous_face: str | None = None
    next_face: str | None = None
    position: tuple[int, int] = (0, 0)
    first_face: str | None = None
    last_face: str | None = None


@dataclass(frozen=True)
class Question:
    """A review question as the review pane asks it: the person's best faces
    on the left, the candidate's (or the face asked about) on the right."""

    id: str
    text: str  # "Is this 'Anna'?", "Same person?"
    left_label: str
    right_label: str
    left: list[FaceItem]
    right: list[FaceItem]


@dataclass
class LibraryInfo:
    folder: Path
    thumbnails: Path
    folders: list[str] = field(default_factory=list)
    settings: GroupingSettings | None = None
    excluded: list[str] = field(default_factory=list)  # subfolders left out of indexing
    engine: str = ""  # where its faces are kept: "edge", "local" or "server"
    face_count: int = 0
    sidecars: SidecarSettings | None = None
    models: str = ""  # the face models its vectors are of, and any switch under way, in words


# -- commands --------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A request to the service (the command line hands the same ones to
    faceorganizer.application in process). `action` names it in a failure's
    message: "Could not {action}: {reason}"."""

    action: ClassVar[str] = "do that"


@dataclass(frozen=True)
class Open(Command):
    action: ClassVar[str] = "open the library"
    library_dir: str | None = None
    qdrant_url: str | None = None


@dataclass(frozen=True)
class Close(Command):
    action: ClassVar[str] = "close the library"


@dataclass(frozen=True)
class ListPeople(Command):
    action: ClassVar[str] = "list the people"
    include_hidden: bool = True


@dataclass(frozen=True)
class ListFaces(Command):
    action: ClassVar[str] = "list the faces"
    key: int | str  # a person's id or UNASSIGNED


@dataclass(frozen=True)
class ListFaceRecords(Command):
    """The stored records of the faces of `person`, of no person
    (`unassigned`), or of everyone: id, path, box, person, detection score."""

    action: ClassVar[str] = "list the faces"
    person: int | None = None
    unassigned: bool = False


@dataclass(frozen=True)
class ListPhotos(Command):
    """The photos all of `people` are in, or those under `folder`."""

    action: ClassVar[str] = "list the photos"
    people: tuple[int, ...] = ()
    folder: str | None = None


@dataclass(frozen=True)
class ShowPhoto(Command):
    action: ClassVar[str] = "show the photo"
    face_id: str  # "": the photo at `path`, which had no face when opened
    key: int | str | None  # the list the photo was opened from
    path: str = ""


@dataclass(frozen=True)
class Correction(Command):
    """A change the user makes to the people; it goes into the corrections log."""


@dataclass(frozen=True)
class Merge(Correction):
    action: ClassVar[str] = "merge the people"
    sources: tuple[int, ...]
    target: int


@dataclass(frozen=True)
class Split(Correction):
    """Make `face_ids` of the person `cluster_id` a new person."""

    action: ClassVar[str] = "split the person"
    cluster_id: int
    face_ids: tuple[str, ...]


@dataclass(frozen=True)
class MoveFaces(Correction):
    action: ClassVar[str] = "move the faces"
    face_ids: tuple[str, ...]
    target: int | None  # None: a new person


@dataclass(frozen=True)
class Rename(Correction):
    action: ClassVar[str] = "name the person"
    cluster_id: int
    name: str
    allow_duplicate: bool = False


@dataclass(frozen=True)
class SetBirthday(Correction):
    action: ClassVar[str] = "set the birthday"
    cluster_id: int
    born: str | None  # YYYY-MM-DD; None clears it


@dataclass(frozen=True)
class Hide(Correction):
    action: ClassVar[str] = "hide or show the people"
    cluster_ids: tuple[int, ...]
    hidden: bool


@dataclass(frozen=True)
class HideStrangers(Correction):
    """Hide every unnamed person of `max_faces` faces or fewer."""

    action: ClassVar[str] = "hide the strangers"
    max_faces: int


@dataclass(frozen=True)
class IgnorePhoto(Correction):
    """Ignore every face of the photo of `face_id` that is of no named person."""

    action: ClassVar[str] = "hide the faces of the photo"
    face_id: str


@dataclass(frozen=True)
class NotThisPerson(Correction):
    action: ClassVar[str] = "take the faces out of their person"
    face_ids: tuple[str, ...]


@dataclass(frozen=True)
class NotAFace(Correction):
    action: ClassVar[str] = "mark them as not a face"
    face_ids: tuple[str, ...]


@dataclass(frozen=True)
class NameFace(Correction):
    """Say who one face is (faceorganizer.naming)."""

    action: ClassVar[str] = "name the face"
    face_id: str
    name: str


@dataclass(frozen=True)
class AddFace(Correction):
    """A face the user drew round in the viewer (faceorganizer.drawn), of the
    person called `name` or the person `person` (neither: of no one yet)."""

    action: ClassVar[str] = "add the face"
    path: str
    box: tuple[float, float, float, float]  # pixels of the upright photo
    name: str | None = None
    person: int | None = None


@dataclass(frozen=True)
class Answer(Correction):
    """Yes or no to a review question (a skip is the window's own)."""

    action: ClassVar[str] = "answer the question"
    question_id: str
    yes: bool


@dataclass(frozen=True)
class ListQuestions(Command):
    action: ClassVar[str] = "list the review questions"


@dataclass(frozen=True)
class Undo(Command):
    action: ClassVar[str] = "undo"


@dataclass(frozen=True)
class Redo(Command):
    action: ClassVar[str] = "redo"


@dataclass(frozen=True)
class ListHistory(Command):
    """The corrections log, newest first (faceorganizer.corrections)."""

    action: ClassVar[str] = "list the corrections"


@dataclass(frozen=True)
class ChangeSettings(Command):
    """Change the library's grouping settings; None keeps a value."""

    action: ClassVar[str] = "change the settings"
    cluster_threshold: float | None = None
    min_faces: int | None = None
    min_face_size: int | None = None


@dataclass(frozen=True)
class ChangeSidecarSettings(Command):
    """Change how names are written into XMP sidecars; None keeps a value."""

    action: ClassVar[str] = "change the sidecar settings"
    style: str | None = None
    write_after_corrections: bool | None = None


@dataclass(frozen=True)
class AddFolders(Command):
    """Add folders to the library, then index them."""

    action: ClassVar[str] = "add the folder"
    folders: tuple[str, ...]


@dataclass(frozen=True)
class WatchFolders(Command):
    """Index what changes in the library's folders from now on, as it changes (or stop)."""

    action: ClassVar[str] = "watch the folders"
    on: bool


@dataclass(frozen=True)
class Job(Command):
    """A long job: one runs at a time, the others wait; each ends with a
    `JobFinished` event, whether it succeeded or failed."""

    job: ClassVar[str] = ""


@dataclass(frozen=True)
class Index(Job):
    """Index `folders` (all the library's when None). `resume` is the check
    when the window opens: it finishes what a run cut short, takes in what
    changed meanwhile, and says nothing when nothing did."""

    action: ClassVar[str] = "index the photos"
    job: ClassVar[str] = "index"
    folders: tuple[str, ...] | None = None
    resume: bool = False


@dataclass(frozen=True)
class FindSmallFaces(Job):
    """Look closer at every photo not looked at so before, for small faces."""

    action: ClassVar[str] = "look for small faces"
    job: ClassVar[str] = "small-faces"


@dataclass(frozen=True)
class SwitchModels(Job):
    """Embed every face again with the models in `model_dir` ("": the bundled
    ones) and switch the library to them, keeping people and corrections;
    a switch stopped part way goes on when asked again."""

    action: ClassVar[str] = "switch the face models"
    job: ClassVar[str] = "models"
    model_dir: str = ""


@dataclass(frozen=True)
class Repair(Job):
    """Repair the damaged library (as `faceorganizer check --repair`), then open it."""

    action: ClassVar[str] = "repair the library"
    job: ClassVar[str] = "repair"
    library_dir: str | None = None


@dataclass(frozen=True)
class Recluster(Job):
    """Group every face into people again, keeping the corrections; a
    `threshold` given becomes the library's."""

    action: ClassVar[str] = "group the faces into people"
    job: ClassVar[str] = "recluster"
    threshold: float | None = None


@dataclass(frozen=True)
class RemoveFolder(Job):
    action: ClassVar[str] = "remove the folder"
    job: ClassVar[str] = "remove"
    folder: str


@dataclass(frozen=True)
class ExcludeFolder(Job):
    """Leave a subfolder out of indexing, forgetting its faces (or index it again)."""

    action: ClassVar[str] = "exclude the folder"
    job: ClassVar[str] = "exclude"
    folder: str
    excluded: bool = True


@dataclass(frozen=True)
class Migrate(Job):
    """Move the library's faces to another embedded engine, then open it again."""

    action: ClassVar[str] = "move the library to another engine"
    job: ClassVar[str] = "migrate"
    engine: str = "edge"


@dataclass(frozen=True)
class WriteSidecars(Job):
    """Write the names of `cluster_ids` (every named person when empty), or
    of the faces in `photos` (after a correction, when the library's setting
    asks for it), into the photos' XMP sidecars."""

    action: ClassVar[str] = "write the names into XMP sidecars"
    job: ClassVar[str] = "sidecars"
    cluster_ids: tuple[int, ...] = ()
    photos: tuple[str, ...] | None = None


# -- calls and replies -------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    id: int
    command: Command


#: Failures the window treats apart: a full disk (it offers to continue),
#: an error no one foresaw (it shows the details to copy).
DISK_FULL, UNEXPECTED = "disk full", "unexpected"


@dataclass(frozen=True)
class Failure:
    """Why a call failed, for the user: "Could not {action}: {message}".
    `kind` is DISK_FULL, UNEXPECTED or ""; `details` the traceback of an
    unexpected one."""

    action: str
    message: str
    kind: str = ""
    details: str = ""

    def __str__(self) -> str:
        return f"Could not {self.action}: {lower_first(self.message)}"


@dataclass(frozen=True)
class Reply:
    """The one answer to a call (`call_id` None: to a job the service started itself)."""

    call_id: int | None
    result: Any = None
    failure: Failure | None = None


@dataclass(frozen=True)
class Hello:
    """The service's first message."""

    version: int
    pid: int


# -- events -----------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    info: LibraryInfo


@dataclass(frozen=True)
class OpenFailed:
    """The library could not be opened; `damaged`: `Repair` may mend it."""

    message: str
    damaged: bool = False


@dataclass(frozen=True)
class Closed:
    pass


@dataclass(frozen=True)
class PeopleChanged:
    people: list[Person]
    unassigned: int


@dataclass(frozen=True)
class FacesReady:
    """A list of faces, pickled a slice at a time: unpickled whole, 100,000
    faces are one call of about 100 ms that holds the window process'
    interpreter, and its GUI thread waits; slice by slice, it runs between
    slices. Small slices (about 1 ms each): the GUI thread takes the
    interpreter back at each tile it paints, and may wait a slice each time."""

    key: int | str
    slices: tuple[bytes, ...]

    #: Faces a slice.
    SLICE: ClassVar[int] = 1_000

    @classmethod
    def of(cls, key: int | str, faces: list[FaceItem]) -> FacesReady:
        return cls(key, tuple(pickle.dumps(faces[start : start + cls.SLICE], pickle.HIGHEST_PROTOCOL)
                              for start in range(0, len(faces), cls.SLICE)))

    def faces(self) -> list[FaceItem]:
        return [face for part in self.slices for face in pickle.loads(part)]


@dataclass(frozen=True)
class FacesChanged:
    """A list of faces sent as its change from the last list sent, of the
    same key (the service sends one so when the change is small): the rows
    of that list that went, then the faces that came and those that
    changed, each with its row in the new list (faceorganizer.list_changes)."""

    key: int | str
    gone: list[int]
    came: list[tuple[int, FaceItem]]
    changed: list[tuple[int, FaceItem]]


@dataclass(frozen=True)
class PhotosReady:
    """The photos a `ListPhotos` asked for, newest first, as plain tuples
    (faceorganizer.photos.from_plain makes them DatedPhotos)."""

    request: ListPhotos
    photos: list[tuple]


#: What made a change: a new correction, an undo, a redo, a re-clustering.
CORRECTED, UNDONE, REDONE, REGROUPED = "corrected", "undone", "redone", "regrouped"


@dataclass(frozen=True)
class Changed:
    """Faces or people changed. `description` is the correction in the
    user's words (for an undo or a redo: the correction undone or redone)."""

    change: ChangeSet
    cause: str
    description: str


@dataclass(frozen=True)
class HistoryChanged:
    """What Undo and Redo would do now (None: nothing)."""

    undo: str | None
    redo: str | None


@dataclass(frozen=True)
class SettingsChanged:
    settings: GroupingSettings


@dataclass(frozen=True)
class SidecarSettingsChanged:
    settings: SidecarSettings


@dataclass(frozen=True)
class JobFinished:
    job: str
    summary: str  # for the status bar; "" when there is nothing to say (or it failed)


@dataclass(frozen=True)
class QuestionsReady:
    """The first open review questions, best first, and how many are open
    (None: not counted yet)."""

    questions: list[Question]
    open: int | None


@dataclass(frozen=True)
class PhotoReady:
    info: PhotoInfo


@dataclass(frozen=True)
class FoldersChanged:
    folders: list[str]
    excluded: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unreadable:
    """What the last indexing could not read: (path, reason)."""

    problems: list[tuple[str, str]]


@dataclass(frozen=True)
class SidecarsNotWritten:
    """The photos whose sidecar the last WriteSidecars could not write: (path, reason)."""

    problems: list[tuple[str, str]]
