"""The library service's long jobs: indexing, looking for small faces,
switching the face models, re-clustering, adding, removing and excluding folders, moving to the other
engine, repairing and writing sidecars. Each runs one at a time on the
service's library, sends its progress through one throttle, handles the
calls that arrive meanwhile (LibraryService.pump) and ends with JobFinished.

This module imports no Qt.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.config import default_library_dir
from faceorganizer.humanize import count, duration
from faceorganizer.protocol import (
    REGROUPED,
    AddFolders,
    Call,
    Close,
    ExcludeFolder,
    FindSmallFaces,
    FoldersChanged,
    Index,
    JobFinished,
    Migrate,
    Open,
    Progress,
    Recluster,
    RemoveFolder,
    Repair,
    SidecarsNotWritten,
    SwitchModels,
    Unreadable,
    WriteSidecars,
)

if TYPE_CHECKING:
    from faceorganizer.service.core import LibraryService

#: Progress and the people list go out at most this often while indexing (s).
_PROGRESS_INTERVAL = 0.2
_PEOPLE_INTERVAL = 1.0

#: The engines as the user knows them.
_ENGINE_NAMES = {"edge": "Qdrant Edge", "local": "qdrant-client's local mode"}


class ProgressThrottle:
    """Sends a job's progress at most every _PROGRESS_INTERVAL, but for the last."""

    def __init__(self, send) -> None:
        self._send = send
        self._sent = 0.0

    def send(self, progress: Progress, now: float, last: bool) -> None:
        if now - self._sent >= _PROGRESS_INTERVAL or last:
            self._sent = now
            self._send(progress)


