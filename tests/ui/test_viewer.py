"""The photo viewer: names on the boxes, naming a face in place, a box drawn
round a missed face, and photos Qt cannot read itself (HEIC)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from faceorganizer.images import HEIF_SUPPORTED, load_photo
from faceorganizer.library import FaceLibrary
from faceorganizer.protocol import PhotoInfo
from faceorganizer.ui.photo_canvas import label_of

from .gestures import activate

#: Where a tight crop of a face of t1.jpg is pasted into gdp.jpg (500x665),
#: 150x150 pixels that the face fills: the detector misses it there.
MISSED = (330, 480, 480, 630)


@pytest.fixture
def viewer_library(tmp_path, analyzer, sample_photos):
    """A library of gdp.jpg's five people and a face pasted in that the
    detector misses, its biggest person named Anna; that face alone as an
    avatar, where the detector finds none. With HEIF support, a HEIC copy of
    t1.jpg too."""
    folder = tmp_path / "photos"
    folder.mkdir()
    face = analyzer.analyze(load_photo(sample_photos["t1"]))[0]
    x1, y1, x2, y2 = face.bbox
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, min(x2 - x1, y2 - y1) / 4
    with Image.open(sample_photos["t1"]) as t1, Image.open(sample_photos["gdp"]) as gdp:
        tight = t1.convert("RGB").crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
        composite = gdp.convert("RGB")
        composite.paste(tight.resize((150, 150), Image.Resampling.BICUBIC), MISSED[:2])
        composite.save(folder / "group.jpg", quality=92)
        tight.resize((150, 150), Image.Resampling.BICUBIC).save(folder / "avatar.jpg", quality=92)
        if HEIF_SUPPORTED:
            t1.convert("RGB").save(folder / "t1.heic", format="HEIF")
    library_dir = tmp_path / "library"
    with FaceLibrary(library_dir, analyzer=analyzer) as library:
        library.add_folders([folder])
        library.index_directory(folder)
        group = [f for f in library.iter_faces() if f["path"].endswith("group.jpg")]
        assert len(group) == 5, "the pasted face must be one the detector misses"
        library.reassign_faces([group[0]["id"]], None)
        library.rename(library.get_face(group[0]["id"])["cluster_id"], "Anna")
    return library_dir, folder


def open_photo(qtbot, window, path_end: str):
    """Open the viewer on the photo whose path ends so, from the unassigned faces; wait until it is drawn."""
    activate(qtbot, window)
    window.browser.set_scope("unassigned")
    qtbot.waitUntil(lambda: any((f.path or "").endswith(path_end) for f in window.faces_model.items()),
                    timeout=20_000)
    face = next(f for f in window.faces_model.items() if f.path.endswith(path_end))
    window.browser.open_face(face.face_id)
    qtbot.waitUntil(lambda: window.browser.viewer is not None and window.browser.viewer.isVisible()
                    and not window.browser.viewer.canvas.image.isNull(), timeout=20_000)
    return window.browser.viewer


def labels(viewer) -> list[str]:
    return sorted(label_of(face) for face in viewer.info.faces)


def click(canvas, point) -> None:
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point.toPoint())


def test_the_viewer_names_every_box_and_a_name_typed_on_a_box_names_that_face(qtbot, open_window, viewer_library):
    library_dir, _ = viewer_library
    window = open_window(library_dir)
    viewer = open_photo(qtbot, window, "group.jpg")
    assert labels(viewer) == ["Anna", "Who is this?", "Who is this?", "Who is this?", "Who is this?"]

    nobody = next(f for f in viewer.info.faces if f.name is None)
    click(viewer.canvas, viewer.canvas.tag_rect(nobody).center())
    assert viewer.name_editor.isVisible() and viewer.name_editor.hasFocus()
    assert viewer.name_editor.completer().model().stringList() == ["Anna"]
    QTest.keyClicks(viewer.name_editor, "Ben")
    QTest.keyClick(viewer.name_editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: labels(viewer) == ["Anna", "Ben", "Who is this?", "Who is this?", "Who is this?"],
                    timeout=20_000)
    assert "Ben" in [p.name for p in window.browser.people]

    # An existing name joins that person.
    another = next(f for f in viewer.info.faces if f.name is None)
    click(viewer.canvas, viewer.canvas.tag_rect(another).center())
    QTest.keyClicks(viewer.name_editor, "anna")
    QTest.keyClick(viewer.name_editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: labels(viewer) == ["Anna", "Anna", "Ben", "Who is this?", "Who is this?"],
                    timeout=20_000)
    anna = next(p for p in window.browser.people if p.name == "Anna")
    assert anna.face_count == 2

    # Clicking a name opens that person.
    named = next(f for f in viewer.info.faces if f.name == "Ben")
    click(viewer.canvas, viewer.canvas.tag_rect(named).center())
    qtbot.waitUntil(lambda: window.browser.current_key == named.cluster_id, timeout=10_000)
    assert window.faces_pane.title.text() == "Ben"


def test_a_box_drawn_round_a_missed_face_and_named_becomes_that_persons_face(qtbot, open_window, viewer_library):
    library_dir, _ = viewer_library
    window = open_window(library_dir)
    viewer = open_photo(qtbot, window, "group.jpg")
    draw_and_name(viewer, MISSED, "Carol")
    qtbot.waitUntil(lambda: "Carol" in labels(viewer), timeout=30_000)
    carol = next(f for f in viewer.info.faces if f.name == "Carol")
    assert all(abs(a - b) <= 3 for a, b in zip(carol.bbox, MISSED))
    person = next(p for p in window.browser.people if p.name == "Carol")
    assert person.face_count == 1
    assert window.undo_action.text() == "Undo add a face of group.jpg to 'Carol'"
    window.undo()
    qtbot.waitUntil(lambda: "Carol" not in labels(viewer), timeout=20_000)


def test_a_face_drawn_on_a_photo_without_faces_shows_there_named(qtbot, open_window, viewer_library):
    library_dir, folder = viewer_library
    window = open_window(library_dir)
    activate(qtbot, window)
    window.browser.show_photo(PhotoInfo(str(folder / "avatar.jpg"), (150, 150), [], ""))  # as the Photos view opens it
    viewer = window.browser.viewer
    qtbot.waitUntil(lambda: not viewer.canvas.image.isNull(), timeout=20_000)
    assert not viewer.hide_all_button.isEnabled()
    draw_and_name(viewer, (0, 0, 150, 150), "Anna")
    qtbot.waitUntil(lambda: labels(viewer) == ["Anna"], timeout=30_000)


def draw_and_name(viewer, box: tuple[int, int, int, int], name: str) -> None:
    """Press D, drag a box round `box` (pixels of the photo) and type a name for it."""
    canvas = viewer.canvas
    QTest.keyClick(canvas, Qt.Key.Key_D)
    assert viewer.draw_button.isChecked()
    on_screen = canvas.to_widget(box).adjusted(1, 1, -1, -1)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, on_screen.topLeft().toPoint())
    QTest.mouseMove(canvas, on_screen.center().toPoint())
    QTest.mouseMove(canvas, on_screen.bottomRight().toPoint())
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       on_screen.bottomRight().toPoint())
    assert canvas.pending_box is not None and not viewer.draw_button.isChecked()
    assert all(abs(a - b) <= 3 for a, b in zip(canvas.pending_box, box))
    assert viewer.name_editor.isVisible()
    QTest.keyClicks(viewer.name_editor, name)
    QTest.keyClick(viewer.name_editor, Qt.Key.Key_Return)


def test_zoom_pan_full_screen_and_keys(qtbot, open_window, viewer_library):
    library_dir, _ = viewer_library
    window = open_window(library_dir)
    viewer = open_photo(qtbot, window, "group.jpg")
    canvas = viewer.canvas
    QTest.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.zoom == pytest.approx(1.25)
    centre = QPoint(canvas.width() // 2, canvas.height() // 2)
    before = canvas.photo_rect()[0].topLeft()
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(0, 40))
    QTest.mouseMove(canvas, centre + QPoint(0, 10))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(0, 10))
    assert canvas.photo_rect()[0].topLeft() != before  # dragged
    QTest.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.zoom == 1.0 and canvas.pan.isNull()
    first = viewer.info.first_face or viewer.info.face_id
    last = viewer.info.last_face or viewer.info.face_id
    QTest.keyClick(canvas, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: viewer.info.face_id == last, timeout=10_000)
    QTest.keyClick(canvas, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: viewer.info.face_id == first, timeout=10_000)
    assert viewer.info.position[0] == 1 and not viewer.previous_button.isEnabled()
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: viewer.info.position[0] == 2, timeout=10_000)
    QTest.keyClick(canvas, Qt.Key.Key_F)
    assert viewer.isFullScreen()
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert not viewer.isFullScreen() and viewer.isVisible()
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert not viewer.isVisible()


@pytest.mark.skipif(not HEIF_SUPPORTED, reason="pillow-heif is not installed")
def test_a_heic_photo_is_shown_upright_with_its_faces(qtbot, open_window, viewer_library):
    library_dir, folder = viewer_library
    window = open_window(library_dir)
    viewer = open_photo(qtbot, window, "t1.heic")
    assert Path(viewer.info.path) == folder / "t1.heic"
    assert (viewer.canvas.image.width(), viewer.canvas.image.height()) == tuple(viewer.info.size)
    assert len(viewer.info.faces) == 6
