"""The photo viewer: the whole photo, upright, every face boxed with its
person's name, "Unnamed" or "Who is this?" (faceorganizer.ui.photo_canvas).

Clicking a name opens that person; clicking "Unnamed" or "Who is this?" (or
Rename in a box's menu) takes a name in place, completed from the names the
library has; a box's menu also drops it as not a face. "Add a face" (D) draws
a box round a face the detector missed, then asks its name. Left and right
(Home, End) walk through the photos of the list it was opened from; F shows
it full screen; + and - zoom, the wheel zooms where it points, a drag pans;
Esc leaves full screen, then the viewer.

Photos are decoded through Pillow (HEIC too, with pillow-heif), upright, as
the library indexed them, off the GUI thread. The viewer only asks: the
window turns its signals into commands for the library.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QRunnable, Qt, QThreadPool, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceorganizer.errors import ImageLoadError
from faceorganizer.images import load_photo
from faceorganizer.protocol import PhotoInfo
from faceorganizer.ui.photo_canvas import PhotoCanvas

#: Photos are shown at most this large (longer side).
_MAX_SIDE = 2400


class _Loaded(QObject):
    done = Signal(str, QImage, str)  # path, image, why it could not be decoded


class _LoadPhoto(QRunnable):
    def __init__(self, path: str, signal: _Loaded):
        super().__init__()
        self.path, self.signal = path, signal

    def run(self) -> None:
        try:
            photo = load_photo(self.path, max_side=_MAX_SIDE)
        except ImageLoadError as exc:
            self.signal.done.emit(self.path, QImage(), exc.reason)
            return
        height, width = photo.pixels.shape[:2]
        image = QImage(photo.pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        self.signal.done.emit(self.path, image, "")


class PhotoViewer(QDialog):
    """Signals: navigate(face_id) for another photo; faceClicked(face_id);
    personChosen(person id); nameFace(face_id, name); addFace(path, box, name);
    notAFace(face_id); hideAllFaces(face_id) for the photo shown."""

    navigate = Signal(str)
    faceClicked = Signal(str)
    personChosen = Signal(int)
    nameFace = Signal(str, str)
    addFace = Signal(str, tuple, str)
    notAFace = Signal(str)
    hideAllFaces = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Photo")
        self.resize(1100, 800)
        self.info: PhotoInfo | None = None
        self.key = None
        self.names: list[str] = []  # the library's names, for completion
        self._naming: str | None = None  # the face id being named, or "" for a box just drawn
        self.canvas = PhotoCanvas()
        self.name_editor = QLineEdit(self.canvas)
        self.name_editor.setPlaceholderText("Name")
        self.name_editor.setAccessibleName("Name of this face")
        self.name_editor.hide()
        self.name_editor.returnPressed.connect(self._commit_name)
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.previous_button = self._button("◀ Previous", "Previous photo (Left)", lambda: self._go("previous"))
        self.next_button = self._button("Next ▶", "Next photo (Right)", lambda: self._go("next"))
        self.draw_button = self._button("Add a face", "Draw a box round a face that was missed (D)",
                                        self._toggle_drawing)
        self.draw_button.setCheckable(True)
        open_button = self._button("Open in viewer", "Open the photo in the system's photo viewer",
                                   lambda: self._open_externally(self.info.path))
        folder_button = self._button("Show in folder", "Open the folder of the photo in the file manager",
                                     lambda: self._open_externally(str(Path(self.info.path).parent)))
        self.full_button = self._button("Full screen", "Full screen (F)", self.toggle_full_screen)
        self.hide_all_button = self._button(
            "Hide all faces", "A crowd, a stage: the faces of this photo of no named person go to the Ignored list",
            lambda: self.info and self.hideAllFaces.emit(self.info.face_id))
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 0, 8, 0)
        for widget in (self.previous_button, self.draw_button):
            bar.addWidget(widget)
        bar.addWidget(self.caption, 1)
        for widget in (self.hide_all_button, open_button, folder_button, self.full_button, self.next_button):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bar)
        keys = {Qt.Key.Key_Left: lambda: self._go("previous"), Qt.Key.Key_Right: lambda: self._go("next"),
                Qt.Key.Key_Home: lambda: self._go("first"), Qt.Key.Key_End: lambda: self._go("last"),
                Qt.Key.Key_F: self.toggle_full_screen, Qt.Key.Key_D: self._toggle_drawing,
                Qt.Key.Key_Plus: lambda: self.canvas.zoom_by(1), Qt.Key.Key_Equal: lambda: self.canvas.zoom_by(1),
                Qt.Key.Key_Minus: lambda: self.canvas.zoom_by(-1), Qt.Key.Key_0: self.canvas.fit}
        for key, slot in keys.items():
            QShortcut(QKeySequence(key), self, slot)
        self.canvas.faceClicked.connect(self.faceClicked)
        self.canvas.tagClicked.connect(self._on_tag)
        self.canvas.boxDrawn.connect(self._on_box_drawn)
        self.canvas.contextRequested.connect(self._context_menu)
        self._loaded = _Loaded()
        self._loaded.done.connect(self._on_loaded)
        self._pool = QThreadPool(self)

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay the viewer's
        button.clicked.connect(slot)
        return button

    # -- the photo -----------------------------------------------------------------

    def show_photo(self, info: PhotoInfo, key) -> None:
        same_photo = self.info is not None and self.info.path == info.path
        self.info, self.key = info, key
        self.canvas.info = info
        if not same_photo:
            self._cancel_naming()
            self.canvas.image = QImage()
            self.canvas.message = "Loading…"
            self.canvas.fit()
            self._pool.start(_LoadPhoto(info.path, self._loaded))
        name = Path(info.path).name
        position, total = info.position
        self.caption.setText(f"{name}  ·  {position} of {total}" if total else name)
        self.setWindowTitle(name)
        self.previous_button.setEnabled(info.previous_face is not None)
        self.next_button.setEnabled(info.next_face is not None)
        self.hide_all_button.setEnabled(bool(info.face_id and info.faces))
        self.canvas.update()
        self.show()
        self.raise_()

    def _on_loaded(self, path: str, image: QImage, reason: str) -> None:
        if self.info is not None and path == self.info.path:
            self.canvas.image = image
            self.canvas.message = f"{Path(path).name} cannot be shown: {reason}." if reason else ""
            self.canvas.update()

    def _go(self, where: str) -> None:
        face_id = self.info and getattr(self.info, f"{where}_face")
        if face_id:
            self.navigate.emit(face_id)

    def _open_externally(self, path: str) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def toggle_full_screen(self) -> None:
        self.setWindowState(self.windowState() ^ Qt.WindowState.WindowFullScreen)
        self.full_button.setText("Leave full screen" if self.isFullScreen() else "Full screen")

    def reject(self) -> None:
        """Esc: stop naming, then leave full screen, then close."""
        if self._naming is not None:
            self._cancel_naming()
        elif self.isFullScreen():
            self.toggle_full_screen()
        else:
            super().reject()

    # -- faces -----------------------------------------------------------------------

    def face(self, face_id: str):
        return next((f for f in self.info.faces if f.face_id == face_id), None) if self.info else None

    def _on_tag(self, face_id: str, tag: QRectF) -> None:
        face = self.face(face_id)
        if face is not None and face.name and face.cluster_id is not None:
            self.personChosen.emit(face.cluster_id)
        else:
            self.ask_name(face_id, tag)

    def ask_name(self, face_id: str, where: QRectF) -> None:
        """Take a name in place, under the box (face_id "" for a box just drawn)."""
        self._naming = face_id
        completer = QCompleter(sorted(set(self.names), key=str.casefold), self.name_editor)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.name_editor.setCompleter(completer)
        self.name_editor.clear()
        width = max(180, int(where.width()))
        self.name_editor.setGeometry(int(where.center().x() - width / 2), int(where.top()), width,
                                     self.name_editor.sizeHint().height())
        self.name_editor.show()
        self.name_editor.setFocus()
        self.name_editor.selectAll()

    def _commit_name(self) -> None:
        name = self.name_editor.text().strip()
        face_id, box = self._naming, self.canvas.pending_box
        if not name or face_id is None:
            return
        self._cancel_naming()
        if face_id:
            self.nameFace.emit(face_id, name)
        elif box is not None:
            self.addFace.emit(self.info.path, box, name)

    def _cancel_naming(self) -> None:
        """Close the name editor (a box just drawn goes with it: once added, the library shows it)."""
        self._naming = None
        self.name_editor.hide()
        self.canvas.pending_box = None
        self.canvas.setFocus()
        self.canvas.update()

    def _toggle_drawing(self) -> None:
        self.canvas.drawing = not self.canvas.drawing
        self.draw_button.setChecked(self.canvas.drawing)
        self.canvas.setCursor(Qt.CursorShape.CrossCursor if self.canvas.drawing else Qt.CursorShape.ArrowCursor)

    def _on_box_drawn(self, _box: tuple, on_screen: QRectF) -> None:
        self._toggle_drawing()
        self.ask_name("", QRectF(on_screen.left(), on_screen.bottom() + 4, on_screen.width(), 0))

    def _context_menu(self, face_id: str, position) -> None:
        menu = QMenu(self)
        face = self.face(face_id)
        if face is not None:
            if face.name and face.cluster_id is not None:
                menu.addAction(f"Open {face.name}", lambda: self.personChosen.emit(face.cluster_id))
            menu.addAction("Name…" if not face.name else "This is someone else…",
                           lambda: self.ask_name(face_id, self.canvas.tag_rect(face)))
            menu.addAction("Not a face", lambda: self.notAFace.emit(face_id))
            menu.addSeparator()
        menu.addAction("Add a face…", self._toggle_drawing)
        menu.exec(position)

    def closeEvent(self, event) -> None:
        self._pool.waitForDone()
        super().closeEvent(event)
