"""The long jobs on a library as streams of typed events, one implementation
for the command line (which draws them with tqdm) and the library service
(which sends them to the window): indexing folders, looking closer for small
faces, embedding every face with other models, grouping every face again,
moving to the other engine, writing XMP sidecars, and repairing a damaged
library. A job object is made on its library and run with `run(emit,
cancel)`: it calls `emit` with `Started`, then `Progress` (at most every
PROGRESS_INTERVAL, but the first and the last always: the one throttle) and,
while indexing, each photo's `PhotoOutcome` and each folder's
`FolderIndexed`; it ends with `Finished` or `Cancelled`, whose summary is the
sentence both front ends show, or `Failed` before its error goes on up to
the caller. Setting `cancel` (a threading.Event) stops a job after the photos
in flight; what is done is kept.

This module imports no Qt.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceorganizer.humanize import count, duration
from faceorganizer.indexing import IndexReport, PhotoOutcome
from faceorganizer.repair import repair
from faceorganizer.sidecars import write_sidecars

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

#: Progress goes out at most this often (s), but for a job's first and last.
PROGRESS_INTERVAL = 0.2

#: The engines as the user knows them.
ENGINE_NAMES = {"edge": "Qdrant Edge", "local": "qdrant-client's local mode"}


# -- events ------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """A job, or the next step of one, begins: `total` things to do (0: not known yet)."""

    label: str
    total: int = 0
    unit: str = "photos"


@dataclass(frozen=True)
class Progress:
    """How far the step `label` is: `done` of `total` `unit`, the faces found
    so far, and the time left once it can tell (None: not yet, or done)."""

    label: str
    done: int = 0
    total: int = 0
    faces: int = 0
    seconds_left: float | None = None
    unit: str = "photos"


@dataclass(frozen=True)
class FolderIndexed:
    """One folder of an indexing job is done (or stopped: `report.cancelled`)."""

    folder: str
    report: IndexReport
    seconds: float

    def summary(self) -> str:
        """What the command line prints for the folder: its counts, then a line per problem."""
        report = self.report
        parts = [
            f"{report.seen:,} photos seen",
            f"{report.indexed:,} indexed",
            f"{report.unchanged:,} unchanged",
            f"{len(unreadable_photos(report)):,} failed",
        ]
        if report.moved:
            parts.append(f"{report.moved:,} moved or renamed")
        if report.removed:
            parts.append(f"{report.removed:,} removed (gone from disk)")
        if report.duplicates:
            parts.append(f"{report.duplicates:,} links to photos already indexed")
        lines = [f"{self.folder}: {', '.join(parts)}; {report.faces_found:,} faces found ({duration(self.seconds)})"]
        if report.cancelled:
            lines.append("  stopped early: run the same command again to continue")
        lines += [f"  cannot read folder {path}: {reason}" for path, reason in report.unreadable_folders]
        lines += [f"  failed {path}: {reason}" for path, reason in report.failed + report.badly_named]
        lines += [f"  failed {path}: {reason} (unchanged since the last try)" for path, reason in report.still_failing]
        return "\n".join(lines)


@dataclass(frozen=True)
class Finished:
    """The job is done. `summary` is the sentence for the user ("" when there
    is nothing to say); `problems` the (path, reason) of what it could not do;
    `report` the library's own report, for a front end that says more."""

    summary: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    report: Any = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Cancelled(Finished):
    """The job stopped early because it was asked to; what it did is kept."""


@dataclass(frozen=True)
class Failed:
    """The job stopped on an error, which its caller receives next."""

    error: str


Event = Started | Progress | PhotoOutcome | FolderIndexed | Finished | Failed
Emit = Callable[[Event], None]


def unreadable_photos(report: IndexReport) -> list[tuple[str, str]]:
    """The photos an indexing could not read, this time or unchanged since an earlier try."""
    return report.failed + report.badly_named + report.still_failing


# -- progress -------------------------------------------------------------------------


