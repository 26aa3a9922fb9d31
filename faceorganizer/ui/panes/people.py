"""The middle pane: the people grid, or the invitation of an empty library."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from faceorganizer.humanize import count
from faceorganizer.ui import resources
from faceorganizer.ui.models import PeopleModel
from faceorganizer.ui.panes.sidebar import HIDDEN, NAMED
from faceorganizer.ui.views import ElidedLabel, GridView


class PeoplePane(QStackedWidget):
    """`view` is the people grid, `title` its header; `empty_button` adds a
    folder to an empty library."""

    def __init__(self, model: PeopleModel, actions: list):
        super().__init__()
        self.view = GridView(112, with_text=True)
        self.view.setModel(model)
        self.view.setAccessibleName("People")
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.addActions(actions)
        self.title = ElidedLabel("People")
        self.title.setObjectName("paneHeader")
        subtitle = ElidedLabel("Named first, then by number of faces")
        subtitle.setObjectName("paneSubtitle")
        grid = QWidget()
        layout = QVBoxLayout(grid)
        layout.setContentsMargins(12, 10, 4, 0)
        layout.addWidget(self.title)
        layout.addWidget(subtitle)
        layout.addWidget(self.view)

        empty = QWidget()
        layout = QVBoxLayout(empty)
        layout.addStretch(2)
        icon = QLabel()
        icon.setPixmap(resources.app_icon().pixmap(96, 96))
        title = QLabel("Find the people in your photos")
        title.setObjectName("emptyTitle")
        text = QLabel("Add a folder of photos: faceorganizer finds every face and groups them into people.\n"
                      "Everything stays on this computer: photos are never changed, uploaded or shared.")
        text.setObjectName("emptyText")
        self.empty_button = QPushButton("Add a folder of photos")
        self.empty_button.setObjectName("addFolderButton")
        self.empty_button.setCursor(Qt.CursorShape.PointingHandCursor)
        for widget in (icon, title, text):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            widget.setWordWrap(True)
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addWidget(self.empty_button, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        self.addWidget(empty)
        self.addWidget(grid)

    def show_empty(self, empty: bool) -> None:
        self.setCurrentIndex(0 if empty else 1)


def placeholder(scope: str, searching: bool, job_running: bool, unassigned: int) -> str:
    """What an empty people grid says instead."""
    if searching:
        return "No one by that name."
    if scope == HIDDEN:
        return "No one is ignored. Hide strangers with H, or all at once with Edit > Hide strangers…"
    if scope == NAMED:
        return "No named people yet. Select a person and press F2 to name them."
    if job_running:
        return "Looking for faces… People appear here as they are found."
    if unassigned:
        return (f"No people yet: a person appears once the same face is in two photos. "
                f"{count(unassigned, 'face')} found so far {'is' if unassigned == 1 else 'are'}"
                " waiting on the right, under Unassigned faces.")
    return "No faces found yet. Add a folder of photos, or Rescan."


def neighbours(order: list, key) -> list:
    """The people after `key` in `order`, then those before it, nearest first."""
    if key not in order:
        return []
    i = order.index(key)
    return order[i + 1:] + order[:i][::-1]
