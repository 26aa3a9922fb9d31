"""The main window: folders and lists on the left, the people grid in the
middle, the selected person's faces on the right (or, in their place, the
review questions), progress at the bottom (faceorganizer.ui.panes), its
actions in one registry (ui.actions).

The window never touches the library itself: it sends commands to the
library service (LibraryClient.call) and updates its models from the events
that come back. Undo and Redo walk the library's corrections log, so they
agree with `faceorganizer undo` and survive a restart.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from faceorganizer.config import GroupingSettings, SidecarSettings
from faceorganizer.people import Person
from faceorganizer.protocol import (
    CORRECTED,
    REDONE,
    DISK_FULL,
    REGROUPED,
    UNASSIGNED,
    UNDONE,
    UNEXPECTED,
    AddFolders,
    Answer,
    Changed,
    ChangeSettings,
    ChangeSidecarSettings,
    ExcludeFolder,
    Failure,
    FindSmallFaces,
    Index,
    LibraryInfo,
    ListQuestions,
    NotAFace,
    NotThisPerson,
    Open,
    Progress,
    Recluster,
    Redo,
    RemoveFolder,
    Repair,
    Undo,
    WatchFolders,
    WriteSidecars,
)
from faceorganizer.ui import geometry, migration, resources
from faceorganizer.ui.actions import Actions
from faceorganizer.ui.browser import Browser
from faceorganizer.ui.corrections import Corrections
from faceorganizer.ui.faults import ErrorReporter
from faceorganizer.ui.models import FacesModel, PeopleModel
from faceorganizer.ui.panes.damaged import DamagedPane
from faceorganizer.ui.panes.faces import FacesPane
from faceorganizer.ui.panes.people import PeoplePane
from faceorganizer.ui.panes.review import ReviewPane
from faceorganizer.ui.panes.sidebar import REVIEW, Sidebar
from faceorganizer.ui.panes.status import CONTINUE, NOT_WRITTEN, REDO, UNDO, UNREADABLE, StatusArea
from faceorganizer.ui.photos import PhotosBrowser
from faceorganizer.ui.problems import UnreadableDialog
from faceorganizer.ui.settings import AppSettings, SettingsDialog, load_settings, take_old_grouping_settings
from faceorganizer.ui.thumbnails import ThumbnailLoader
from faceorganizer.ui.worker import LibraryClient

#: A service that stops this many times in a row before the library opens is not started again.
_RESTARTS = 3


class MainWindow(QMainWindow):
    """Signals: `ready` once the library is open and a person's faces shown;
    `peopleShown` each time the people grid took a new list."""

    ready = Signal()
    peopleShown = Signal()

    def __init__(self, client: LibraryClient, initial_folders: list[str] | None = None, *,
                 library_dir: str | None = None, qdrant_url: str | None = None, interactive: bool = True):
        super().__init__()
        self.client = client
        self.interactive = interactive
        self.failed = False
        self.settings = load_settings()
        # --library and --qdrant-url choose the library for this run only.
        self.library = (str(library_dir) if library_dir else self.settings.library_dir,
                        qdrant_url or self.settings.qdrant_url)
        self.initial_folders = [str(Path(f).expanduser().resolve()) for f in initial_folders or []]
        self.info: LibraryInfo | None = None
        self.job_running = False
        self.people_loaded = False
        self.corrections_seen = 0  # corrections, undos and redos the service reported
        self._restarts = 0  # of the service since the library last opened
        self.unreadable: list[tuple[str, str]] = []  # (path, reason) from the last indexing
        self.unreadable_dialog: UnreadableDialog | None = None
        self.migration_offer: QMessageBox | None = None  # asked once a run
        self.not_written: list[tuple[str, str]] = []  # (path, reason) from the last sidecars written
        self._browse_sizes: list[int] = []  # the panes' widths before the review pane took their place
        self.errors = ErrorReporter(self, interactive)

        self.setWindowTitle("faceorganizer")
        self.setWindowIcon(resources.app_icon())
        self.thumbnails = ThumbnailLoader(parent=self)
        self.people_model = PeopleModel(self.thumbnails, self)
        self.faces_model = FacesModel(self.thumbnails, self)
        self.browser = Browser(self)
        self.photos = PhotosBrowser(self)
        self.corrections = Corrections(self)
        self.actions = Actions(self)
        self.search = self.actions.add_toolbar()
        self._build_panes()
        self.actions.add_menus()
        self._connect()
        geometry.restore(self, self.splitter, {"window/people_zoom": self.people_view,
                                               "window/faces_zoom": self.faces_view})
        self.client.call(Open(*self.library))

    def _build_panes(self) -> None:
        self.sidebar = Sidebar(self.actions.add_folder)
        self.people_pane = PeoplePane(self.people_model, self.actions.on_people)
        self.faces_pane = FacesPane(self.faces_model, self.actions.on_faces, self.photos.grid)
        self.review_pane = ReviewPane(self.thumbnails)
        self.review_pane.hide()
        self.status = StatusArea(self.statusBar())
        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        for pane in (self.sidebar, self.people_pane, self.faces_pane, self.review_pane):
            self.splitter.addWidget(pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setStretchFactor(3, 5)
        self.splitter.setSizes([220, 640, 440])
        self.damaged = DamagedPane()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.damaged)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # The widgets the window works with most (and tests read).
        self.people_view, self.faces_view = self.people_pane.view, self.faces_pane.view
        self.drop_bar = self.faces_pane.drop_bar
        self.status_message, self.status_link = self.status.message, self.status.link
        self.progress_bar, self.cancel_button = self.status.progress_bar, self.status.cancel_button
        self.undo_action, self.redo_action = self.actions.undo, self.actions.redo

    def _connect(self) -> None:
        worker = self.client.worker
        worker.opened.connect(self._on_opened)
        worker.openFailed.connect(self._on_open_failed)
        worker.peopleChanged.connect(self._on_people)
        worker.facesReady.connect(self._on_faces)
        worker.changed.connect(self._on_changed)
        worker.historyChanged.connect(self._on_history)
        worker.settingsChanged.connect(self._on_settings)
        worker.failed.connect(self._on_failed)
        worker.died.connect(self._on_service_died)
        worker.progress.connect(self._on_progress)
        worker.jobFinished.connect(self._on_job_finished)
        worker.photoReady.connect(self.browser.show_photo)
        worker.photosReady.connect(self.photos.take_photos)
        worker.foldersChanged.connect(self._set_folders)
        worker.excludedChanged.connect(lambda excluded: setattr(self.sidebar, "excluded", excluded))
        worker.unreadable.connect(self._on_unreadable)
        worker.sidecarsNotWritten.connect(self._on_not_written)
        worker.sidecarSettingsChanged.connect(self._on_sidecar_settings)
        worker.questionsReady.connect(self._on_questions)
        self.review_pane.answered.connect(lambda question, yes: self.client.call(Answer(question, yes)))
        corrections = self.corrections
        self.people_model.mergeRequested.connect(corrections.merge_into)
        self.people_model.moveRequested.connect(corrections.move_faces)
        self.people_model.renameRequested.connect(corrections.rename)
        self.people_view.selectionModel().currentChanged.connect(self.browser.on_person_chosen)
        self.people_view.selectionModel().selectionChanged.connect(self.photos.on_selection)
        self.faces_pane.switched.connect(self.photos.switch_to)
        self.sidebar.folderChosen.connect(self.photos.show_folder)
        self.people_view.customContextMenuRequested.connect(corrections.people_menu)
        self.faces_view.customContextMenuRequested.connect(corrections.faces_menu)
        self.faces_view.doubleClicked.connect(lambda i: self.browser.open_face(self.faces_model.item(i.row()).face_id))
        self.faces_pane.rename_button.clicked.connect(corrections.rename_shown_person)
        self.faces_pane.birthday_button.clicked.connect(corrections.set_birthday_of_shown_person)
        self.people_pane.empty_button.clicked.connect(self.add_folder)
        self.drop_bar.new_person.dropped.connect(corrections.make_new_person)
        self.drop_bar.not_this_person.dropped.connect(lambda ids: self.client.call(NotThisPerson(tuple(ids))))
        self.drop_bar.not_a_face.dropped.connect(lambda ids: self.client.call(NotAFace(tuple(ids))))
        self.sidebar.scopeChosen.connect(self._choose_scope)
        self.sidebar.rescanFolder.connect(lambda folder: self.client.call(Index((folder,))))
        self.sidebar.removeFolder.connect(self._remove_folder)
        self.sidebar.excludeSubfolder.connect(self._exclude_subfolder)
        self.sidebar.includeAgain.connect(lambda folder: self.client.call(ExcludeFolder(folder, excluded=False)))
        self.search.textChanged.connect(lambda _: self.browser.show_people())
        self.status.linkActivated.connect(self._follow_status_link)
        self.status.cancelClicked.connect(self.cancel_job)
        self.damaged.repairClicked.connect(self.repair)

    # -- library events ---------------------------------------------------------------

    def _on_opened(self, info: LibraryInfo) -> None:
        self.info = info
        self._restarts = 0
        if old := take_old_grouping_settings():
            self.client.call(ChangeSettings(**old))
        self.thumbnails.set_folder(info.thumbnails)
        self.sidebar.excluded = info.excluded
        self.photos.set_folder(info.thumbnails)
        self._set_folders(info.folders)
        self.client.call(WatchFolders(self.settings.watch_folders))
        self.setWindowTitle(f"faceorganizer — {info.folder}")
        if self.initial_folders:
            self.client.call(AddFolders(tuple(self.initial_folders)))
            self.initial_folders = []
        if self.interactive and self.migration_offer is None and migration.worth_offering(info):
            self.migration_offer = migration.offer(self, info, self.client.call)

    def _on_open_failed(self, message: str, damaged: bool) -> None:
        if damaged:  # shown instead of the library, with the command and a button that repairs it
            self.damaged.show_damage(message)
            self.splitter.hide()
            return
        self.failed = True
        if self.interactive:
            QMessageBox.critical(self, "faceorganizer", message)
        else:
            print(f"faceorganizer: {message}", file=sys.stderr)
        self.close()

    def _on_failed(self, failure: Failure) -> None:
        self.corrections.new_person_asked = False
        if failure.kind == UNEXPECTED:
            self.errors.show(str(failure), failure.details)
        self.status.say(f"⚠ {failure}", CONTINUE if failure.kind == DISK_FULL else None)

    def _on_service_died(self, message: str) -> None:
        """Say what happened and start the service again on the same library:
        every correction made is in the library already."""
        self._restarts += 1
        self.job_running = False
        self.status.show_progress(None)
        self._update_center()
        if self._restarts > _RESTARTS:
            self.status.say(f"⚠ {message} It stopped again each time it was started: close the window and try again.")
            return
        self.status.say(f"⚠ {message} It was started again; your corrections are kept.")
        self.client.restart()
        self.people_loaded = False  # the first list asks again to finish what the job left
        self.client.call(Open(*self.library))

    def _set_folders(self, folders: list[str]) -> None:
        self.sidebar.set_folders(folders)
        if self.info:
            self.info.folders = list(folders)
        self._update_center()

    def sidebar_folders(self) -> list[str]:
        return self.sidebar.folders()

    def _on_people(self, people: list[Person], unassigned: int) -> None:
        first = not self.people_loaded
        self.browser.take_people(people, unassigned)
        self.people_loaded = True
        self._update_center()
        if not self.job_running and not self.status_message.text():
            self.status.say(self.browser.summary())
        if first:
            # After the first faces are asked for: finish what a run cut short left.
            self.client.call(Index(resume=True))
        self.peopleShown.emit()
        _settle_heap()
        if not self.people_model.rowCount() and not self.job_running:
            self.ready.emit()

    def _update_center(self) -> None:
        lists = self.browser.people or self.browser.unassigned_count or (self.info and self.info.folders)
        empty = not (lists or self.job_running)
        reviewing = self.review_pane.isVisibleTo(self)
        self.people_pane.show_empty(empty)
        self.people_pane.setVisible(not reviewing)
        self.faces_pane.setVisible(not (empty or reviewing))

    def _choose_scope(self, scope) -> None:
        """A sidebar entry: people or faces in the middle and on the right, or the review questions."""
        self._show_review(scope == REVIEW)
        if scope == REVIEW:
            self.client.call(ListQuestions())
            self.review_pane.setFocus()
        else:
            self.browser.set_scope(scope)

    def _show_review(self, shown: bool) -> None:
        """The review pane in the place of the people and faces panes, or those back as they were."""
        if shown == self.review_pane.isVisibleTo(self):
            return
        sizes = self.splitter.sizes()
        if shown:
            self._browse_sizes = sizes
        self.review_pane.setVisible(shown)
        self._update_center()
        self.splitter.setSizes([sizes[0], 0, 0, sum(sizes[1:])] if shown else self._browse_sizes)

    def _on_questions(self, questions: list, open_count: int | None) -> None:
        if open_count is not None:
            self.sidebar.set_counts({REVIEW: open_count})
        self.review_pane.set_questions(questions, open_count)

    def _on_faces(self, key, faces: list) -> None:
        if self.browser.take_faces(key, faces):
            _settle_heap()
            if not self.job_running:
                self.ready.emit()

    def _on_changed(self, changed: Changed) -> None:
        change = changed.change
        self.browser.follow = change.result if isinstance(change.result, int) else None
        if changed.cause == CORRECTED:
            self.status.say(changed.description, UNDO)
            if self.corrections.new_person_asked:
                self.browser.to_name = change.result
        elif changed.cause == UNDONE:
            self.status.say(f"Undone: {changed.description}", REDO)
        elif changed.cause == REDONE:
            self.status.say(f"Redone: {changed.description}", UNDO)
        if changed.cause != REGROUPED:
            self.corrections_seen += 1
        self.corrections.new_person_asked = False
        if self.browser.current_key == UNASSIGNED or self.browser.current_key in change.cluster_ids:
            self.browser.refresh_faces()
        self.browser.update_photo()

    def _on_history(self, undo: str | None, redo: str | None) -> None:
        """The Edit menu says what Undo and Redo would do."""
        for action, text, plain in ((self.undo_action, undo, "Undo"), (self.redo_action, redo, "Redo")):
            action.setText(text or plain)
            action.setEnabled(text is not None)

    def undo(self) -> None:
        self.client.call(Undo())

    def redo(self) -> None:
        self.client.call(Redo())

    def _on_progress(self, progress: Progress) -> None:
        self.job_running = True
        self.status.show_progress(progress)
        self._update_center()

    def _on_job_finished(self, job: str, summary: str) -> None:
        self.job_running = False
        if job == Repair.job:
            self.damaged.repair_ended(repaired=bool(summary))
            self.splitter.setVisible(bool(summary))
        self.status.show_progress(None)
        self.browser.update_placeholder()
        if not summary:
            pass  # nothing was left to index, or it failed (the failure says why)
        elif job == "index" and self.unreadable:
            self.status.say(summary, UNREADABLE)
        elif job == "sidecars" and self.not_written:
            self.status.say(summary, NOT_WRITTEN)
        else:
            self.status.say(summary)
        self._update_center()
        self.browser.refresh_faces()
        if not self.browser.faces_loaded and not self.browser.people:
            self.ready.emit()

    def _follow_status_link(self, link: str) -> None:
        if link == UNDO:
            self.undo()
        elif link == REDO:
            self.redo()
        elif link == UNREADABLE:
            self.show_unreadable()
        elif link == NOT_WRITTEN:
            self.show_unreadable(self.not_written, title="Sidecars that could not be written",
                                 intro="These photos have no sidecar with their names; the others do.")
        elif link == CONTINUE:
            self.client.call(self.client.failed_command or Index())

    def _on_unreadable(self, problems: list[tuple[str, str]]) -> None:
        self.unreadable = problems

    def _on_not_written(self, problems: list[tuple[str, str]]) -> None:
        self.not_written = problems

    def show_unreadable(self, problems: list[tuple[str, str]] | None = None, **texts: str) -> None:
        """List what the last indexing could not read (or other `problems`), and why."""
        if self.unreadable_dialog is not None:
            self.unreadable_dialog.close()
        self.unreadable_dialog = UnreadableDialog(self.unreadable if problems is None else problems, self, **texts)
        self.unreadable_dialog.show()

    # -- user actions -------------------------------------------------------------------

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if folder:
            self.client.call(AddFolders((folder,)))

    def rescan(self) -> None:
        self.client.call(Index())

    def repair(self) -> None:
        """Repair the damaged library in the service (as `faceorganizer check --repair`)."""
        self.damaged.repairing()
        self.client.call(Repair(self.library[0]))

    def recluster(self) -> None:
        self.client.call(Recluster())

    def write_sidecars(self) -> None:
        self.client.call(WriteSidecars())

    def find_small_faces(self) -> None:
        self.client.call(FindSmallFaces())

    def cancel_job(self) -> None:
        self.client.cancel()
        self.status.progress_label.setText("Stopping…")

    def _remove_folder(self, folder: str) -> None:
        answer = QMessageBox.question(
            self, "Remove folder",
            f"Remove {folder} from the library?\n\nThe faces found in its photos, and your corrections of "
            "them, are forgotten. The photos themselves are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.client.call(RemoveFolder(folder))

    def _exclude_subfolder(self, folder: str) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Exclude a subfolder from indexing", folder)
        if not chosen:
            return
        chosen = str(Path(chosen).resolve())
        if Path(folder) not in Path(chosen).parents:
            self.status.say(f"⚠ {chosen} is not a subfolder of {folder}: nothing was excluded.")
            return
        self.client.call(ExcludeFolder(chosen))

    def open_settings(self) -> None:
        shown = AppSettings(*self.library)
        dialog = SettingsDialog(self.settings, shown, self.info.settings if self.info else None, self,
                                sidecars=self.info.sidecars if self.info else None)
        if not dialog.exec():
            return
        if changes := dialog.grouping_changes():
            self.client.call(ChangeSettings(**changes))
        if changes := dialog.sidecar_changes():
            self.client.call(ChangeSidecarSettings(**changes))
        chosen = dialog.window_settings()
        if chosen == self.settings:
            return
        if chosen.watch_folders != self.settings.watch_folders:
            self.client.call(WatchFolders(chosen.watch_folders))
        self.settings = chosen
        self.settings.save()
        if (chosen.library_dir, chosen.qdrant_url) != self.library:
            self.library = (chosen.library_dir, chosen.qdrant_url)
            self.people_loaded = False
            self.people_model.set_items([])
            self.people_model.set_items([])
            self.faces_model.set_items([])
            self.browser.current_key = None
            self.client.call(Open(*self.library))

    def _on_settings(self, settings: GroupingSettings) -> None:
        if self.info is not None:
            self.info.settings = settings

    def _on_sidecar_settings(self, settings: SidecarSettings) -> None:
        if self.info is not None:
            self.info.sidecars = settings

    # -- window -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self._show_review(False)  # the panes' widths as the user left them, not the review's
        geometry.save(self, self.splitter)
        self.browser.close_photo()
        self.client.shutdown()
        self.thumbnails.wait()
        self.photos.wait()
        super().closeEvent(event)


def _settle_heap() -> None:
    """Keep the data just shown out of Python's cyclic garbage collector.

    A full collection scans every tracked object; with 10,000 faces listed it
    paused the window for 100-140 ms. Frozen objects are still freed by
    reference counting when dropped; only cycles made before a freeze are
    never collected, and the window makes few."""
    gc.freeze()
