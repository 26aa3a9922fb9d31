"""The main window: folders and lists on the left, the people grid in the
middle, the selected person's faces on the right, progress at the bottom.

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

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QRect, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faceorganizer.config import GroupingSettings
from faceorganizer.humanize import count, duration
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
    Hide,
    Index,
    LibraryInfo,
    ListFaces,
    Merge,
    MoveFaces,
    NotAFace,
    NotThisPerson,
    Open,
    PhotoInfo,
    Progress,
    Recluster,
    Redo,
    RemoveFolder,
    Rename,
    ShowPhoto,
    Undo,
)
from faceorganizer.ui import resources
from faceorganizer.ui.models import FacesModel, PeopleModel
from faceorganizer.ui.problems import UnreadableDialog
from faceorganizer.ui.settings import AppSettings, SettingsDialog, load_settings, take_old_grouping_settings
from faceorganizer.ui.thumbnails import ThumbnailLoader
from faceorganizer.ui.viewer import PhotoViewer
from faceorganizer.ui.views import DropBar, ElidedLabel, GridView
from faceorganizer.ui.worker import LibraryClient

#: The window's size at its first start, if the screen has room.
_DEFAULT_SIZE = QSize(1360, 860)

#: Room for the window frame (title bar, borders) before the window is shown.
_FRAME_ALLOWANCE = QSize(16, 48)

#: While indexing, the faces pane takes new faces of its person at once up
#: to this many faces, and bigger lists at most this often (s).
_FACES_SENT_AT_ONCE = 1_000
_FACES_REFRESH_INTERVAL = 5.0

#: A service that stops this many times in a row before the library opens is not started again.
_RESTARTS = 3

#: Sidebar entries that choose what the people grid shows.
ALL, NAMED, HIDDEN = "all", "named", "hidden"

#: Links after a status bar message, and their text.
UNDO, REDO, UNREADABLE = "undo", "redo", "unreadable"
_LINK_TEXTS = {UNDO: "Undo", REDO: "Redo", UNREADABLE: "Show them"}


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
        self._new_person_asked = False  # the next change makes a new person, to be named
        self._to_name = None  # that new person
        self.unassigned_chosen = False  # by the user (not shown for want of people)
        self.unreadable: list[tuple[str, str]] = []  # (path, reason) from the last indexing
        self.unreadable_dialog: UnreadableDialog | None = None

        self.setWindowTitle("faceorganizer")
        self.setWindowIcon(resources.app_icon())
        self.thumbnails = ThumbnailLoader(parent=self)
        self.people_model = PeopleModel(self.thumbnails, self)
        self.faces_model = FacesModel(self.thumbnails, self)

        self._build_actions()
        self._build_toolbar()
        self._build_central()
        self._build_menus()
        self._build_status()
        self._connect()
        self._restore_layout()
        self.client.call(Open(*self.library))

    # -- building -------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut=None, icon: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(resources.icon(icon, self.palette()))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.add_folder_action = self._action("Add folder…", self.add_folder, QKeySequence.StandardKey.Open,
                                              "add-folder", "Add a folder of photos to the library")
        self.rescan_action = self._action("Rescan", self.rescan, QKeySequence.StandardKey.Refresh, "rescan",
                                          "Look for new, changed and deleted photos in the library's folders")
        self.recluster_action = self._action("Re-cluster", self.recluster, "Ctrl+R", "recluster",
                                             "Group all faces into people again (your corrections are kept)")
        self.undo_action = self._action("Undo", self.undo, QKeySequence.StandardKey.Undo, "undo")
        self.redo_action = self._action("Redo", self.redo, None, "redo")
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)
        for action in (self.undo_action, self.redo_action):
            action.setIconText(action.text())  # the toolbar's text; the menu says what
            action.setEnabled(False)
        self.settings_action = self._action("Settings…", self.open_settings, QKeySequence.StandardKey.Preferences,
                                            "settings", "Similarity threshold, face sizes, library location")
        self.quit_action = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)
        self.rename_action = self._action("Rename", self.rename_current, "F2")
        self.merge_action = self._action("Merge selected people", self.merge_selected, "Ctrl+M")
        self.hide_action = self._action("Hide or show selected people", self.toggle_hidden, "H")
        self.new_person_action = self._action("Make a new person", self.faces_to_new_person, "Ctrl+N")
        self.not_person_action = self._action("Not this person", self.faces_not_this_person,
                                              QKeySequence.StandardKey.Delete)
        self.not_face_action = self._action("Not a face", self.faces_not_a_face, "Shift+Del")
        self.open_photo_action = self._action("Open photo", self.open_current_face, "Return")
        self.select_all_action = self._action("Select all", self.select_all, QKeySequence.StandardKey.SelectAll)
        self.show_hidden_action = self._action("Show hidden people", lambda: self.set_scope(HIDDEN))
        # Shortcuts that act on one grid only live on that grid.
        for action in (self.not_person_action, self.not_face_action, self.new_person_action,
                       self.open_photo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for action in (self.rename_action, self.merge_action, self.hide_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.add_folder_action, self.rescan_action, self.recluster_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Find a person…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find a person")
        bar.addWidget(self.search)
        self.addToolBar(bar)

    def _build_central(self) -> None:
        # Sidebar.
        self.sidebar = QTreeWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setRootIsDecorated(False)
        self.sidebar.setIndentation(10)
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.setAccessibleName("Library")
        self.library_section = self._section("LIBRARY")
        self.people_section = self._section("PEOPLE")
        self.faces_section = self._section("FACES")
        self.scope_items = {
            ALL: self._entry(self.people_section, "All people", ALL, "person"),
            NAMED: self._entry(self.people_section, "Named", NAMED, "person"),
            HIDDEN: self._entry(self.people_section, "Hidden", HIDDEN, "hidden"),
            UNASSIGNED: self._entry(self.faces_section, "Unassigned faces", UNASSIGNED, "faces"),
        }
        self.sidebar.expandAll()

        # People grid, or the invitation of an empty library.
        self.people_view = GridView(112, with_text=True)
        self.people_view.setModel(self.people_model)
        self.people_view.setAccessibleName("People")
        self.people_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.people_view.addActions([self.rename_action, self.merge_action, self.hide_action])
        self.people_title = ElidedLabel("People")
        self.people_title.setObjectName("paneHeader")
        people_subtitle = ElidedLabel("Named first, then by number of faces")
        people_subtitle.setObjectName("paneSubtitle")
        people_page = QWidget()
        layout = QVBoxLayout(people_page)
        layout.setContentsMargins(12, 10, 4, 0)
        layout.addWidget(self.people_title)
        layout.addWidget(people_subtitle)
        layout.addWidget(self.people_view)

        empty = QWidget()
        layout = QVBoxLayout(empty)
        layout.addStretch(2)
        icon = QLabel()
        icon.setPixmap(resources.app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Find the people in your photos")
        title.setObjectName("emptyTitle")
        text = QLabel("Add a folder of photos: faceorganizer finds every face and groups them into people.\n"
                      "Everything stays on this computer: photos are never changed, uploaded or shared.")
        text.setObjectName("emptyText")
        self.empty_button = QPushButton("Add a folder of photos")
        self.empty_button.setObjectName("addFolderButton")
        self.empty_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.empty_button.clicked.connect(self.add_folder)
        for widget in (icon, title, text):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            widget.setWordWrap(True)
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addWidget(self.empty_button, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        self.center = QStackedWidget()
        self.center.addWidget(empty)
        self.center.addWidget(people_page)

        # Faces of the selected person, with the drop zones.
        self.faces_title = ElidedLabel("")
        self.faces_title.setObjectName("paneHeader")
        self.faces_subtitle = ElidedLabel("")
        self.faces_subtitle.setObjectName("paneSubtitle")
        self.rename_button = QToolButton()
        self.rename_button.setText("✎")
        self.rename_button.setToolTip("Name this person (F2)")
        self.rename_button.setAccessibleName("Rename")
        self.rename_button.clicked.connect(self.rename_shown_person)
        self.rename_button.hide()
        header = QHBoxLayout()
        header.addWidget(self.faces_title)
        header.addWidget(self.rename_button)
        header.addStretch(1)
        self.faces_view = GridView(88, with_text=False)
        self.faces_view.setModel(self.faces_model)
        self.faces_view.setAccessibleName("Faces")
        self.faces_view.setAcceptDrops(False)
        self.faces_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.faces_view.addActions([self.not_person_action, self.not_face_action, self.new_person_action,
                                    self.open_photo_action, self.rename_action])
        self.drop_bar = DropBar()
        self.drop_bar.hide()
        faces_page = self.faces_page = QWidget()
        layout = QVBoxLayout(faces_page)
        layout.setContentsMargins(12, 10, 8, 0)
        layout.addLayout(header)
        layout.addWidget(self.faces_subtitle)
        layout.addWidget(self.faces_view)
        layout.addWidget(self.drop_bar)

        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.center)
        self.splitter.addWidget(faces_page)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([220, 640, 440])
        self.setCentralWidget(self.splitter)

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.sidebar, [title])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = item.font(0)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setBold(True)
        item.setFont(0, font)
        item.setForeground(0, self.palette().placeholderText())
        return item

    def _entry(self, section: QTreeWidgetItem, text: str, key, icon: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(section, [text])
        item.setData(0, Qt.ItemDataRole.UserRole, key)
        item.setIcon(0, resources.icon(icon, self.palette()))
        return item

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        for action in (self.add_folder_action, self.rescan_action, self.recluster_action):
            file.addAction(action)
        file.addSeparator()
        file.addAction(self.settings_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        edit = menus.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        for action in (self.select_all_action, self.rename_action, self.merge_action, self.hide_action):
            edit.addAction(action)
        edit.addSeparator()
        for action in (self.new_person_action, self.not_person_action, self.not_face_action):
            edit.addAction(action)
        view = menus.addMenu("&View")
        view.addAction(self.show_hidden_action)
        view.addAction(self.open_photo_action)

    def _build_status(self) -> None:
        status = self.statusBar()
        self.status_message = ElidedLabel("")
        self.status_message.setObjectName("statusMessage")
        self.status_link = QLabel("")
        self.status_link.setObjectName("statusLink")
        self.status_link.linkActivated.connect(self._follow_status_link)
        self.status_link.hide()
        self.progress_label = ElidedLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("✕")
        self.cancel_button.setToolTip("Stop (what is done is kept)")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.clicked.connect(self.cancel_job)
        status.addWidget(self.status_message)
        status.addWidget(self.status_link)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        self._show_progress(False)

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
        self.people_model.mergeRequested.connect(self.merge_into)
        self.people_model.moveRequested.connect(self.move_faces)
        self.people_model.renameRequested.connect(self.rename)
        self.people_view.selectionModel().currentChanged.connect(self._on_person_chosen)
        self.people_view.customContextMenuRequested.connect(self._people_menu)
        self.faces_view.customContextMenuRequested.connect(self._faces_menu)
        self.faces_view.doubleClicked.connect(lambda index: self.open_face(self.faces_model.item(index.row()).face_id))
        self.faces_view.dragStarted.connect(self.drop_bar.show)
        self.faces_view.dragFinished.connect(self.drop_bar.hide)
        self.drop_bar.new_person.dropped.connect(self.make_new_person)
        self.drop_bar.not_this_person.dropped.connect(lambda ids: self.client.call(NotThisPerson(tuple(ids))))
        self.drop_bar.not_a_face.dropped.connect(lambda ids: self.client.call(NotAFace(tuple(ids))))
        self.sidebar.itemClicked.connect(self._on_sidebar)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.search.textChanged.connect(lambda _: self._show_people())

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
        self._new_person_asked = False
        self.say(f"⚠ {failure}")

    def _on_service_died(self, message: str) -> None:
        """Say what happened and start the service again on the same library:
        every correction made is in the library already."""
        self._restarts += 1
        self.job_running = False
        self._show_progress(False)
        self._update_center()
        if self._restarts > _RESTARTS:
            self.say(f"⚠ {message} It stopped again each time it was started: close the window and try again.")
            return
        self.say(f"⚠ {message} It was started again; your corrections are kept.")
        self.client.restart()
        self.people_loaded = False  # the first list asks again to finish what the job left
        self.client.call(Open(*self.library))

    def _set_folders(self, folders: list[str]) -> None:
        self.library_section.takeChildren()
        if not folders:
            hint = QTreeWidgetItem(self.library_section, ["No folders yet"])
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            hint.setForeground(0, self.palette().placeholderText())
        for folder in folders:
            item = QTreeWidgetItem(self.library_section, [Path(folder).name or folder])
            item.setToolTip(0, folder)
            item.setData(0, Qt.ItemDataRole.UserRole, ("folder", folder))
            item.setIcon(0, resources.icon("folder", self.palette()))
        if self.info:
            self.info.folders = list(folders)
        self._update_center()

    def _fit_sidebar(self) -> None:
        """The sidebar never gets narrower than its entries (folder names may be shortened)."""
        sidebar = self.sidebar
        widest = max(sidebar.sizeHintForIndex(sidebar.indexFromItem(item)).width()
                     for item in self.scope_items.values())
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        sidebar.setMinimumWidth(sidebar.indentation() + widest + scroll_bar + 2 * sidebar.frameWidth())

    def sidebar_folders(self) -> list[str]:
        """The folders listed in the sidebar."""
        items = (self.library_section.child(i) for i in range(self.library_section.childCount()))
        return [data[1] for item in items if isinstance(data := item.data(0, Qt.ItemDataRole.UserRole), tuple)]

    def _on_people(self, people: list[Person], unassigned: int) -> None:
        first = not self.people_loaded
        self.people = people
        self.unassigned_count = unassigned
        self.people_view.delegate.names = [p.name for p in people if p.name]
        counts = {
            ALL: sum(1 for p in people if not p.hidden),
            NAMED: sum(1 for p in people if p.name and not p.hidden),
            HIDDEN: sum(1 for p in people if p.hidden),
            UNASSIGNED: unassigned,
        }
        labels = {ALL: "All people", NAMED: "Named", HIDDEN: "Hidden", UNASSIGNED: "Unassigned faces"}
        for key, item in self.scope_items.items():
            item.setText(0, f"{labels[key]}  ·  {counts[key]:,}")
        self._fit_sidebar()
        self._show_people(follow=self._follow)
        self._follow = None
        if self._to_name is not None:
            self._name_new_person(self._to_name)
            self._to_name = None
        self.people_loaded = True
        self._update_center()
        if not self.job_running and not self.status_message.text():
            self.say(self._summary())
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
        if self.search.text().strip():
            return "No one by that name."
        if self.scope == HIDDEN:
            return "No hidden people. Hide strangers with H."
        if self.scope == NAMED:
            return "No named people yet. Select a person and press F2 to name them."
        if self.job_running:
            return "Looking for faces… People appear here as they are found."
        if self.unassigned_count:
            return (f"No people yet: a person appears once the same face is in two photos. "
                    f"{count(self.unassigned_count, 'face')} found so far {'is' if self.unassigned_count == 1 else 'are'}"
                    " waiting on the right, under Unassigned faces.")
        return "No faces found yet. Add a folder of photos, or Rescan."

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
        self.people_title.setText(f"{title}  ({len(shown):,})")
        if self.people_model.row_of(self.current_key) >= 0 or (
                self.current_key == UNASSIGNED and (self.unassigned_chosen or not self.people_model.rowCount())):
            return
        in_grid = [key for key in (follow, *self._neighbours(before, self.current_key))
                   if self.people_model.row_of(key) >= 0]
        if in_grid:
            self._select_person(in_grid[0])
        elif self.people_model.rowCount():
            self._select_person(self.people_model.item(0).cluster_id)
        else:
            self.show_faces(None)

    @staticmethod
    def _neighbours(order: list, key) -> list:
        """The people after `key` in `order`, then those before it, nearest first."""
        if key not in order:
            return []
        i = order.index(key)
        return order[i + 1:] + order[:i][::-1]

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
            self._edit_name(self.people_model.index(self.people_model.row_of(key)))

    def _update_center(self) -> None:
        empty = not self.people and not self.unassigned_count and not (self.info and self.info.folders)
        empty = empty and not self.job_running
        self.center.setCurrentIndex(0 if empty else 1)
        self.faces_page.setVisible(not empty)

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
            self.faces_title.setText("")
            self.faces_subtitle.setText("")
            self.rename_button.hide()
        elif key == UNASSIGNED:
            self.faces_title.setText("Unassigned faces")
            self.faces_subtitle.setText(faces)
            self.rename_button.hide()
        else:
            person = next((p for p in self.people if p.cluster_id == key), None)
            self.faces_title.setText(person.name if person and person.name else "Unnamed person")
            self.faces_subtitle.setText(f"{faces} · least sure first")
            self.rename_button.show()

    def _on_changed(self, changed: Changed) -> None:
        change = changed.change
        self._follow = change.result if isinstance(change.result, int) else None
        if changed.cause == CORRECTED:
            self.say(changed.description, UNDO)
            if self._new_person_asked:
                self._to_name = change.result
        elif changed.cause == UNDONE:
            self.say(f"Undone: {changed.description}", REDO)
        elif changed.cause == REDONE:
            self.say(f"Redone: {changed.description}", UNDO)
        if changed.cause != REGROUPED:
            self.corrections_seen += 1
        self._new_person_asked = False
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
        self._show_progress(True)
        if progress.total:
            self.progress_bar.setRange(0, progress.total)
            self.progress_bar.setValue(progress.done)
            left = ""
            if progress.seconds_left is not None and progress.done < progress.total:
                left = f" · {duration(progress.seconds_left)} left"
            self.progress_label.setText(
                f"{progress.label}  {progress.done:,} / {progress.total:,} photos · {progress.faces:,} faces{left}"
            )
        else:
            self.progress_bar.setRange(0, 0)
            self.progress_label.setText(progress.label)
        self._update_center()

    def _on_job_finished(self, job: str, summary: str) -> None:
        self.job_running = False
        self._show_progress(False)
        self.people_view.set_placeholder(self._people_placeholder())
        if not summary:
            pass  # nothing was left to index, or it failed (the failure says why)
        elif job == "index" and self.unreadable:
            self.say(summary, UNREADABLE)
        else:
            self.say(summary)
        self._update_center()
        self._refresh_faces()
        if not self.faces_loaded and not self.people:
            self.ready.emit()

    def say(self, message: str, link: str | None = None) -> None:
        """Show `message` in the status bar, with a link (UNDO, REDO, UNREADABLE) to act on it."""
        self.status_message.setText(message)
        self.status_link.setText(f'<a href="{link}">{_LINK_TEXTS[link]}</a>' if link else "")
        self.status_link.setVisible(link is not None)

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

    def _show_progress(self, visible: bool) -> None:
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.setVisible(visible)

    # -- user actions -------------------------------------------------------------------

    def merge_into(self, sources: list[int], target: int) -> None:
        self.client.call(Merge(tuple(sources), target))

    def move_faces(self, face_ids: list[str], target: int | None) -> None:
        self.client.call(MoveFaces(tuple(face_ids), target))

    def rename(self, cluster_id: int, name: str) -> None:
        same = [p for p in self.people if p.name and name and p.name.casefold() == name.casefold()
                and p.cluster_id != cluster_id]
        if same:
            answer = QMessageBox.question(
                self, "Merge people?",
                f"There is already a person named '{same[0].name}'. Are these the same person?\n\n"
                "Yes merges them; No gives both the same name.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.Yes:
                self.merge_into([cluster_id], same[0].cluster_id)
                return
        self.client.call(Rename(cluster_id, name, allow_duplicate=bool(same)))  # No: both keep the name

    def selected_people(self) -> list[int]:
        rows = sorted(i.row() for i in self.people_view.selectionModel().selectedIndexes())
        current = self.people_view.currentIndex()
        ids = [self.people_model.item(r).cluster_id for r in rows]
        if current.isValid() and self.people_model.item(current.row()).cluster_id in ids:
            first = self.people_model.item(current.row()).cluster_id
            ids.remove(first)
            ids.insert(0, first)
        return ids

    def selected_faces(self) -> list[str]:
        rows = sorted(i.row() for i in self.faces_view.selectionModel().selectedIndexes())
        return [self.faces_model.item(r).face_id for r in rows]

    def rename_current(self) -> None:
        """F2: name the person whose faces have the focus, or the current tile."""
        if self.faces_view.hasFocus():
            self.rename_shown_person()
        else:
            self._edit_name(self.people_view.currentIndex())

    def rename_shown_person(self) -> None:
        """Name the person whose faces are shown on the right."""
        row = self.people_model.row_of(self.current_key)
        if row >= 0:
            self._edit_name(self.people_model.index(row))

    def _edit_name(self, index: QModelIndex) -> None:
        """Open the name editor on a person's tile."""
        if index.isValid():
            self.people_view.setCurrentIndex(index)
            self.people_view.scrollTo(index)
            self.people_view.setFocus()
            self.people_view.edit(index)

    def merge_selected(self) -> None:
        ids = self.selected_people()
        if len(ids) >= 2:
            self.merge_into(ids[1:], ids[0])

    def toggle_hidden(self) -> None:
        ids = self.selected_people()
        if ids:
            hidden = {p.cluster_id: p.hidden for p in self.people}
            self.client.call(Hide(tuple(ids), not all(hidden.get(i) for i in ids)))

    def faces_to_new_person(self) -> None:
        self.make_new_person(self.selected_faces())

    def make_new_person(self, faces: list[str]) -> None:
        """Make the faces a new person, then ask for its name."""
        if faces:
            self._new_person_asked = True
            self.move_faces(faces, None)

    def faces_not_this_person(self) -> None:
        if (faces := self.selected_faces()) and self.current_key != UNASSIGNED:
            self.client.call(NotThisPerson(tuple(faces)))

    def faces_not_a_face(self) -> None:
        if faces := self.selected_faces():
            self.client.call(NotAFace(tuple(faces)))

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
        self.progress_label.setText("Stopping…")

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
        item = self.scope_items[scope]
        self.sidebar.setCurrentItem(item)

    def _on_sidebar(self, item: QTreeWidgetItem) -> None:
        key = item.data(0, Qt.ItemDataRole.UserRole)
        if key in (ALL, NAMED, HIDDEN, UNASSIGNED):
            self.set_scope(key)

    def _sidebar_menu(self, position) -> None:
        item = self.sidebar.itemAt(position)
        data = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        menu = QMenu(self)
        if isinstance(data, tuple) and data[0] == "folder":
            folder = data[1]
            menu.addAction("Rescan this folder", lambda: self.client.call(Index((folder,))))
            menu.addAction("Remove from library…", lambda: self._remove_folder(folder))
        else:
            menu.addAction(self.add_folder_action)
        menu.exec(self.sidebar.viewport().mapToGlobal(position))

    def _remove_folder(self, folder: str) -> None:
        answer = QMessageBox.question(
            self, "Remove folder",
            f"Remove {folder} from the library?\n\nThe faces found in its photos, and your corrections of "
            "them, are forgotten. The photos themselves are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.client.call(RemoveFolder(folder))

    def _people_menu(self, position) -> None:
        index = self.people_view.indexAt(position)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.addAction(self.rename_action)
        menu.addAction(self.merge_action)
        menu.addAction(self.hide_action)
        move = menu.addMenu("Merge into…")
        for person in self.people:
            if person.name and person.cluster_id not in self.selected_people():
                move.addAction(person.name, lambda p=person.cluster_id: self.merge_into(self.selected_people(), p))
        move.setEnabled(not move.isEmpty())
        menu.exec(self.people_view.viewport().mapToGlobal(position))

    def _faces_menu(self, position) -> None:
        if not self.selected_faces():
            return
        menu = QMenu(self)
        menu.addAction(self.open_photo_action)
        move = menu.addMenu("Move to…")
        for person in self.people:
            if person.cluster_id != self.current_key and not person.hidden:
                label = person.name or f"Unnamed ({person.face_count:,} faces)"
                move.addAction(label, lambda p=person.cluster_id: self.move_faces(self.selected_faces(), p))
        menu.addAction(self.new_person_action)
        menu.addSeparator()
        menu.addAction(self.not_person_action)
        menu.addAction(self.not_face_action)
        menu.exec(self.faces_view.viewport().mapToGlobal(position))

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

    def _restore_layout(self) -> None:
        stored = QSettings()
        geometry = stored.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(_DEFAULT_SIZE)
            self._fit_to_screen(center=True)
        else:
            self._fit_to_screen(center=False)
        state = stored.value("window/splitter")
        if isinstance(state, QByteArray):
            self.splitter.restoreState(state)
        for view, key in ((self.people_view, "window/people_zoom"), (self.faces_view, "window/faces_zoom")):
            size = stored.value(key)
            if size is not None:
                view.set_thumb_size(int(size))
            view.zoomed.connect(lambda value, key=key: QSettings().setValue(key, value))

    def _fit_to_screen(self, center: bool) -> None:
        """Keep the window, with its frame, within the screen's free area."""
        available = self.screen().availableGeometry()
        frame = self.frameGeometry().size() - self.size()
        if frame.isEmpty():  # not shown yet: what window frames usually take
            frame = _FRAME_ALLOWANCE
        size = self.size().boundedTo(available.size() - frame).expandedTo(self.minimumSizeHint())
        self.resize(size)
        outer = QRect(self.pos(), size + frame)
        if center:
            outer.moveCenter(available.center())
        outer.moveLeft(max(available.left(), min(outer.left(), available.right() + 1 - outer.width())))
        outer.moveTop(max(available.top(), min(outer.top(), available.bottom() + 1 - outer.height())))
        self.move(outer.topLeft())

    def closeEvent(self, event: QCloseEvent) -> None:
        stored = QSettings()
        stored.setValue("window/geometry", self.saveGeometry())
        stored.setValue("window/splitter", self.splitter.saveState())
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
