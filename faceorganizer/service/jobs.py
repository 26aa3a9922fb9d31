"""The library service's long jobs: indexing, looking for small faces,
switching the face models, re-clustering, adding, removing and excluding folders, moving to the other
engine, repairing and writing sidecars. Each runs one at a time on the
service's library; most are a job of faceorganizer.jobs, whose events go out
as the protocol's (its progress through that module's throttle), and between
two of them the calls that arrived meanwhile are handled (LibraryService.pump).
Each ends with JobFinished.

This module imports no Qt.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.config import default_library_dir
from faceorganizer.humanize import count
from faceorganizer.jobs import (
    Finished,
    IndexJob,
    MigrationJob,
    Progress,
    ReclusterJob,
    RepairJob,
    SidecarsJob,
    SmallFacesJob,
    Started,
    SwitchModelsJob,
)
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
    Recluster,
    RemoveFolder,
    Repair,
    SidecarsNotWritten,
    SwitchModels,
    Unreadable,
    WriteSidecars,
)

if TYPE_CHECKING:
    from faceorganizer.jobs import Event
    from faceorganizer.service.core import LibraryService

#: The people list goes out at most this often while indexing (s).
_PEOPLE_INTERVAL = 1.0


class LibraryJobs:
    """The long jobs of `service` (a LibraryService), one method per command."""

    def __init__(self, service: LibraryService) -> None:
        self.service = service
        self.send = service.send
        self.cancel_event = service.cancel_event

    def run(self, job, *, shown: bool = True, pumped: bool = True, people: bool = False) -> Finished:
        """Run `job` (of faceorganizer.jobs), sending its progress if `shown`;
        between two steps of progress handle the calls waiting if `pumped`, and
        send the people list now and then if `people`. Returns how it ended."""
        ended: Finished | None = None

        def forward(event: Event) -> None:
            nonlocal ended
            if isinstance(event, Started) and shown:
                self.send(Progress(event.label, 0, event.total, unit=event.unit))
            elif isinstance(event, Progress):
                if shown:
                    self.send(event)
                if people and time.monotonic() - self.service.last_people >= _PEOPLE_INTERVAL:
                    self.service.send_people()
                if pumped:
                    self.service.pump()  # the user's corrections that arrived meanwhile
            elif isinstance(event, Finished):
                ended = event

        self.service.busy = True
        try:
            job.run(forward, self.cancel_event)
        finally:
            self.service.busy = False
        return ended

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
        library = self.service.library
        self.cancel_event.clear()
        ended = self.run(IndexJob(library, command.folders or library.folders(), quiet=command.resume,
                                  label="Indexing {name}"), people=True)
        self.service.send_people()
        if ended.summary:
            self.send(Unreadable(ended.problems))
        self.send(JobFinished(command.job, ended.summary))

    def find_small_faces(self, command: FindSmallFaces) -> None:
        self.cancel_event.clear()
        ended = self.run(SmallFacesJob(self.service.library))
        self.service.send_people()
        self.send(JobFinished(command.job, ended.summary))

    def switch_models(self, command: SwitchModels) -> None:
        """Embed every face again with other models (faceorganizer.model_switch),
        the user's corrections meanwhile on the old vectors; then open the
        library again on them, so that every view reads the new vectors."""
        self.cancel_event.clear()
        try:
            ended = self.run(SwitchModelsJob(self.service.library, command.model_dir or None))
        except BaseException:
            self.service.open(self.service.opened_with)  # whole again, should a failed swap have closed it
            raise
        if ended.report.completed and not ended.report.already:
            self.service.open(self.service.opened_with)
        self.send(Unreadable(ended.problems))
        self.send(JobFinished(command.job, ended.summary))

    def repair(self, command: Repair) -> None:
        """Mend a damaged library as `faceorganizer check --repair` does, then open it."""
        from faceorganizer.library import FaceLibrary

        self.service._close(Close(), say=False)
        folder = Path(command.library_dir) if command.library_dir else default_library_dir()
        ended = self.run(RepairJob(folder, lambda: FaceLibrary(folder)), pumped=False)
        self.service.open(Open(command.library_dir))
        self.send(JobFinished(command.job, ended.summary))

    def recluster(self, command: Recluster) -> None:
        ended = self.run(ReclusterJob(self.service.library, command.threshold), pumped=False)
        self.service.changed(ended.report, REGROUPED, ended.report.description)
        self.send(JobFinished(command.job, ended.summary))

    def migrate(self, command: Migrate) -> None:
        """Copy every face into the other engine with progress, check it,
        switch to it (the library closes), and open the library again."""
        try:
            ended = self.run(MigrationJob(self.service.library, command.engine), pumped=False)
        finally:
            self.service.open(self.service.opened_with)  # closed by the migration, whether it finished or not
        self.send(JobFinished(command.job, ended.summary))

    def write_sidecars(self, command: WriteSidecars) -> None:
        """Write names into sidecars; after a correction (`photos` given),
        quietly but for the photos whose sidecar could not be written."""
        asked = command.photos is None
        ended = self.run(SidecarsJob(self.service.library, people=command.cluster_ids or None, photos=command.photos),
                         shown=asked)
        self.send(SidecarsNotWritten(ended.problems))
        self.send(JobFinished(command.job, ended.summary if asked or ended.problems else ""))
