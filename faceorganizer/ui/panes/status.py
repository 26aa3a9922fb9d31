"""The status bar: a message after each action with a link to act on it
(Undo, Redo, the photos that could not be read), and the progress of the
running job with its cancel button."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QToolButton

from faceorganizer.humanize import duration
from faceorganizer.protocol import Progress
from faceorganizer.ui.views import ElidedLabel

#: Links after a message, and their text.
UNDO, REDO, UNREADABLE, NOT_WRITTEN, CONTINUE = "undo", "redo", "unreadable", "not-written", "continue"
LISTED = "listed"  # the faces a model switch lists
_LINK_TEXTS = {UNDO: "Undo", REDO: "Redo", UNREADABLE: "Show them", NOT_WRITTEN: "Show them", CONTINUE: "Continue",
               LISTED: "Show them"}


class StatusArea(QObject):
    """Fills `bar`. Signals: `linkActivated(link)`, `cancelClicked()`."""

    linkActivated = Signal(str)
    cancelClicked = Signal()

    def __init__(self, bar: QStatusBar):
        super().__init__(bar)
        self.message = ElidedLabel("")
        self.message.setObjectName("statusMessage")
        self.link = QLabel("")
        self.link.setObjectName("statusLink")
        self.link.linkActivated.connect(self.linkActivated)
        self.link.hide()
        # The job's title ("Indexing Holidays") gets the room the rest leaves,
        # and is cut short first: its size hint is not counted (Ignored) and
        # it alone stretches. Then its counts and time left, then the bar.
        self.progress_title = ElidedLabel("")
        self.progress_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress_title.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.progress_label = ElidedLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("✕")
        self.cancel_button.setToolTip("Stop (what is done is kept)")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.clicked.connect(self.cancelClicked)
        bar.addWidget(self.message)
        bar.addWidget(self.link)
        bar.addPermanentWidget(self.progress_title, 1)
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        self.show_progress(None)

    def say(self, message: str, link: str | None = None) -> None:
        """Show `message`, with a link (UNDO, REDO, UNREADABLE, CONTINUE) to act on it."""
        self.message.setText(message)
        self.link.setText(f'<a href="{link}">{_LINK_TEXTS[link]}</a>' if link else "")
        self.link.setVisible(link is not None)

    def show_progress(self, progress: Progress | None) -> None:
        """The running job's progress (None: no job runs)."""
        for widget in (self.progress_title, self.progress_label, self.progress_bar, self.cancel_button):
            widget.setVisible(progress is not None)
        if progress is None:
            return
        self.show_title(progress.label)
        if progress.total:
            self.progress_bar.setRange(0, progress.total)
            self.progress_bar.setValue(progress.done)
            left = ""
            if progress.seconds_left is not None and progress.done < progress.total:
                left = f" · {duration(progress.seconds_left)} left"
            found = f" · {progress.faces:,} faces" if progress.unit == "photos" else ""
            self.progress_label.setText(f"{progress.done:,} / {progress.total:,} {progress.unit}{found}{left}")
        else:
            self.progress_bar.setRange(0, 0)  # busy, with the title alone
            self.progress_label.hide()

    def show_title(self, title: str) -> None:
        """The running job's title ("Indexing Holidays", "Stopping…")."""
        self.progress_title.setText(title)
        self.progress_title.setToolTip(title)
