"""The sidebar: the library's folders, the lists of people and faces, and
the review questions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QStyle, QTreeWidget, QTreeWidgetItem

from faceorganizer.protocol import UNASSIGNED
from faceorganizer.ui import resources

#: Entries that choose what the people grid shows (and UNASSIGNED, the faces of no one; REVIEW, the questions).
ALL, NAMED, HIDDEN, REVIEW = "all", "named", "hidden", "review"
_LABELS = {ALL: "All people", NAMED: "Named", HIDDEN: "Ignored", UNASSIGNED: "Unassigned faces", REVIEW: "Review"}


class Sidebar(QTreeWidget):
    """Signals: `scopeChosen(key)` (ALL, NAMED, HIDDEN, UNASSIGNED or REVIEW),
    `folderChosen(folder)`, `rescanFolder(folder)`, `removeFolder(folder)`,
    `excludeSubfolder(folder)` (the user wants to leave a subfolder of it
    out), `includeAgain(subfolder)`."""

    scopeChosen = Signal(object)
    folderChosen = Signal(str)
    rescanFolder = Signal(str)
    removeFolder = Signal(str)
    excludeSubfolder = Signal(str)
    includeAgain = Signal(str)

    def __init__(self, add_folder: QAction):
        super().__init__()
        self.add_folder = add_folder
        self.excluded: list[str] = []  # subfolders left out of indexing
        self.setObjectName("sidebar")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(10)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAccessibleName("Library")
        self.library_section = self._section("LIBRARY")
        self.people_section = self._section("PEOPLE")
        self.faces_section = self._section("FACES")
        self.scope_items = {
            ALL: self._entry(self.people_section, ALL, "person"),
            NAMED: self._entry(self.people_section, NAMED, "person"),
            HIDDEN: self._entry(self.people_section, HIDDEN, "hidden"),
            UNASSIGNED: self._entry(self.faces_section, UNASSIGNED, "faces"),
            REVIEW: self._entry(self.faces_section, REVIEW, "recluster"),
        }
        self.expandAll()
        self.itemClicked.connect(self._on_click)
        self.customContextMenuRequested.connect(self._menu)

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = item.font(0)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setBold(True)
        item.setFont(0, font)
        item.setForeground(0, self.palette().placeholderText())
        return item

    def _entry(self, section: QTreeWidgetItem, key, icon: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(section, [_LABELS[key]])
        item.setData(0, Qt.ItemDataRole.UserRole, key)
        item.setIcon(0, resources.icon(icon, self.palette()))
        return item

    def set_folders(self, folders: list[str]) -> None:
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

    def folders(self) -> list[str]:
        """The folders listed."""
        items = (self.library_section.child(i) for i in range(self.library_section.childCount()))
        return [data[1] for item in items if isinstance(data := item.data(0, Qt.ItemDataRole.UserRole), tuple)]

    def set_counts(self, counts: dict) -> None:
        """How many people (faces, questions) the entries of `counts` list."""
        for key, count in counts.items():
            self.scope_items[key].setText(0, f"{_LABELS[key]}  ·  {count:,}")
        self._fit()

    def choose(self, key) -> None:
        self.setCurrentItem(self.scope_items[key])

    def _fit(self) -> None:
        """Never narrower than the entries (folder names may be shortened)."""
        widest = max(self.sizeHintForIndex(self.indexFromItem(item)).width() for item in self.scope_items.values())
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setMinimumWidth(self.indentation() + widest + scroll_bar + 2 * self.frameWidth())

    def _on_click(self, item: QTreeWidgetItem) -> None:
        key = item.data(0, Qt.ItemDataRole.UserRole)
        if key in self.scope_items:
            self.scopeChosen.emit(key)
        elif isinstance(key, tuple) and key[0] == "folder":
            self.folderChosen.emit(key[1])

    def _menu(self, position) -> None:
        item = self.itemAt(position)
        data = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        menu = QMenu(self)
        if isinstance(data, tuple) and data[0] == "folder":
            folder = data[1]
            menu.addAction("Rescan this folder", lambda: self.rescanFolder.emit(folder))
            menu.addAction("Remove from library…", lambda: self.removeFolder.emit(folder))
            menu.addSeparator()
            menu.addAction("Exclude a subfolder from indexing…", lambda: self.excludeSubfolder.emit(folder))
            for sub in (s for s in self.excluded if Path(folder) in Path(s).parents):
                menu.addAction(f"Index {Path(sub).relative_to(folder)} again",
                               lambda sub=sub: self.includeAgain.emit(sub))
        else:
            menu.addAction(self.add_folder)
        menu.exec(self.viewport().mapToGlobal(position))
