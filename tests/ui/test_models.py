"""The window's models and views on a real library: consistent through
updates, and safe from a PySide6 bug that crashed them."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible

from faceorganizer.list_changes import keyed
from faceorganizer.protocol import FACE_KEY

from .gestures import select_person, shown_faces, shown_people


def test_the_models_pass_the_model_tester_through_updates(qtmodeltester, open_window, indexed_library):
    window = open_window(indexed_library)
    model, view = window.people_model, window.people_view
    assert model.rowCount() == len(indexed_library.people)
    qtmodeltester.check(model)  # (it goes on checking every update below)
    qtmodeltester.check(window.faces_model)
    people = model.items()
    current = people[3]
    view.setCurrentIndex(model.index(3))
    # The person shown grows to the top and two others go; then they come back, one named.
    model.set_items([replace(current, face_count=99)] + people[5:] + people[:2])
    assert model.item(view.currentIndex().row()).cluster_id == current.cluster_id
    model.set_items(people[:4] + [replace(people[4], name="Anna")] + people[5:])
    assert shown_people(window) == [p.cluster_id for p in people]
    assert model.item(view.currentIndex().row()).cluster_id == current.cluster_id


def test_the_faces_grid_keeps_the_chosen_faces_when_its_list_changes(qtmodeltester, qtbot, open_window,
                                                                    indexed_library):
    """A new list of faces (keyed off the GUI thread, as the window's reader
    thread does) with faces gone, come and moved: the grid shows it, and the
    faces the user chose stay chosen."""
    window = open_window(indexed_library)
    select_person(qtbot, window, 0)
    model, view = window.faces_model, window.faces_view
    qtmodeltester.check(model)
    faces = model.items()
    assert len(faces) >= 3
    chosen = faces[1:3]
    for face in chosen:
        view.selectionModel().select(model.index(model.row_of(face.face_id)),
                                     view.selectionModel().SelectionFlag.Select)
    shuffled = [chosen[1], *faces[3:], chosen[0]]  # the first face goes, the chosen two move apart
    model.set_items(keyed(shuffled, FACE_KEY))
    assert shown_faces(window) == [f.face_id for f in shuffled]
    assert sorted(model.item(i.row()).face_id for i in view.selectionModel().selectedIndexes()) == sorted(
        f.face_id for f in chosen)
    model.set_items(keyed(faces, FACE_KEY))  # and back, the first face with them
    assert shown_faces(window) == [f.face_id for f in faces]
    assert len(view.selectionModel().selectedIndexes()) == 2


def test_a_new_list_of_faces_is_shown_by_its_change_from_the_last(qtmodeltester, qtbot, open_window,
                                                                 indexed_library):
    """The reader thread hands the grid each list with its change from the
    one before (faces gone, come, changed): the grid shows the new list by
    removing and inserting those rows only (no reset, no re-layout), and the
    faces the user chose stay chosen. A change from a list the grid no
    longer shows is not taken: the list is then shown whole."""
    window = open_window(indexed_library)
    model, view = window.faces_model, window.faces_view
    faces = []
    for person in (0, 1):  # the faces of two people, as one list
        select_person(qtbot, window, person)
        faces += model.items()
    assert len(faces) >= 6
    qtmodeltester.check(model)
    shown = keyed(faces[:-1], FACE_KEY)  # all but the last
    model.set_items(shown)
    chosen = faces[2]
    view.selectionModel().select(model.index(2), view.selectionModel().SelectionFlag.Select)
    aged = faces[3]._replace(age=7)
    # The first face goes, the fourth is shown with its age, the last comes.
    after = keyed([faces[1], chosen, aged, *faces[4:]], FACE_KEY, shown)
    last = len(after.items) - 1
    assert after.change is not None
    assert (after.change.gone, after.change.came, after.change.changed) == ([0], [last], [2])
    signals = []
    model.modelReset.connect(lambda: signals.append("reset"))
    model.layoutChanged.connect(lambda: signals.append("layout"))
    model.rowsRemoved.connect(lambda parent, first, last: signals.append(("removed", first, last)))
    model.rowsInserted.connect(lambda parent, first, last: signals.append(("inserted", first, last)))
    model.set_items(after)
    assert signals == [("removed", 0, 0), ("inserted", last, last)]
    assert model.items() == after.items
    assert "7 years old" in model.index(2).data(Qt.ItemDataRole.ToolTipRole)
    assert [model.item(i.row()) for i in view.selectionModel().selectedIndexes()] == [chosen]
    # Moved faces are no change of rows: the list is laid out again.
    moved = keyed([*after.items[1:], after.items[0]], FACE_KEY, after)
    assert moved.change is None
    model.set_items(moved)
    assert model.items() == moved.items
    # A change from a list not shown (here: the one before) is not taken.
    signals.clear()
    model.set_items(keyed(faces, FACE_KEY, after))
    assert model.items() == faces and "layout" in signals


def test_a_face_tile_is_made_round_at_the_grid_size_and_stays_drawn_while_zooming(qtbot, open_window,
                                                                                  indexed_library):
    """The grid's tiles (faces scaled, their corners rounded) are made on the
    thumbnail pool at the grid's size; zoomed, a face keeps its tile, scaled,
    until the tile of the new size is made."""
    window = open_window(indexed_library)
    select_person(qtbot, window, 0)
    model, view = window.faces_model, window.faces_view
    ratio = view.devicePixelRatioF()

    def tile_of(side):
        tile = model.tile(0, side, ratio)
        return tile if tile is not None and tile.deviceIndependentSize().width() == side else None

    side = view.thumb_size
    qtbot.waitUntil(lambda: tile_of(side) is not None, timeout=10_000)
    image = tile_of(side).toImage()
    assert image.width() == round(side * ratio)
    assert image.pixelColor(0, 0).alpha() == 0  # a rounded corner
    assert image.pixelColor(image.width() // 2, image.height() // 2).alpha() == 255

    view.set_thumb_size(side + 32)
    assert model.tile(0, side + 32, ratio) is not None  # the old tile, scaled: no empty tile while zooming
    qtbot.waitUntil(lambda: tile_of(side + 32) is not None, timeout=10_000)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal: no reference count to wear out")
def test_using_the_window_does_not_wear_out_none(qtbot, open_window, indexed_library):
    """PySide6 6.12.0 drops a reference to None each time Python receives
    an empty value from Qt (a data() with nothing for the role, from a model
    or an item): Python < 3.12 then dies "deallocating None". What the
    window reads from its grids, their tiles, their accessible names and
    the sidebar must not wear it out."""
    window = open_window(indexed_library)
    select_person(qtbot, window, 0)
    sidebar = window.sidebar
    items = [sidebar.topLevelItem(i) for i in range(sidebar.topLevelItemCount())]
    items += [item.child(i) for item in items for i in range(item.childCount())]
    before = sys.getrefcount(None)
    for _ in range(40):
        for view in (window.people_view, window.faces_view):
            for step in range(4):
                view.verticalScrollBar().setValue(step * 60)
                view.viewport().repaint()  # the tiles' delegate reads each tile
            tiles = QAccessible.queryAccessibleInterface(view)  # what a screen reader reads
            for row in range(tiles.childCount()):
                tile = tiles.child(row)
                tile.text(QAccessible.Text.Name), tile.text(QAccessible.Text.Description), tile.state()
        for item in items:
            qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=sidebar.visualItemRect(item).center())
    assert sys.getrefcount(None) - before > -50
