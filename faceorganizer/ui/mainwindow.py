"""The main window: folders and lists on the left, the people grid in the
middle, the selected person's faces on the right, progress at the bottom
(faceorganizer.ui.panes), its actions in one registry (ui.actions).

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

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMainWindow, QMessageBox, QSplitter

from faceorganizer.config import GroupingSettings
from faceorganizer.humanize import count
from faceorganizer.people import Person
from faceorganizer.protocol import (
    CORRECTED,
    REDONE,
    REGROUPED,
    UNASSIGNED,
    UNDONE,
    AddFolders,
    Changed,
    ChangeSettings,
    Failure,
    Index,
    LibraryInfo,
    ListFaces,
    NotAFace,
    NotThisPerson,
    Open,
    PhotoInfo,
    Progress,
    Recluster,
    Redo,
    RemoveFolder,
    ShowPhoto,
    Undo,
)
from faceorganizer.ui import geometry, resources
from faceorganizer.ui.actions import Actions
from faceorganizer.ui.corrections import Corrections
from faceorganizer.ui.models import FacesModel, PeopleModel
from faceorganizer.ui.panes.faces import FacesPane
from faceorganizer.ui.panes.people import PeoplePane, neighbours, placeholder
from faceorganizer.ui.panes.sidebar import ALL, HIDDEN, NAMED, Sidebar
from faceorganizer.ui.panes.status import REDO, UNDO, UNREADABLE, StatusArea
from faceorganizer.ui.problems import UnreadableDialog
from faceorganizer.ui.settings import AppSettings, SettingsDialog, load_settings, take_old_grouping_settings
from faceorganizer.ui.thumbnails import ThumbnailLoader
from faceorganizer.ui.viewer import PhotoViewer
from faceorganizer.ui.worker import LibraryClient

#: While indexing, the faces pane takes new faces of its person at once up
#: to this many faces, and bigger lists at most this often (s).
_FACES_SENT_AT_ONCE = 1_000
_FACES_REFRESH_INTERVAL = 5.0

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
        self.people: list[Person] = []
        self.unassigned_count = 0
        self.scope = ALL
        self.current_key = None  # the person (or UNASSIGNED) in the faces pane
        self.job_running = False
        self.people_loaded = False
        self.faces_loaded = False
        self.viewer: PhotoViewer | None = None
        self._faces_refreshed = 0.0
        self._follow = None  # the person a change led to (a merge's result)
        self.corrections_seen = 0  # corrections, undos and redos the service reported
        self._restarts = 0  # of the service since the library last opened
        self._filling = False  # the people grid is taking a new list
        self._to_name = None  # a new person made of faces, to be named once shown
        self.unassigned_chosen = False  # by the user (not shown for want of people)
        self.unreadable: list[tuple[str, str]] = []  # (path, reason) from the last indexing
        self.unreadable_dialog: UnreadableDialog | None = None

        self.setWindowTitle("faceorganizer")
        self.setWindowIcon(resources.app_icon())
        self.thumbnails = ThumbnailLoader(parent=self)
        self.people_model = PeopleModel(self.thumbnails, self)
        self.faces_model = FacesModel(self.thumbnails, self)
        self.corrections = Corrections(self)
        self.actions = Actions(self)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Find a person…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find a person")
        self.actions.add_toolbar(self.search)
        self._build_panes()
        self.actions.add_menus()
        self._connect()
        geometry.restore(self, self.splitter, {"window/people_zoom": self.people_view,
                                               "window/faces_zoom": self.faces_view})
        self.client.call(Open(*self.library))

    def _build_panes(self) -> None:
        self.sidebar = Sidebar(self.actions.add_folder)
        self.people_pane = PeoplePane(self.people_model, self.actions.on_people)
        self.faces_pane = FacesPane(self.faces_model, self.actions.on_faces)
        self.status = StatusArea(self.statusBar())
        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        for pane in (self.sidebar, self.people_pane, self.faces_pane):
            self.splitter.addWidget(pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([220, 640, 440])
        self.setCentralWidget(self.splitter)
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
        worker.photoReady.connect(self._on_photo)
        worker.foldersChanged.connect(self._set_folders)
        worker.unreadable.connect(self._on_unreadable)
        corrections = self.corrections
        self.people_model.mergeRequested.connect(corrections.merge_into)
        self.people_model.moveRequested.connect(corrections.move_faces)
        self.people_model.renameRequested.connect(corrections.rename)
        self.people_view.selectionModel().currentChanged.connect(self._on_person_chosen)
        self.people_view.customContextMenuRequested.connect(corrections.people_menu)
        self.faces_view.customContextMenuRequested.connect(corrections.faces_menu)
        self.faces_view.doubleClicked.connect(lambda index: self.open_face(self.faces_model.item(index.row()).face_id))
        self.faces_pane.rename_button.clicked.connect(corrections.rename_shown_person)
        self.people_pane.empty_button.clicked.connect(self.add_folder)
        self.drop_bar.new_person.dropped.connect(corrections.make_new_person)
        self.drop_bar.not_this_person.dropped.connect(lambda ids: self.client.call(NotThisPerson(tuple(ids))))
        self.drop_bar.not_a_face.dropped.connect(lambda ids: self.client.call(NotAFace(tuple(ids))))
        self.sidebar.scopeChosen.connect(self.set_scope)
        self.sidebar.rescanFolder.connect(lambda folder: self.client.call(Index((folder,))))
        self.sidebar.removeFolder.connect(self._remove_folder)
        self.search.textChanged.connect(lambda _: self._show_people())
        self.status.linkActivated.connect(self._follow_status_link)
        self.status.cancelClicked.connect(self.cancel_job)

    # -- library events ---------------------------------------------------------------

    def _on_opened(self, info: LibraryInfo) -> None:
        self.info = info
        self._restarts = 0
        if old := take_old_grouping_settings():
            self.client.call(ChangeSettings(**old))
        self.thumbnails.set_folder(info.thumbnails)
        self._set_folders(info.folders)
        self.setWindowTitle(f"faceorganizer — {info.folder}")
        if self.initial_folders:
            self.client.call(AddFolders(tuple(self.initial_folders)))
            self.initial_folders = []

    def _on_open_failed(self, message: str) -> None:
        self.failed = True
        if self.interactive:
            QMessageBox.critical(self, "faceorganizer", message)
        else:
            print(f"faceorganizer: {message}", file=sys.stderr)
        self.close()

    def _on_failed(self, failure: Failure) -> None:
        self.corrections.new_person_asked = False
        self.status.say(f"⚠ {failure}")

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
        self.people = people
        self.unassigned_count = unassigned
        self.people_view.delegate.names = [p.name for p in people if p.name]
        self.sidebar.set_counts({
            ALL: sum(1 for p in people if not p.hidden),
            NAMED: sum(1 for p in people if p.name and not p.hidden),
            HIDDEN: sum(1 for p in people if p.hidden),
            UNASSIGNED: unassigned,
        })
        self._show_people(follow=self._follow)
        self._follow = None
        if self._to_name is not None:
            self._name_new_person(self._to_name)
            self._to_name = None
        self.people_loaded = True
        self._update_center()
        if not self.job_running and not self.status_message.text():
            self.status.say(self._summary())
        self.people_view.set_placeholder(self._people_placeholder())
        if self.current_key is None and not self.people and unassigned:
            self.show_faces(UNASSIGNED)  # while there is no one else to show
        elif self.current_key is not None:
            self._update_faces_header()
            # The faces pane follows new faces of its person; while indexing, a
            # big list every few seconds: 10,000 faces are not free to send.
            faces = self._count_of(self.current_key)
            if faces != self.faces_model.rowCount() and (
                not self.job_running or faces <= _FACES_SENT_AT_ONCE
                or time.monotonic() - self._faces_refreshed >= _FACES_REFRESH_INTERVAL
            ):
                self._refresh_faces()
        if first:
            # After the first faces are asked for: finish what a run cut short left.
            self.client.call(Index(resume=True))
        self.peopleShown.emit()
        _settle_heap()
        if not self.people_model.rowCount() and not self.job_running:
            self.ready.emit()

    def _people_placeholder(self) -> str:
        if self.people_model.rowCount():
            return ""
        return placeholder(self.scope, bool(self.search.text().strip()), self.job_running, self.unassigned_count)

    def _count_of(self, key) -> int:
        if key == UNASSIGNED:
            return self.unassigned_count
        return next((p.face_count for p in self.people if p.cluster_id == key), 0)

    def _summary(self) -> str:
        faces = sum(p.face_count for p in self.people) + self.unassigned_count
        if not faces:
            return ""
        return (f"{faces:,} faces · {len(self.people):,} people · {self.unassigned_count:,} unassigned"
                " · stored on this computer")

    def _show_people(self, follow: int | None = None) -> None:
        """Fill the grid with the people of the scope that match the search.

        The person shown on the right stays if still in the grid. If not, the
        grid shows `follow` (where a change led: a merge's result), else the
        next person (after a change; the one before it at the end), else the
        first (after a search or a change of scope), else no one."""
        text = self.search.text().strip().casefold()
        if self.scope == HIDDEN:
            shown = [p for p in self.people if p.hidden]
        elif self.scope == NAMED:
            shown = [p for p in self.people if p.name and not p.hidden]
        else:
            shown = [p for p in self.people if not p.hidden]
        if text:
            shown = [p for p in shown if p.name and text in p.name.casefold()]
        before = [p.cluster_id for p in self.people_model.items()]
        self._filling = True  # (the view's current row moves as rows go: no choice of the user's)
        try:
            self.people_model.set_items(shown)
        finally:
            self._filling = False
        title = {ALL: "People", NAMED: "Named people", HIDDEN: "Hidden people"}.get(self.scope, "People")
        self.people_pane.title.setText(f"{title}  ({len(shown):,})")
        if self.people_model.row_of(self.current_key) >= 0 or (
                self.current_key == UNASSIGNED and (self.unassigned_chosen or not self.people_model.rowCount())):
            return
        in_grid = [key for key in (follow, *neighbours(before, self.current_key))
                   if self.people_model.row_of(key) >= 0]
        if in_grid:
            self._select_person(in_grid[0])
        elif self.people_model.rowCount():
            self._select_person(self.people_model.item(0).cluster_id)
        else:
            self.show_faces(None)

    def _select_person(self, key: int) -> None:
        index = self.people_model.index(self.people_model.row_of(key))
        self.people_view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.people_view.scrollTo(index)
        self.show_faces(key)

    def _name_new_person(self, key: int) -> None:
        """Show a person just made from faces, and ask for its name."""
        if self.people_model.row_of(key) < 0:
            self.search.clear()
            self.set_scope(ALL)
        if self.people_model.row_of(key) >= 0:
            self._select_person(key)
            self.corrections.edit_name(self.people_model.index(self.people_model.row_of(key)))

    def _update_center(self) -> None:
        empty = not self.people and not self.unassigned_count and not (self.info and self.info.folders)
        empty = empty and not self.job_running
        self.people_pane.show_empty(empty)
        self.faces_pane.setVisible(not empty)

    def _on_person_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and not self._filling:
            self.unassigned_chosen = False
            self.show_faces(self.people_model.item(current.row()).cluster_id)

    def show_faces(self, key) -> None:
        """Show the faces of a person (or the unassigned faces, or none) on the right."""
        if key == self.current_key:
            return
        self.faces_model.set_items([])
        self.current_key = key
        self.faces_model.key = key
        self._update_faces_header()
        self._refresh_faces()

    def _refresh_faces(self) -> None:
        if self.current_key is not None:
            self._faces_refreshed = time.monotonic()
            self.client.call(ListFaces(self.current_key))

    def _on_faces(self, key, faces: list) -> None:
        if key != self.current_key:
            return
        self.faces_model.set_items(faces)
        _settle_heap()
        self.faces_loaded = True
        self._update_faces_header()
        if not self.job_running:
            self.ready.emit()

    def _update_faces_header(self) -> None:
        key = self.current_key
        faces = count(self._count_of(key), "face")  # what the sidebar and the tile say, while the list follows
        if key is None:
            self.faces_pane.set_header("", "", renamable=False)
        elif key == UNASSIGNED:
            self.faces_pane.set_header("Unassigned faces", faces, renamable=False)
        else:
            person = next((p for p in self.people if p.cluster_id == key), None)
            name = person.name if person and person.name else "Unnamed person"
            self.faces_pane.set_header(name, f"{faces} · least sure first", renamable=True)

    def _on_changed(self, changed: Changed) -> None:
        change = changed.change
        self._follow = change.result if isinstance(change.result, int) else None
        if changed.cause == CORRECTED:
            self.status.say(changed.description, UNDO)
            if self.corrections.new_person_asked:
                self._to_name = change.result
        elif changed.cause == UNDONE:
            self.status.say(f"Undone: {changed.description}", REDO)
        elif changed.cause == REDONE:
            self.status.say(f"Redone: {changed.description}", UNDO)
        if changed.cause != REGROUPED:
            self.corrections_seen += 1
        self.corrections.new_person_asked = False
        if self.current_key == UNASSIGNED or self.current_key in change.cluster_ids:
            self._refresh_faces()
        if self.viewer is not None and self.viewer.isVisible():
            self.client.call(ShowPhoto(self.viewer.info.face_id, self.viewer.key))

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
        self.status.show_progress(None)
        self.people_view.set_placeholder(self._people_placeholder())
        if not summary:
            pass  # nothing was left to index, or it failed (the failure says why)
        elif job == "index" and self.unreadable:
            self.status.say(summary, UNREADABLE)
        else:
            self.status.say(summary)
        self._update_center()
        self._refresh_faces()
        if not self.faces_loaded and not self.people:
            self.ready.emit()

    def _follow_status_link(self, link: str) -> None:
        if link == UNDO:
            self.undo()
        elif link == REDO:
            self.redo()
        elif link == UNREADABLE:
            self.show_unreadable()

    def _on_unreadable(self, problems: list[tuple[str, str]]) -> None:
        self.unreadable = problems

    def show_unreadable(self) -> None:
        """List what the last indexing could not read, and why."""
        if self.unreadable_dialog is not None:
            self.unreadable_dialog.close()
        self.unreadable_dialog = UnreadableDialog(self.unreadable, self)
        self.unreadable_dialog.show()

    # -- user actions -------------------------------------------------------------------

    def select_all(self) -> None:
        view = self.faces_view if self.faces_view.hasFocus() else self.people_view
        view.selectAll()

    def open_current_face(self) -> None:
        index = self.faces_view.currentIndex()
        if index.isValid():
            self.open_face(self.faces_model.item(index.row()).face_id)

    def open_face(self, face_id: str) -> None:
        self.client.call(ShowPhoto(face_id, self.current_key))

    def _on_photo(self, info: PhotoInfo) -> None:
        if self.viewer is None:
            self.viewer = PhotoViewer(self)
            self.viewer.navigate.connect(lambda face_id: self.client.call(ShowPhoto(face_id, self.viewer.key)))
            self.viewer.faceClicked.connect(self._select_face)
        self.viewer.show_photo(info, self.current_key)

    def _select_face(self, face_id: str) -> None:
        row = self.faces_model.row_of(face_id)
        if row >= 0:
            index = self.faces_model.index(row)
            self.faces_view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.faces_view.scrollTo(index)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if folder:
            self.client.call(AddFolders((folder,)))

    def rescan(self) -> None:
        self.client.call(Index())

    def recluster(self) -> None:
        self.client.call(Recluster())

    def cancel_job(self) -> None:
        self.client.cancel()
        self.status.progress_label.setText("Stopping…")

    def set_scope(self, scope) -> None:
        self.unassigned_chosen = scope == UNASSIGNED
        if scope == UNASSIGNED:
            self.people_view.clearSelection()
            self.people_view.selectionModel().clearCurrentIndex()  # a click on any tile goes back to it
            self.show_faces(UNASSIGNED)
            return
        self.scope = scope
        self._show_people()
        self.people_view.set_placeholder(self._people_placeholder())
        self.sidebar.choose(scope)

    def show_hidden_people(self) -> None:
        self.set_scope(HIDDEN)

    def _remove_folder(self, folder: str) -> None:
        answer = QMessageBox.question(
            self, "Remove folder",
            f"Remove {folder} from the library?\n\nThe faces found in its photos, and your corrections of "
            "them, are forgotten. The photos themselves are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.client.call(RemoveFolder(folder))

    def open_settings(self) -> None:
        shown = AppSettings(*self.library)
        dialog = SettingsDialog(self.settings, shown, self.info.settings if self.info else None, self)
        if not dialog.exec():
            return
        if changes := dialog.grouping_changes():
            self.client.call(ChangeSettings(**changes))
        chosen = dialog.window_settings()
        if chosen == self.settings:
            return
        self.settings = chosen
        self.settings.save()
        if (chosen.library_dir, chosen.qdrant_url) != self.library:
            self.library = (chosen.library_dir, chosen.qdrant_url)
            self.people_loaded = False
            self.people_model.set_items([])
            self.faces_model.set_items([])
            self.current_key = None
            self.client.call(Open(*self.library))

    def _on_settings(self, settings: GroupingSettings) -> None:
        if self.info is not None:
            self.info.settings = settings

    # -- window -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        geometry.save(self, self.splitter)
        if self.viewer is not None:
            self.viewer.close()
        self.client.shutdown()
        self.thumbnails.wait()
        super().closeEvent(event)


def _settle_heap() -> None:
    """Keep the data just shown out of Python's cyclic garbage collector.

    A full collection scans every tracked object; with 10,000 faces listed it
    paused the window for 100-140 ms. Frozen objects are still freed by
    reference counting when dropped; only cycles made before a freeze are
    never collected, and the window makes few."""
    gc.freeze()