class StepProgress:
    """The progress of one step of a job: counts the faces found, tells the
    time left, and sends `Progress` through the throttle. `quiet`: nothing
    is said until there is something to do."""

    def __init__(self, emit: Emit, label: str, unit: str = "photos", quiet: bool = False):
        self.emit = emit
        self.label = label
        self.unit = unit
        self.quiet = quiet
        self.faces = 0
        self.started = time.monotonic()
        self._announced = False
        self._sent = -PROGRESS_INTERVAL

    def start(self) -> None:
        self.started = time.monotonic()
        if not self.quiet:
            self._announce(0)

    def _announce(self, total: int) -> None:
        self._announced = True
        self.emit(Started(self.label, total, self.unit))

    def update(self, done: int, total: int) -> None:
        if not total:
            return
        if not self._announced:
            self._announce(total)
        now = time.monotonic()
        if now - self._sent < PROGRESS_INTERVAL and 0 < done < total:
            return
        self._sent = now
        left = (now - self.started) / done * (total - done) if 0 < done < total else None
        self.emit(Progress(self.label, done, total, self.faces, left, self.unit))

    def photo_done(self, outcome: PhotoOutcome) -> None:
        self.faces += len(outcome.face_ids)
        self.emit(outcome)


def _ended(emit: Emit, cancel: threading.Event | None, summary: str, **details) -> None:
    emit((Cancelled if cancel is not None and cancel.is_set() else Finished)(summary, **details))


