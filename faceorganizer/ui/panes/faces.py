"""The right pane: the person page, whose switch shows the faces of the person
chosen (with the drop zones) or their photos; or the photos of several people
or of a folder."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from faceorganizer.ui.birthday import BirthdayButton
from faceorganizer.ui.models import FacesModel
from faceorganizer.ui.views import DropBar, ElidedLabel, GridView


class FacesPane(QWidget):
    """`view` is the faces grid under `title` and `subtitle`; `rename_button`
    names the person and `birthday_button` shows or sets their birthday;
    `drop_bar` shows while faces are dragged. The switch (`faces_button`,
    `photos_button`: `switched(photos)`) shows `photos_grid` under
    `photos_subtitle` instead."""

    switched = Signal(bool)

    def __init__(self, model: FacesModel, actions: list, photos_grid: QWidget):
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
        header.addStretch(1)
        switch = QHBoxLayout()  # a row of its own: the title keeps the pane's width for a long name
        self.faces_button, self.photos_button = self._switch(switch)
        switch.addStretch(1)
        switch.addWidget(self.birthday_button)
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
        faces_page = QWidget()
        faces_layout = QVBoxLayout(faces_page)
        faces_layout.setContentsMargins(0, 0, 0, 0)
        faces_layout.addWidget(self.subtitle)
        faces_layout.addWidget(self.view)
        faces_layout.addWidget(self.drop_bar)
        self.photos_subtitle = ElidedLabel("")
        self.photos_subtitle.setObjectName("paneSubtitle")
        self.photos_grid = photos_grid
        photos_page = QWidget()
        photos_layout = QVBoxLayout(photos_page)
        photos_layout.setContentsMargins(0, 0, 0, 0)
        photos_layout.addWidget(self.photos_subtitle)
        photos_layout.addWidget(photos_grid)
        self.pages = QStackedWidget()
        self.pages.addWidget(faces_page)
        self.pages.addWidget(photos_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 8, 0)
        layout.addLayout(header)
        layout.addLayout(switch)
        layout.addWidget(self.pages)

    def _switch(self, row: QHBoxLayout) -> tuple[QToolButton, QToolButton]:
        """Two buttons side by side, one of them down: Faces, Photos."""
        group = QButtonGroup(self)
        buttons = []
        for text, tip in (("Faces", "The person's faces, least sure first, to correct them"),
                          ("Photos", "The person's photos, newest first")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(f"Show {text.lower()}")
            button.setCheckable(True)
            button.setObjectName("switchButton")
            group.addButton(button)
            row.addWidget(button)
            buttons.append(button)
        buttons[0].setChecked(True)
        buttons[1].toggled.connect(self.switched)
        return buttons[0], buttons[1]

    def show_switch(self, visible: bool, photos: bool) -> None:
        for button in (self.faces_button, self.photos_button):
            button.setVisible(visible)
        (self.photos_button if photos else self.faces_button).setChecked(True)

    def show_photos(self, photos: bool) -> None:
        self.pages.setCurrentIndex(1 if photos else 0)

    def set_header(self, title: str, subtitle: str, renamable: bool, born: str | None = None) -> None:
        """A person's header is `renamable`, and shows their birthday `born`."""
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.rename_button.setVisible(renamable)
        self.birthday_button.setVisible(renamable)
        self.birthday_button.show_birthday(born)
