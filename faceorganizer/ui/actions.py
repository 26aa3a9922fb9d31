"""The window's actions in one registry: each one's text, shortcut, icon and
tip, and the menus, toolbar and context menus that show them."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QMainWindow, QMenu, QSizePolicy, QToolBar, QWidget

from faceorganizer.ui import resources
from faceorganizer.ui.panes.sidebar import HIDDEN


class Actions:
    """Every action of the main window, each calling one of its methods."""

    def __init__(self, window: QMainWindow):
        self.window = window
        corrections = window.corrections
        make = self._make
        keys = QKeySequence.StandardKey
        self.add_folder = make("Add folder…", window.add_folder, keys.Open, "add-folder",
                               "Add a folder of photos to the library")
        self.rescan = make("Rescan", window.rescan, keys.Refresh, "rescan",
                           "Look for new, changed and deleted photos in the library's folders")
        self.recluster = make("Re-cluster", window.recluster, "Ctrl+R", "recluster",
                              "Group all faces into people again (your corrections are kept)")
        self.find_small_faces = make("Find small faces", window.find_small_faces, None, None,
                                     "Look closer at every photo for the small faces of groups and wide "
                                     "shots (your people and names are kept)")
        self.undo = make("Undo", window.undo, keys.Undo, "undo")
        self.redo = make("Redo", window.redo, None, "redo")
        self.redo.setShortcuts(keys.Redo)
        for action in (self.undo, self.redo):
            action.setIconText(action.text())  # the toolbar's text; the menu says what
            action.setEnabled(False)
        self.settings = make("Settings…", window.open_settings, keys.Preferences, "settings",
                             "Similarity threshold, face sizes, library location")
        self.write_sidecars = make("Write names to XMP sidecars", window.write_sidecars, None, None,
                                   "Write every named face into an XMP sidecar beside its photo, for other photo "
                                   "tools (the photos are not changed)")
        self.write_people_sidecars = make("Write names to XMP sidecars", corrections.write_selected_sidecars, None,
                                          None, "Write the selected people's faces into the XMP sidecars of "
                                          "their photos")
        self.quit = make("Quit", window.close, keys.Quit)
        self.rename = make("Rename", corrections.rename_current, "F2")
        self.merge = make("Merge selected people", corrections.merge_selected, "Ctrl+M")
        self.hide = make("Hide or show selected people", corrections.toggle_hidden, "H")
        self.hide_strangers = make("Hide strangers…", corrections.hide_strangers, None, None,
                                   "Hide every unnamed person with only a few faces (one correction; Undo "
                                   "takes it back)")
        self.new_person = make("Make a new person", corrections.faces_to_new_person, "Ctrl+N")
        self.not_person = make("Not this person", corrections.selected_not_this_person, keys.Delete)
        self.not_face = make("Not a face", corrections.selected_not_a_face, "Shift+Del")
        self.open_photo = make("Open photo", window.browser.open_current_face, "Return")
        self.select_all = make("Select all", window.browser.select_all, keys.SelectAll)
        self.show_hidden = make("Show ignored people", lambda: window.browser.set_scope(HIDDEN))
        self.take_back = make("Take back", corrections.take_back, None, None,
                              "Show the selected ignored people among the people again")
        #: Actions on the people grid and on the faces grid: their shortcuts
        #: act on the grid that has the focus only.
        self.on_people = [self.rename, self.merge, self.hide]
        self.on_faces = [self.not_person, self.not_face, self.new_person, self.open_photo, self.rename]
        for action in {*self.on_people, *self.on_faces}:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _make(self, text: str, slot, shortcut=None, icon: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        if icon:
            action.setIcon(resources.icon(icon, self.window.palette()))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def add_menus(self) -> None:
        menus = self.window.menuBar()
        file = menus.addMenu("&File")
        file.addActions([self.add_folder, self.rescan, self.recluster, self.find_small_faces])
        file.addSeparator()
        file.addAction(self.write_sidecars)
        file.addSeparator()
        file.addAction(self.settings)
        file.addSeparator()
        file.addAction(self.quit)
        edit = menus.addMenu("&Edit")
        edit.addActions([self.undo, self.redo])
        edit.addSeparator()
        edit.addActions([self.select_all, self.rename, self.merge, self.hide, self.hide_strangers])
        edit.addSeparator()
        edit.addActions([self.new_person, self.not_person, self.not_face])
        view = menus.addMenu("&View")
        view.addActions([self.show_hidden, self.open_photo])

    def add_toolbar(self) -> QLineEdit:
        """The toolbar, with the search box it returns."""
        bar = QToolBar("Main", self.window)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([self.add_folder, self.rescan, self.recluster])
        bar.addSeparator()
        bar.addActions([self.undo, self.redo])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        search = QLineEdit()
        search.setObjectName("search")
        search.setPlaceholderText("Find a person…")
        search.setClearButtonEnabled(True)
        search.setAccessibleName("Find a person")
        bar.addWidget(search)
        self.window.addToolBar(bar)
        return search

    def people_menu(self, merge_targets: list[tuple[str, object]], any_named: bool) -> QMenu:
        """The context menu of the people grid; `merge_targets`: (name, what
        merges the selected people into that person); `any_named`: whether a
        selected person has a name to write into sidecars."""
        menu = QMenu(self.window)
        if self.window.browser.scope == HIDDEN:
            menu.addAction(self.take_back)
        menu.addActions([self.rename, self.merge, self.hide])
        into = menu.addMenu("Merge into…")
        for name, merge in merge_targets:
            into.addAction(name, merge)
        into.setEnabled(not into.isEmpty())
        menu.addSeparator()
        menu.addAction(self.write_people_sidecars)
        self.write_people_sidecars.setEnabled(any_named)
        return menu

    def faces_menu(self, move_targets: list[tuple[str, object]]) -> QMenu:
        """The context menu of the faces grid; `move_targets`: (label, what
        moves the selected faces to that person)."""
        menu = QMenu(self.window)
        menu.addAction(self.open_photo)
        move = menu.addMenu("Move to…")
        for label, move_faces in move_targets:
            move.addAction(label, move_faces)
        menu.addAction(self.new_person)
        menu.addSeparator()
        menu.addActions([self.not_person, self.not_face])
        return menu