class LibraryJobs:
    """The long jobs of `service` (a LibraryService), one method per command."""

    def __init__(self, service: LibraryService) -> None:
        self.service = service
        self.send = service.send
        self.cancel_event = service.cancel_event
        self.progress = ProgressThrottle(service.send)

    def folders_changed(self) -> None:
        self.send(FoldersChanged(self.service.library.folders(), self.service.library.excluded_folders()))
        self.service.rewatch()

    def add_folders(self, command: AddFolders) -> None:
        self.service.library.add_folders(command.folders)
        self.folders_changed()
        self.service.dispatch(Call(None, Index(tuple(command.folders))))

    def exclude(self, command: ExcludeFolder) -> None:
        forgotten = self.service.library.exclude_folder(command.folder, command.excluded)
        self.folders_changed()
        self.service.send_people()
        if command.excluded:
            self.send(JobFinished(command.job, f"{command.folder} is left out of indexing"
                                               f" ({count(forgotten, 'face')} forgotten)"))
        else:
            self.send(JobFinished(command.job, ""))
            self.service.dispatch(Call(None, Index((command.folder,))))

    def remove_folder(self, command: RemoveFolder) -> None:
        removed = self.service.library.remove_folder(command.folder)
        self.folders_changed()
        self.service.send_history()
        self.service.send_people()
        self.send(JobFinished(command.job, f"Removed {command.folder} ({removed:,} faces forgotten)"))

    def index(self, command: Index) -> None:
        lib, resume = self.service.library, command.resume
        folders = list(command.folders or lib.folders())
        self.service.busy = True
        self.cancel_event.clear()
        started = time.monotonic()
        progress = Progress("Indexing")
        indexed = found = failed = removed = 0
        unreadable_photos: list[tuple[str, str]] = []
        unreadable_folders: list[tuple[str, str]] = []
        try:
            for folder in folders:
                if self.cancel_event.is_set():
                    break
                progress.label = f"Indexing {Path(folder).name or folder}"
                folder_started = time.monotonic()

                def report_progress(now: float, last: bool = False) -> None:
                    if progress.total or not resume:
                        self.progress.send(progress, now, last)

                def on_photo(outcome):
                    # (Photos are reported as they are written, after their progress.)
                    progress.faces += len(outcome.face_ids)
                    report_progress(time.monotonic())

                def on_progress(done, total):
                    now = time.monotonic()
                    progress.done, progress.total = done, total
                    if done:
                        rate = (now - folder_started) / done
                        progress.seconds_left = rate * (total - done)
                    report_progress(now, last=done == total)
                    if now - self.service.last_people >= _PEOPLE_INTERVAL:
                        self.service.send_people()
                    # Handle the user's corrections that arrived meanwhile.
                    self.service.pump()

                report = lib.index_directory(folder, on_progress=on_progress, on_photo=on_photo,
                                             cancel=self.cancel_event)
                indexed += report.indexed
                found += report.faces_found
                failed += len(report.failed)
                removed += report.removed
                unreadable_photos += report.failed + report.still_failing
                unreadable_folders += report.unreadable_folders
        finally:
            self.service.busy = False
        self.service.send_people()
        if resume and not (indexed or failed or removed or unreadable_folders or self.cancel_event.is_set()):
            self.send(JobFinished(command.job, ""))
            return
        verb = "Stopped" if self.cancel_event.is_set() else "Indexed"
        summary = f"{verb}: {count(indexed, 'photo')}, {count(found, 'face')} found"
        if removed:
            summary += f", {count(removed, 'photo')} gone (their faces forgotten)"
        for things, kind in ((unreadable_photos, "photo"), (unreadable_folders, "folder")):
            if things:
                summary += f", {count(len(things), kind)} could not be read"
        summary += f" ({duration(time.monotonic() - started)})"
        self.send(Unreadable(unreadable_folders + unreadable_photos))
        self.send(JobFinished(command.job, summary))

    def find_small_faces(self, command: FindSmallFaces) -> None:
        self.service.busy = True
        self.cancel_event.clear()
        started = time.monotonic()
        progress = Progress("Looking for small faces")

        def on_progress(done, total):
            progress.done, progress.total = done, total
            self.progress.send(progress, time.monotonic(), last=done == total)
            self.service.pump()

        try:
            report = self.service.library.find_small_faces(on_progress, cancel=self.cancel_event)
        finally:
            self.service.busy = False
        self.service.send_people()
        self.send(JobFinished(command.job, f"{'Stopped' if report.cancelled else 'Looked closer'}: "
                                           f"{count(report.indexed, 'photo')}, {count(report.faces_found, 'face')}"
                                           f" found ({duration(time.monotonic() - started)})"))

    def switch_models(self, command: SwitchModels) -> None:
        """Embed every face again with other models (faceorganizer.model_switch),
        then open the library again on them, so that every view reads the new vectors."""
        self.service.busy = True
        self.cancel_event.clear()
        started = time.monotonic()
        progress = Progress("Embedding the faces with the new models")

        def on_progress(done: int, total: int) -> None:
            now = time.monotonic()
            progress.done, progress.total = done, total
            if done:
                progress.seconds_left = (now - started) / done * (total - done)
            self.progress.send(progress, now, last=done == total)
            self.service.pump()  # the user's corrections meanwhile, on the old vectors

        try:
            report = self.service.library.switch_models(command.model_dir or None, on_progress,
                                                        cancel=self.cancel_event)
        except BaseException:
            self.service.open(self.service.opened_with)  # whole again, should a failed swap have closed it
            raise
        finally:
            self.service.busy = False
        if report.completed and not report.already:
            self.service.open(self.service.opened_with)  # every view reads the new vectors
        self.send(Unreadable([(photo, f"{person}, {how}") for photo, person, how in report.listed]))
        self.send(JobFinished(command.job, f"{report.summary()} ({duration(time.monotonic() - started)})."))

    def repair(self, command: Repair) -> None:
        """Mend a damaged library as `faceorganizer check --repair` does, then open it."""
        from faceorganizer.library import FaceLibrary
        from faceorganizer.repair import reanalyse, repair

        self.service._close(Close(), say=False)
        folder = Path(command.library_dir) if command.library_dir else default_library_dir()
        self.service.busy = True
        self.send(Progress("Repairing the library"))

        def on_progress(done: int, total: int) -> None:
            self.send(Progress("Analysing again the photos whose faces were lost", done, total))

        try:
            report = repair(folder, lambda: FaceLibrary(folder), lambda lib: reanalyse(lib, on_progress))
        finally:
            self.service.busy = False
        self.service.open(Open(command.library_dir))
        self.send(JobFinished(command.job, f"Repaired: {report.summary()}"))

    def recluster(self, command: Recluster) -> None:
        self.service.busy = True
        self.send(Progress("Grouping faces into people"))
        try:
            change = self.service.library.recluster()
        finally:
            self.service.busy = False
        self.service.changed(change, REGROUPED, change.description)
        self.send(JobFinished(command.job, f"{len(self.service.library.people()):,} people"))

    def migrate(self, command: Migrate) -> None:
        """Copy every face into the other engine with progress, check it,
        switch to it (the library closes), and open the library again."""
        self.service.busy = True
        progress = Progress(f"Moving the faces to {_ENGINE_NAMES.get(command.engine, command.engine)}")
        started = time.monotonic()

        def on_progress(done: int, total: int) -> None:
            now = time.monotonic()
            progress.done, progress.total = done, total
            if done:
                progress.seconds_left = (now - started) / done * (total - done)
            self.progress.send(progress, now, last=done == total)

        self.send(progress)
        try:
            report = self.service.library.migrate(command.engine, on_progress)
        finally:
            self.service.busy = False
            self.service.open(self.service.opened_with)  # closed by the migration, whether it finished or not
        self.send(JobFinished(command.job, (
            f"Moved {count(report.faces, 'face')} and {count(report.corrections, 'correction')} to "
            f"{_ENGINE_NAMES.get(report.target, report.target)} and checked them "
            f"({duration(time.monotonic() - started)}); the old store is kept in {report.retired} until you delete it")))

    def write_sidecars(self, command: WriteSidecars) -> None:
        """Write names into sidecars; after a correction (`photos` given),
        quietly but for the photos whose sidecar could not be written."""
        from faceorganizer.sidecars import write_sidecars

        lib, asked = self.service.library, command.photos is None
        self.service.busy = True
        progress = Progress("Writing XMP sidecars")

        def on_progress(done: int, total: int) -> None:
            progress.done, progress.total = done, total
            if asked:
                self.progress.send(progress, time.monotonic(), last=done == total)
            self.service.pump()

        try:
            report = write_sidecars(lib, people=command.cluster_ids or None, photos=command.photos,
                                    style=lib.settings.sidecar_style, on_progress=on_progress)
        finally:
            self.service.busy = False
        self.send(SidecarsNotWritten(report.failed))
        self.send(JobFinished(command.job, report.summary() if asked or report.failed else ""))
