"""Which person the window shows after a change, a search or a new person."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from faceorganizer.ui.models import PEOPLE_MIME, _mime

from .gestures import activate, click_tile, drop, select_person, shown_people, wait_change
from .test_naming import name_of, type_name


def shown_person(window) -> int | None:
    """The person whose tile is current and whose faces are on the right."""
    index = window.people_view.currentIndex()
    tile = window.people_model.item(index.row()).cluster_id if index.isValid() else None
    assert tile == window.browser.current_key
    return tile


def test_a_person_dropped_on_another_leaves_the_merged_person_shown(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    target = window.people_model.item(0).cluster_id
    source = select_person(qtbot, window, 3)
    size = sum(p.face_count for p in window.browser.people if p.cluster_id in (source, target))
    wait_change(qtbot, window, lambda: drop(window.people_view, _mime(PEOPLE_MIME, [source]), 0))
    qtbot.waitUntil(lambda: window.faces_model.rowCount() == size, timeout=10_000)
    assert shown_person(window) == target


def test_hiding_a_person_shows_the_next_one(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    for row in (2, len(shown_people(window)) - 3):  # in the middle; near the end
        hidden = select_person(qtbot, window, row)
        following = shown_people(window)[row + 1]
        window.people_view.setFocus()
        wait_change(qtbot, window, lambda: qtbot.keyClick(window.people_view, Qt.Key.Key_H))
        assert hidden not in shown_people(window)
        assert shown_person(window) == following
    hidden = select_person(qtbot, window, len(shown_people(window)) - 1)
    before = shown_people(window)[-2]
    wait_change(qtbot, window, window.actions.hide.trigger)
    assert shown_person(window) == before


def test_a_new_person_is_shown_and_asks_for_a_name(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    source = select_person(qtbot, window, 0)
    click_tile(qtbot, window.faces_view, 0)
    face = window.faces_model.item(0).face_id
    wait_change(qtbot, window, lambda: qtbot.keyClick(window.faces_view, Qt.Key.Key_N,
                                                      Qt.KeyboardModifier.ControlModifier))
    new = shown_person(window)
    assert new not in (None, source)
    qtbot.waitUntil(lambda: [f.face_id for f in window.faces_model.items()] == [face], timeout=10_000)
    type_name(qtbot, window, "Dora")
    qtbot.waitUntil(lambda: name_of(window, new) == "Dora", timeout=20_000)


def test_the_new_person_drop_zone_shows_the_new_person(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    select_person(qtbot, window, 1)
    face = window.faces_model.item(0).face_id
    wait_change(qtbot, window, lambda: window.drop_bar.new_person.dropped.emit([face]))
    qtbot.waitUntil(lambda: [f.face_id for f in window.faces_model.items()] == [face], timeout=10_000)
    assert window.people_view.state() == QAbstractItemView.State.EditingState


def test_a_search_without_a_match_empties_the_faces_pane(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    person = window.people_model.item(2).cluster_id
    wait_change(qtbot, window, lambda: window.corrections.rename(person, "Anna"))
    select_person(qtbot, window, 1)
    qtbot.keyClicks(window.search, "ann")
    assert shown_people(window) == [person]
    qtbot.waitUntil(lambda: window.browser.current_key == person and window.faces_pane.title.text() == "Anna", timeout=10_000)
    qtbot.keyClicks(window.search, "x")
    assert shown_people(window) == []
    assert window.browser.current_key is None and window.faces_model.rowCount() == 0
    assert window.faces_pane.title.text() == "" and not window.faces_pane.rename_button.isVisible()
    window.search.clear()
    qtbot.waitUntil(lambda: window.browser.current_key == person and window.faces_model.rowCount() > 0, timeout=10_000)


def test_the_drag_image_leaves_the_target_under_the_cursor_in_sight(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    select_person(qtbot, window, 0)
    for view in (window.faces_view, window.people_view):
        view.selectAll()
        pixmap, hotspot = view.drag_image(view.selectedIndexes())
        image = pixmap.toImage()
        ratio = pixmap.devicePixelRatio()
        # A line of text under the cursor (from 10 px above it to 10 px below) is not covered.
        line = range(max(0, round((hotspot.y() - 10) * ratio)), round((hotspot.y() + 10) * ratio))
        assert all(image.pixelColor(x, y).alpha() == 0 for y in line for x in range(image.width()))
        assert any(image.pixelColor(x, y).alpha() for y in range(image.height()) for x in range(image.width()))
