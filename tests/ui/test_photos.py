"""The Photos view: a person's photos by date, several people's photos
together, a folder's photos with their people, and the viewer from there."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest

from faceorganizer.library import FaceLibrary

from conftest import dated_copy, photo_variant


@pytest.fixture
def dated_library(tmp_path, analyzer, sample_photos):
    """(library, folder, Anna, Ben): t1's six people in 2019, 2020 (a file
    without EXIF) and 2021, Anna alone with two others in 2022, and a
    landscape without faces, stored on its side; Ben is not in the 2022 photo."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed, taken in enumerate(["2019:07:01 09:00:00", None, "2021:12:24 18:30:00"]):
        shot = photo_variant(sample_photos["t1"], tmp_path / f"variant-{seed}.jpg", seed)
        dated_copy(shot, folder / f"t1-{seed}.jpg", taken)
    os.utime(folder / "t1-1.jpg", (datetime(2020, 3, 4, 5, 6, 7).timestamp(),) * 2)
    dated_copy(sample_photos["t1"], folder / "left.jpg", "2022:05:01 12:00:00", crop=(0, 0, 640, 886))
    sky = Image.linear_gradient("L").resize((300, 400)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: upright it is 400 x 300
    sky.save(folder / "sky.jpg", quality=90, exif=exif)
    os.utime(folder / "sky.jpg", (datetime(2018, 8, 1, 12).timestamp(),) * 2)
    with FaceLibrary(tmp_path / "library", analyzer=analyzer) as library:
        library.add_folders([folder])
        library.index_directory(folder)
        library.cluster_all()
        left = library.store.get_photos([p["id"] for p in library.store.iter_photos() if p["path"].endswith("left.jpg")])
        in_left = {library.catalog.state(f).cluster_id for f in left[0]["face_ids"]}
        everyone = {p.cluster_id for p in library.people()}
        anna, ben = min(in_left), min(everyone - in_left)
        library.rename(anna, "Anna")
        library.rename(ben, "Ben")
    return tmp_path / "library", folder, anna, ben


def _shown(window) -> list[str]:
    return [os.path.basename(p.path) for p in window.photos.grid.photos]


def _choose(qtbot, window, person: int, flag=QItemSelectionModel.SelectionFlag.ClearAndSelect) -> None:
    model = window.people_model
    window.people_view.selectionModel().setCurrentIndex(model.index(model.row_of(person)), flag)


def _wait_thumbnails(qtbot, window) -> None:
    grid = window.photos.grid
    qtbot.waitUntil(lambda: all(grid.thumbnails.pixmap(grid.photos[i].image_id) is not None
                                for i in grid.visible_photos()), timeout=20_000)


def test_a_persons_photos_by_year_and_month_and_the_photos_of_two_people(qtbot, open_window, dated_library):
    library, _folder, anna, ben = dated_library
    window = open_window(library)
    _choose(qtbot, window, anna)
    qtbot.waitUntil(lambda: window.browser.current_key == anna)
    pane = window.faces_pane
    assert pane.faces_button.isVisible() and pane.faces_button.isChecked()

    qtbot.mouseClick(pane.photos_button, Qt.MouseButton.LeftButton)
    grid = window.photos.grid
    qtbot.waitUntil(lambda: window.photos.loaded and grid.isVisible())
    assert _shown(window) == ["left.jpg", "t1-2.jpg", "t1-1.jpg", "t1-0.jpg"]
    assert grid.section_titles() == [
        "2022  ·  1 photo", "May  ·  1 photo", "2021  ·  1 photo", "December  ·  1 photo",
        "2020  ·  1 photo", "March  ·  1 photo", "2019  ·  1 photo", "July  ·  1 photo"]
    assert pane.title.text() == "Anna" and pane.photos_subtitle.text() == "4 photos · newest first"
    assert grid.visible_photos()[:2] == [0, 1]
    _wait_thumbnails(qtbot, window)
    # The whole photo: the left part of t1 is 640 x 886.
    left = grid.thumbnails.pixmap(grid.photos[0].image_id)
    assert left.width() / left.height() == pytest.approx(640 / 886, abs=0.01)

    _choose(qtbot, window, ben, QItemSelectionModel.SelectionFlag.Select)
    qtbot.waitUntil(lambda: window.photos.loaded and bool(window.photos.together))
    assert pane.title.text() == "Anna and Ben"
    assert _shown(window) == ["t1-2.jpg", "t1-1.jpg", "t1-0.jpg"]
    assert pane.photos_subtitle.text() == "3 photos they are all in · newest first"
    assert not pane.faces_button.isVisible()

    # One person again: their page, on Photos still.
    _choose(qtbot, window, ben)
    qtbot.waitUntil(lambda: window.photos.loaded and not window.photos.together and len(_shown(window)) == 3)
    assert pane.title.text() == "Ben" and pane.photos_button.isChecked()
    qtbot.mouseClick(pane.faces_button, Qt.MouseButton.LeftButton)
    assert window.faces_view.isVisible() and not grid.isVisible()


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the viewer raises itself; offscreen cannot
def test_a_folders_photos_with_their_people_and_the_viewer(qtbot, open_window, dated_library):
    library, folder, anna, _ben = dated_library
    window = open_window(library)
    sidebar = window.sidebar
    item = sidebar.library_section.child(0)
    sidebar.itemClicked.emit(item, 0)
    grid = window.photos.grid
    qtbot.waitUntil(lambda: window.photos.loaded and grid.isVisible())
    assert window.faces_pane.title.text() == "photos"
    assert _shown(window) == ["left.jpg", "t1-2.jpg", "t1-1.jpg", "t1-0.jpg", "sky.jpg"]
    assert grid.badges and not window.faces_pane.faces_button.isVisible()
    assert grid.section_titles()[-2:] == ["2018  ·  1 photo", "August  ·  1 photo"]
    assert grid.accessibleName() == "Photos (5 photos)"
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_Right)  # the tiles are painted: the grid's name says the one chosen
    assert grid.accessibleName().startswith("Photo 1 of 5: left.jpg, ") and "Anna" in grid.accessibleName()
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum())
    _wait_thumbnails(qtbot, window)
    sky = grid.thumbnails.pixmap(grid.photos[4].image_id)
    assert sky.width() / sky.height() == pytest.approx(4 / 3, abs=0.02)  # upright

    # Double-click: the viewer, on that photo, its faces named.
    grid.verticalScrollBar().setValue(0)
    QTest.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.tile_rect(0).center())
    qtbot.waitUntil(lambda: window.browser.viewer is not None and window.browser.viewer.isVisible())
    viewer = window.browser.viewer
    qtbot.waitUntil(lambda: viewer.info.path.endswith("left.jpg"))
    assert "Anna" in {f.name for f in viewer.info.faces}
    # A photo without faces opens too.
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum())
    QTest.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.tile_rect(4).center())
    qtbot.waitUntil(lambda: viewer.info.path.endswith("sky.jpg") and not viewer.canvas.image.isNull())
    viewer.close()

    # Choosing a person again leaves the folder.
    _choose(qtbot, window, anna)
    qtbot.waitUntil(lambda: window.faces_pane.title.text() == "Anna" and window.faces_view.isVisible())