def _failing(run):
    """A job's `run` that says `Failed` before its error goes on up."""

    @functools.wraps(run)
    def guarded(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        try:
            run(self, emit, cancel)
        except BaseException as exc:
            emit(Failed(str(exc)))
            raise

    return guarded


# -- jobs -------------------------------------------------------------------------------


class IndexJob:
    """Index `folders` of `library` one after the other. `label` names the
    step of a folder (`{folder}`: as given, `{name}`: its last part); `quiet`
    is the check when the window opens: nothing is said unless there was
    something to do."""

    def __init__(self, library: FaceLibrary, folders: Sequence[str | Path], *, recursive: bool = True,
                 quiet: bool = False, label: str = "Indexing {folder}"):
        self.library = library
        self.folders = list(folders)
        self.recursive = recursive
        self.quiet = quiet
        self.label = label

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        started = time.monotonic()
        reports: list[IndexReport] = []
        for folder in self.folders:
            if cancel is not None and cancel.is_set():
                break
            step = StepProgress(emit, self.label.format(folder=folder, name=Path(folder).name or folder),
                                quiet=self.quiet)
            step.start()
            report = self.library.index_directory(folder, self.recursive, step.update, on_photo=step.photo_done,
                                                  cancel=cancel)
            reports.append(report)
            emit(FolderIndexed(str(folder), report, time.monotonic() - step.started))
        problems = [p for r in reports for p in r.unreadable_folders]
        problems += [p for r in reports for p in unreadable_photos(r)]
        stopped = cancel is not None and cancel.is_set()
        if self.quiet and not (stopped or any(r.indexed or r.failed or r.removed or r.unreadable_folders
                                              for r in reports)):  # photos failing still are told when asked
            _ended(emit, cancel, "", report=reports)
            return
        _ended(emit, cancel, index_summary(reports, time.monotonic() - started, stopped),
               problems=problems, report=reports, seconds=time.monotonic() - started)


def index_summary(reports: Sequence[IndexReport], seconds: float, stopped: bool = False) -> str:
    """An indexing job in one sentence: "Indexed: 2 photos, 12 faces found (3 s)"."""
    indexed = sum(r.indexed for r in reports)
    summary = f"{'Stopped' if stopped else 'Indexed'}: {count(indexed, 'photo')}, " \
              f"{count(sum(r.faces_found for r in reports), 'face')} found"
    if removed := sum(r.removed for r in reports):
        summary += f", {count(removed, 'photo')} gone (their faces forgotten)"
    for unread, kind in ((sum(len(unreadable_photos(r)) for r in reports), "photo"),
                         (sum(len(r.unreadable_folders) for r in reports), "folder")):
        if unread:
            summary += f", {count(unread, kind)} could not be read"
    return f"{summary} ({duration(seconds)})"


class SmallFacesJob:
    """Look closer at every photo of `library` not looked at so before, for small faces."""

    label = "Looking for small faces"

    def __init__(self, library: FaceLibrary, label: str = ""):
        self.library = library
        self.label = label or self.label

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        step = StepProgress(emit, self.label)
        step.start()
        report = self.library.find_small_faces(step.update, cancel=cancel)
        seconds = time.monotonic() - step.started
        verb = "Stopped" if report.cancelled else "Looked closer"
        _ended(emit, cancel, f"{verb}: {count(report.indexed, 'photo')}, {count(report.faces_found, 'face')} found"
                             f" ({duration(seconds)})", problems=report.failed, report=report, seconds=seconds)


class SwitchModelsJob:
    """Embed every face of `library` again with the models in `model_dir`
    (None: the bundled ones) and switch the library to them (see
    faceorganizer.model_switch); the faces not found again are its problems."""

    label = "Embedding the faces with the new models"

    def __init__(self, library: FaceLibrary, model_dir: str | Path | None):
        self.library = library
        self.model_dir = model_dir

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        step = StepProgress(emit, self.label, unit="photos read")
        step.start()
        report = self.library.switch_models(self.model_dir, step.update, cancel=cancel)
        seconds = time.monotonic() - step.started
        _ended(emit, cancel, f"{report.summary()} ({duration(seconds)}).", report=report, seconds=seconds,
               problems=[(photo, f"{person}, {how}") for photo, person, how in report.listed])


class ReclusterJob:
    """Group every face of `library` into people again, keeping the user's corrections."""

    def __init__(self, library: FaceLibrary, threshold: float | None = None):
        self.library = library
        self.threshold = threshold

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        started = time.monotonic()
        emit(Started("Grouping faces into people"))
        change = self.library.recluster(self.threshold)
        seconds = time.monotonic() - started
        _ended(emit, None, f"{len(self.library.catalog.cluster_ids()):,} people, "
                           f"{self.library.unassigned_count():,} faces unassigned ({duration(seconds)})",
               report=change, seconds=seconds)


class MigrationJob:
    """Copy every face of `library` into a store of `engine`, check it and switch to it (the library closes)."""

    def __init__(self, library: FaceLibrary, engine: str, label: str = ""):
        self.library = library
        self.engine = engine
        self.label = label or f"Moving the faces to {ENGINE_NAMES.get(engine, engine)}"

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        step = StepProgress(emit, self.label, unit="faces")
        step.start()
        report = self.library.migrate(self.engine, step.update)
        seconds = time.monotonic() - step.started
        _ended(emit, None, f"Moved {count(report.faces, 'face')} and {count(report.corrections, 'correction')} to "
                           f"{ENGINE_NAMES.get(report.target, report.target)} and checked them ({duration(seconds)});"
                           f" the old store is kept in {report.retired} until you delete it",
               report=report, seconds=seconds)


class SidecarsJob:
    """Write the names of the faces into XMP sidecars beside their photos, in
    `style` (the library's when None); `which` are the photos'
    (faceorganizer.sidecars.write_sidecars: folders, person, people, photos)."""

    def __init__(self, library: FaceLibrary, style: str | None = None, label: str = "Writing XMP sidecars",
                 **which):
        self.library = library
        self.style = style or library.settings.sidecar_style
        self.label = label
        self.which = which

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        step = StepProgress(emit, self.label)
        step.start()
        report = write_sidecars(self.library, style=self.style, on_progress=step.update, **self.which)
        _ended(emit, None, report.summary(), problems=report.failed, report=report,
               seconds=time.monotonic() - step.started)


class RepairJob:
    """Mend the damaged library at `folder` (faceorganizer.repair): what lost
    its faces is analysed again, folder by folder. `open_library()` opens it."""

    label = "Analysing again the photos whose faces were lost"

    def __init__(self, folder: Path, open_library: Callable[[], FaceLibrary]):
        self.folder = folder
        self.open_library = open_library

    @_failing
    def run(self, emit: Emit, cancel: threading.Event | None = None) -> None:
        started = time.monotonic()
        emit(Started("Repairing the library"))

        def analyse_again(library: FaceLibrary) -> int:
            analysed = 0
            for folder in library.folders():
                step = StepProgress(emit, self.label)
                report = library.index_directory(folder, on_progress=step.update, on_photo=step.photo_done)
                emit(FolderIndexed(folder, report, time.monotonic() - step.started))
                analysed += report.indexed + len(report.failed)
            return analysed

        report = repair(self.folder, self.open_library, analyse_again)
        _ended(emit, None, f"Repaired: {report.summary()}", report=report, seconds=time.monotonic() - started)
