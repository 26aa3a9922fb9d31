"""The window's long jobs: the ones it starts on a folder or the library
(removing or excluding a folder, repairing), their progress and their end
in the status bar, the links the status bar offers (undo, redo, what could
not be read, continue after a full disk), and stopping the job running."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from faceorganizer.protocol import ExcludeFolder, Index, Progress, RemoveFolder, Repair, SwitchModels
from faceorganizer.ui.panes.status import CONTINUE, LISTED, NOT_WRITTEN, REDO, UNDO, UNREADABLE
from faceorganizer.ui.problems import UnreadableDialog

if TYPE_CHECKING:
    from faceorganizer.ui.mainwindow import MainWindow


class Jobs(QObject):
    """The jobs of `window` and what the status bar says of them."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.client = window.client
        self.status = window.status
        self.unreadable: list[tuple[str, str]] = []  # (path, reason) from the last indexing
        self.not_written: list[tuple[str, str]] = []  # (path, reason) from the last sidecars written
        worker = self.client.worker
        worker.progress.connect(self.on_progress)
        worker.jobFinished.connect(self.on_job_finished)
        worker.unreadable.connect(self.on_unreadable)
        worker.sidecarsNotWritten.connect(self.on_not_written)
        window.sidebar.removeFolder.connect(self.remove_folder)
        window.sidebar.excludeSubfolder.connect(self.exclude_subfolder)
        self.status.linkActivated.connect(self.follow_status_link)
        self.status.cancelClicked.connect(self.cancel)
        window.damaged.repairClicked.connect(self.repair)

    # -- progress and end -----------------------------------------------------------------

    def on_progress(self, progress: Progress) -> None:
        self.window.job_running = True
        self.status.show_progress(progress)
        self.window.update_center()

    def on_job_finished(self, job: str, summary: str) -> None:
        window = self.window
        window.job_running = False
        if job == Repair.job:
            window.damaged.repair_ended(repaired=bool(summary))
            window.splitter.setVisible(bool(summary))
        self.status.show_progress(None)
        window.browser.update_placeholder()
        if not summary:
            pass  # nothing was left to index, or it failed (the failure says why)
        elif job == "index" and self.unreadable:
            self.status.say(summary, UNREADABLE)
        elif job == "sidecars" and self.not_written:
            self.status.say(summary, NOT_WRITTEN)
        elif job == SwitchModels.job and self.unreadable:
            self.status.say(summary, LISTED)
        else:
            self.status.say(summary)
        window.update_center()
        window.browser.refresh_faces()
        if not window.browser.faces_loaded and not window.browser.people:
            window.ready.emit()

    def follow_status_link(self, link: str) -> None:
        if link == UNDO:
            self.window.undo()
        elif link == REDO:
            self.window.redo()
        elif link == UNREADABLE:
            self.show_unreadable()
        elif link == NOT_WRITTEN:
            self.show_unreadable(self.not_written, title="Sidecars that could not be written",
                                 intro="These photos have no sidecar with their names; the others do.")
        elif link == LISTED:
            self.show_unreadable(title="Faces the new models did not find",
                                 intro="Each keeps its person and name: it was described again at its old box, "
                                       "or from its thumbnail when its photo could not be read. A face that "
                                       "could not be described holds the switch until its photo is back.")
        elif link == CONTINUE:
            self.client.call(self.client.failed_command or Index())

    def on_unreadable(self, problems: list[tuple[str, str]]) -> None:
        self.unreadable = problems

    def on_not_written(self, problems: list[tuple[str, str]]) -> None:
        self.not_written = problems

    def show_unreadable(self, problems: list[tuple[str, str]] | None = None, **texts: str) -> None:
        """List what the last indexing could not read (or other `problems`), and why."""
        window = self.window
        if window.unreadable_dialog is not None:
            window.unreadable_dialog.close()
        window.unreadable_dialog = UnreadableDialog(self.unreadable if problems is None else problems, window, **texts)
        window.unreadable_dialog.show()

    def cancel(self) -> None:
        self.client.cancel()
        self.status.show_title("Stopping…")

    # -- jobs started here ------------------------------------------------------------------

    def repair(self) -> None:
        """Repair the damaged library in the service (as `faceorganizer check --repair`)."""
        self.window.damaged.repairing()
        self.client.call(Repair(self.window.library[0]))

    def remove_folder(self, folder: str) -> None:
        answer = QMessageBox.question(
            self.window, "Remove folder",
            f"Remove {folder} from the library?\n\nThe faces found in its photos, and your corrections of "
            "them, are forgotten. The photos themselves are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.client.call(RemoveFolder(folder))

    def exclude_subfolder(self, folder: str) -> None:
        chosen = QFileDialog.getExistingDirectory(self.window, "Exclude a subfolder from indexing", folder)
        if not chosen:
            return
        chosen = str(Path(chosen).resolve())
        if Path(folder) not in Path(chosen).parents:
            self.status.say(f"⚠ {chosen} is not a subfolder of {folder}: nothing was excluded.")
            return
        self.client.call(ExcludeFolder(chosen))
