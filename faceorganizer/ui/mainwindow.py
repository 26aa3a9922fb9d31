"""The main window: folders and lists on the left, the people grid in the
middle, the selected person's faces on the right (or, in their place, the
review questions), progress at the bottom (faceorganizer.ui.panes), its
actions in one registry (ui.actions). What it shows follows the library
service's events (ui.library_events) and its jobs (ui.jobs); what the panes
list is ui.browser's, the corrections ui.corrections'.

The window never touches the library itself: it sends commands to the
library service (LibraryClient.call) and updates its models from the events
that come back. Undo and Redo walk the library's corrections log, so they
agree with `faceorganizer undo` and survive a restart.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from faceorganizer.protocol import (
    AddFolders,
    Answer,
    ChangeSettings,
    ChangeSidecarSettings,
    ExcludeFolder,
    FindSmallFaces,
    Index,
    LibraryInfo,
    ListQuestions,
    NotAFace,
    NotThisPerson,
    Open,
    Recluster,
    Redo,
    SwitchModels,
    Undo,
    WatchFolders,
    WriteSidecars,
)
from faceorganizer.ui import geometry, resources
from faceorganizer.ui.actions import Actions
from faceorganizer.ui.browser import Browser
from faceorganizer.ui.corrections import Corrections
from faceorganizer.ui.faults import ErrorReporter
from faceorganizer.ui.jobs import Jobs
from faceorganizer.ui.library_events import LibraryEvents
from faceorganizer.ui.models import FacesModel, PeopleModel
from faceorganizer.ui.panes.damaged import DamagedPane
from faceorganizer.ui.panes.faces import FacesPane
from faceorganizer.ui.panes.people import PeoplePane
from faceorganizer.ui.panes.review import ReviewPane
from faceorganizer.ui.panes.sidebar import REVIEW, Sidebar
from faceorganizer.ui.panes.status import StatusArea
from faceorganizer.ui.photos import PhotosBrowser
from faceorganizer.ui.problems import UnreadableDialog
from faceorganizer.ui.settings import AppSettings, SettingsDialog, load_settings
from faceorganizer.ui.thumbnails import ThumbnailLoader
from faceorganizer.ui.worker import LibraryClient


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
        self.unreadable_dialog: UnreadableDialog | None = None
        self.migration_offer: QMessageBox | None = None  # asked once a run
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
        self.events = LibraryEvents(self)
        self.jobs = Jobs(self)
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
        worker.photoReady.connect(self.browser.show_photo)
        worker.photosReady.connect(self.photos.take_photos)
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
        self.sidebar.includeAgain.connect(lambda folder: self.client.call(ExcludeFolder(folder, excluded=False)))
        self.search.textChanged.connect(lambda _: self.browser.show_people())

    def sidebar_folders(self) -> list[str]:
        return self.sidebar.folders()

    def update_center(self) -> None:
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
        self.update_center()
        self.splitter.setSizes([sizes[0], 0, 0, sum(sizes[1:])] if shown else self._browse_sizes)

    # -- user actions -------------------------------------------------------------------

    def undo(self) -> None:
        self.client.call(Undo())

    def redo(self) -> None:
        self.client.call(Redo())

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if folder:
            self.client.call(AddFolders((folder,)))

    def rescan(self) -> None:
        self.client.call(Index())

    def recluster(self) -> None:
        self.client.call(Recluster())

    def write_sidecars(self) -> None:
        self.client.call(WriteSidecars())

    def find_small_faces(self) -> None:
        self.client.call(FindSmallFaces())

    def open_settings(self) -> None:
        shown = AppSettings(*self.library)
        dialog = SettingsDialog(self.settings, shown, self.info.settings if self.info else None, self,
                                sidecars=self.info.sidecars if self.info else None,
                                models=self.info.models if self.info else "")
        if not dialog.exec():
            return
        if folder := dialog.models_folder():
            self.client.call(SwitchModels(folder))
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

    # -- window -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self._show_review(False)  # the panes' widths as the user left them, not the review's
        geometry.save(self, self.splitter)
        self.browser.close_photo()
        self.client.shutdown()
        self.thumbnails.wait()
        self.photos.wait()
        super().closeEvent(event)

