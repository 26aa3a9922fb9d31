"""The photos and folders an indexing run could not read, and why (and the
photos whose XMP sidecar could not be written)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget


class UnreadableDialog(QDialog):
    """A list of (path, reason): the file's name and the reason, its path as a tip."""

    def __init__(self, problems: list[tuple[str, str]], parent: QWidget | None = None, *,
                 title: str = "Photos that could not be read",
                 intro: str = "These were skipped. Photos indexed before keep their faces. "
                              "Once a photo can be opened again, Rescan indexes it."):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.problems = problems
        intro = QLabel(intro)
        intro.setWordWrap(True)
        tree = QTreeWidget()
        tree.setHeaderLabels(["Photo", "Reason"])
        tree.setRootIsDecorated(False)
        tree.setAccessibleName(title)
        for path, reason in problems:
            item = QTreeWidgetItem(tree, [Path(path).name or path, reason])
            item.setToolTip(0, path)
            item.setToolTip(1, reason)
        tree.resizeColumnToContents(0)
        tree.setSortingEnabled(True)
        tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy the list", QDialogButtonBox.ButtonRole.ActionRole)
        copy.setAutoDefault(False)
        copy.clicked.connect(self.copy)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(tree)
        layout.addWidget(buttons)
        self.resize(640, 360)

    def copy(self) -> None:
        """Put the paths and reasons on the clipboard, a line each."""
        QGuiApplication.clipboard().setText("".join(f"{path}: {reason}\n" for path, reason in self.problems))
