"""What the window shows for an error no one foresaw: a dialog with the
sentence and its details to copy, and the window keeps working. (A damaged
library has its own pane, ui.panes.damaged.)"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class ErrorDialog(QDialog):
    """The error's sentence, "Copy details" (the traceback to the clipboard) and Close."""

    def __init__(self, message: str, details: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Something went wrong")
        self.details = details
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel("The window keeps working, and what you did before is kept. "
                      "If it happens again, please report it with the details.")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(520, 160)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details)


class ErrorReporter:
    """Shows one ErrorDialog at a time, for the service's unexpected failures
    and for any exception raised in the window's own code."""

    def __init__(self, parent: QWidget, interactive: bool = True):
        self.parent = parent
        self.interactive = interactive
        self.dialog: ErrorDialog | None = None
        self._previous_hook: Callable | None = None

    def show(self, message: str, details: str) -> None:
        if not self.interactive:
            print(f"faceorganizer: {message}\n{details}", file=sys.stderr)
            return
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = ErrorDialog(message, details, self.parent)
        self.dialog.show()

    def install(self) -> None:
        """Report exceptions of the window's code here instead of losing them."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self._on_exception

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None

    def _on_exception(self, kind, value, tb) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        print(details, file=sys.stderr)
        self.show(f"The window met an unexpected error: {kind.__name__}: {value}", details)
