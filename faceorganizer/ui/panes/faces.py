"""The right pane: the faces of the person chosen, with the drop zones."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from faceorganizer.ui.birthday import BirthdayButton
from faceorganizer.ui.models import FacesModel
from faceorganizer.ui.views import DropBar, ElidedLabel, GridView


class FacesPane(QWidget):
    """`view` is the faces grid under `title` and `subtitle`; `rename_button`
    names the person and `birthday_button` shows or sets their birthday;
    `drop_bar` shows while faces are dragged."""

    def __init__(self, model: FacesModel, actions: list):
        super().__init__()
        self.title = ElidedLabel("")
        self.title.setObjectName("paneHeader")
        self.subtitle = ElidedLabel("")
        self.subtitle.setObjectName("paneSubtitle")
        self.rename_button = QToolButton()
        self.rename_button.setText("✎")
        self.rename_button.setToolTip("Name this person (F2)")
        self.rename_button.setAccessibleName("Rename")
        self.rename_button.hide()
        self.birthday_button = BirthdayButton()
        self.birthday_button.hide()
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.rename_button)
        header.addWidget(self.birthday_button)
        header.addStretch(1)
        self.view = GridView(88, with_text=False)
        self.view.setModel(model)
        self.view.setAccessibleName("Faces")
        self.view.setAcceptDrops(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.addActions(actions)
        self.drop_bar = DropBar()
        self.drop_bar.hide()
        self.view.dragStarted.connect(self.drop_bar.show)
        self.view.dragFinished.connect(self.drop_bar.hide)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 8, 0)
        layout.addLayout(header)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.view)
        layout.addWidget(self.drop_bar)

    def set_header(self, title: str, subtitle: str, renamable: bool, born: str | None = None) -> None:
        """A person's header is `renamable`, and shows their birthday `born`."""
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.rename_button.setVisible(renamable)
        self.birthday_button.setVisible(renamable)
        self.birthday_button.show_birthday(born)
