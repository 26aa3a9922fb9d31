"""What the window shows instead of the library when it is damaged: what is
wrong, which file, the command that repairs it, and a button that does."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from faceorganizer.ui import resources


class DamagedPane(QWidget):
    """Signal: `repairClicked()`."""

    repairClicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        icon = QLabel()
        icon.setPixmap(resources.app_icon().pixmap(72, 72))
        title = QLabel("This library is damaged")
        title.setObjectName("emptyTitle")
        self.message = QLabel()
        self.message.setObjectName("emptyText")
        self.message.setAccessibleName("What is damaged")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel("Repair sets the damaged files aside in the library's folder, keeps every face, name and "
                      "correction that can still be read, and analyses again the photos whose faces were lost. "
                      "Your photos are not touched.")
        self.repair_button = QPushButton("Repair")
        self.repair_button.setObjectName("addFolderButton")
        self.repair_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.repair_button.clicked.connect(self.repairClicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 0, 48, 0)
        layout.addStretch(2)
        for widget in (icon, title, self.message, note):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            widget.setWordWrap(True)
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addWidget(self.repair_button, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        self.hide()

    def show_damage(self, message: str) -> None:
        self.message.setText(message)
        self.repair_button.setText("Repair")
        self.repair_button.setEnabled(True)
        self.show()

    def repairing(self) -> None:
        self.repair_button.setText("Repairing…")
        self.repair_button.setEnabled(False)

    def repair_ended(self, repaired: bool) -> None:
        """Hidden once the library is repaired; else it offers to try again."""
        self.repair_button.setText("Repair")
        self.repair_button.setEnabled(True)
        self.setVisible(not repaired)
