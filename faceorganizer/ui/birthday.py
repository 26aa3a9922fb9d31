"""The person header's birthday: the button that shows it ("Born 15 June
2012") or offers to add it, and the small dialog that sets or clears it. The
birthday is kept in the library only."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QLabel, QToolButton, QVBoxLayout, QWidget

#: What the dialog's Clear button returns.
CLEARED = ""


def birthday_text(born: str | None) -> str:
    """The header button's text: "Born 15 June 2012", or "Add birthday"."""
    if not born:
        return "Add birthday"
    day = date.fromisoformat(born)
    return f"Born {day.day} {day:%B %Y}"


class BirthdayButton(QToolButton):
    """A flat button in the person header: their birthday, or "Add birthday"."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAutoRaise(True)
        self.setAccessibleName("Birthday")
        self.show_birthday(None)

    def show_birthday(self, born: str | None) -> None:
        self.setText(birthday_text(born))
        self.setToolTip("Change the birthday: ages show on this person's photos" if born else
                        "Add this person's birthday, to see their age on each photo")


class BirthdayDialog(QDialog):
    """Asks for a person's birthday. `born()` after it is accepted: the date
    chosen (YYYY-MM-DD), or CLEARED."""

    def __init__(self, name: str, born: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Birthday")
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("d MMMM yyyy")
        self.date.setMaximumDate(QDate.currentDate())
        self.date.setDate(QDate.fromString(born, "yyyy-MM-dd") if born else QDate.currentDate().addYears(-30))
        self.date.setAccessibleName("Birthday")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self._cleared = False
        if born:
            clear = buttons.addButton("Clear", QDialogButtonBox.ButtonRole.DestructiveRole)
            clear.clicked.connect(self._clear)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"When was {name} born? Their age then shows on each photo.\n"
                                "The birthday stays in this library; no photo is changed."))
        layout.addWidget(self.date)
        layout.addWidget(buttons)

    def _clear(self) -> None:
        self._cleared = True
        self.accept()

    def born(self) -> str:
        return CLEARED if self._cleared else self.date.date().toString("yyyy-MM-dd")
