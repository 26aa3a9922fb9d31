"""The review pane: the library's open questions, one at a time, each answered
with one key (Y yes, N no, S skip) or a click.

The person's best faces are on the left, the candidate's (or the face asked
about) on the right. The service sends the first questions of its queue; an
answer goes to it as a correction (undone with Ctrl+Z like any other) and
the pane shows the next question at once, without waiting for the service.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from faceorganizer.humanize import count
from faceorganizer.protocol import Question
from faceorganizer.ui.models import FacesModel
from faceorganizer.ui.thumbnails import ThumbnailLoader
from faceorganizer.ui.views import ElidedLabel, GridView


class ReviewPane(QWidget):
    """Signals: `answered(question id, yes)`. `question` is the question
    shown (None: none is open)."""

    answered = Signal(str, bool)

    def __init__(self, thumbnails: ThumbnailLoader):
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Review")
        self.questions: list[Question] = []
        self.open_count: int | None = None  # None: not counted yet
        self.skipped: set[str] = set()
        self.question: Question | None = None
        title = ElidedLabel("Review")
        title.setObjectName("paneHeader")
        self.subtitle = ElidedLabel("")
        self.subtitle.setObjectName("paneSubtitle")

        self.text = QLabel()
        self.text.setObjectName("reviewQuestion")
        font = self.text.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.text.setFont(font)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.left_label, self.right_label = ElidedLabel(""), ElidedLabel("")
        self.left_model, self.right_model = FacesModel(thumbnails, self), FacesModel(thumbnails, self)
        sides = QGridLayout()
        for column, (label, model, name) in enumerate(((self.left_label, self.left_model, "The person"),
                                                       (self.right_label, self.right_model, "The candidate"))):
            view = GridView(144, with_text=False)
            view.setModel(model)
            view.setAccessibleName(name)
            view.setDragEnabled(False)
            view.setAcceptDrops(False)
            view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            sides.addWidget(label, 0, column)
            sides.addWidget(view, 1, column)
        self.yes_button = QPushButton("Yes  (Y)")
        self.no_button = QPushButton("No  (N)")
        self.skip_button = QPushButton("Skip  (S)")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button, key, slot in ((self.yes_button, "Y", lambda: self.answer(True)),
                                  (self.no_button, "N", lambda: self.answer(False)),
                                  (self.skip_button, "S", self.skip)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumWidth(button.sizeHint().width() * 3 // 2)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            QShortcut(QKeySequence(key), self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        buttons.addStretch(1)

        asking = QWidget()
        layout = QVBoxLayout(asking)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(self.text)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        layout.addSpacing(12)
        layout.addLayout(sides, 1)
        self.empty = QLabel()
        self.empty.setObjectName("emptyText")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(asking)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 8, 0)
        outer.addWidget(title)
        outer.addWidget(self.subtitle)
        outer.addWidget(self.stack, 1)
        self._show()

    def set_questions(self, questions: list[Question], open_count: int | None) -> None:
        """The service's first open questions, best first, and how many are
        open (None: not counted yet)."""
        self.questions, self.open_count = list(questions), open_count
        self._show()

    def answer(self, yes: bool) -> None:
        """Yes or no to the question shown; the next one shows at once."""
        if self.question is None:
            return
        answered = self.question
        self.answered.emit(answered.id, yes)
        # Questions about the faces or people just answered for wait for the service's new queue.
        self.questions = [q for q in self.questions
                          if q.id != answered.id and not _faces(q) & _faces(answered)]
        if self.open_count:
            self.open_count -= 1
        self._show()

    def skip(self) -> None:
        if self.question is not None:
            self.skipped.add(self.question.id)
            self._show()

    def _show(self) -> None:
        waiting = [q for q in self.questions if q.id not in self.skipped]
        self.question = waiting[0] if waiting else None
        question = self.question
        if question is None:
            self.left_model.set_items([])
            self.right_model.set_items([])
            if self.questions:
                self.empty.setText("You skipped every open question. They are asked again next time.")
            elif self.open_count is None:
                self.empty.setText("Looking for the questions whose answers fix the most faces…")
            else:
                self.empty.setText("No open questions. When faces or people may be the same person, "
                                   "faceorganizer asks here.")
            self.subtitle.setText("")
            self.stack.setCurrentIndex(0)
            return
        counted = ("Counting the open questions…" if self.open_count is None
                   else count(self.open_count, "open question"))
        self.subtitle.setText(f"{counted} · Y yes · N no · S skip · Ctrl+Z undoes an answer")
        self.text.setText(question.text)
        self.left_label.setText(question.left_label)
        self.right_label.setText(question.right_label)
        self.left_model.set_items(question.left)
        self.right_model.set_items(question.right)
        self.stack.setCurrentIndex(1)


def _faces(question: Question) -> set[str]:
    return {f.face_id for f in question.left + question.right}
