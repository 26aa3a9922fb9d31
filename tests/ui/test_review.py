"""The review pane: a question at a time, answered with Y, N or S; a yes
merges, a no lasts (through a re-grouping and a restart), Ctrl+Z undoes an
answer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from faceorganizer.library import FaceLibrary
from faceorganizer.ui.panes.sidebar import REVIEW

from .gestures import activate, people_state


@pytest.fixture
def split_person_library(tmp_path, analyzer, make_photos):
    """Four shots of t1.jpg's six people, one person split in two pieces of
    two faces: (library folder, the two pieces)."""
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as library:
        photos = make_photos("shots", "t1", 4)[0].parent
        library.add_folders([photos])
        library.index_directory(photos)
        person = library.people()[0].cluster_id
        [piece] = library.split_cluster(person, [library.faces_of(person)[:2]]).result
    return folder, {person, piece}


def open_review(qtbot, window):
    """Click the sidebar's Review entry; wait for the service's questions."""
    sidebar = window.sidebar
    item = sidebar.scope_items[REVIEW]
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=sidebar.visualItemRect(item).center())
    pane = window.review_pane
    qtbot.waitUntil(lambda: pane.isVisible() and item.text(0) != "Review", timeout=30_000)
    assert not window.people_pane.isVisible() and not window.faces_pane.isVisible()
    assert pane.width() > window.width() // 2  # in the place of the people and the faces
    return pane


def face_counts(window) -> list[int]:
    return sorted(p.face_count for p in window.browser.people)


def test_y_merges_the_split_person_and_ctrl_z_undoes_it(qtbot, open_window, split_person_library):
    folder, pieces = split_person_library
    window = open_window(folder)
    activate(qtbot, window)
    pane = open_review(qtbot, window)
    first = pane.question
    assert first.text == "Same person?"
    assert [len(first.left), len(first.right)] == [2, 2]
    assert first.left_label == first.right_label == "Unnamed · 2 faces"
    assert window.sidebar.scope_items[REVIEW].text(0) == f"Review  ·  {pane.open_count:,}"
    assert face_counts(window) == [2, 2, 4, 4, 4, 4, 4]

    qtbot.keyClick(pane, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: face_counts(window) == [4] * 6, timeout=20_000)
    assert window.status_message.text().startswith("Merge an unnamed person (2 faces) into")
    assert pane.question is None or pane.question.id != first.id

    qtbot.keyClick(pane, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: face_counts(window) == [2, 2, 4, 4, 4, 4, 4], timeout=20_000)
    assert window.status_message.text().startswith("Undone: Merge an unnamed person")
    # Asked again once the service has computed its queue anew.
    qtbot.waitUntil(lambda: pane.question is not None and pane.question.id == first.id, timeout=30_000)


def test_n_is_remembered_through_regrouping_and_a_restart(qtbot, open_window, split_person_library):
    folder, pieces = split_person_library
    window = open_window(folder)
    activate(qtbot, window)
    pane = open_review(qtbot, window)
    first = pane.question
    before = people_state(window)

    qtbot.keyClick(pane, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.status_message.text().startswith(
        "An unnamed person (2 faces) is not the same person as an unnamed person (2 faces)"), timeout=20_000)
    assert pane.question is None or pane.question.id != first.id
    qtbot.waitUntil(lambda: window.undo_action.text().startswith(
        "Undo an unnamed person (2 faces) is not the same person"), timeout=20_000)

    window.recluster()
    qtbot.waitUntil(lambda: " faces unassigned (" in window.status_message.text(), timeout=60_000)  # as `cluster` says
    assert people_state(window) == before  # a no moves no face, and grouping again keeps the two apart
    window.close()

    window = open_window(folder)
    pane = open_review(qtbot, window)
    assert people_state(window) == before
    assert first.id not in {q.id for q in pane.questions}


def test_s_skips_to_the_next_question(qtbot, open_window, split_person_library):
    folder, _ = split_person_library
    window = open_window(folder)
    activate(qtbot, window)
    pane = open_review(qtbot, window)
    shown = [pane.question.id]
    while pane.question is not None and len(shown) <= len(pane.questions):
        qtbot.keyClick(pane, Qt.Key.Key_S)
        shown.append(pane.question.id if pane.question else None)
    assert shown[-1] is None and len(set(shown[:-1])) == len(shown) - 1
    assert pane.empty.text() == "You skipped every open question. They are asked again next time."
    assert face_counts(window) == [2, 2, 4, 4, 4, 4, 4]  # a skip changes nothing
