"""Indexing from the window: what it says while it works, what it could not
read, and the work an interrupted run left."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QTreeWidget

from faceorganizer.humanize import count
from faceorganizer.library import FaceLibrary
from faceorganizer.protocol import UNASSIGNED, AddFolders, ListPeople

from .gestures import wait_change


def test_photos_that_could_not_be_read_are_listed_with_their_reasons(qtbot, open_window, tmp_path, make_photos):
    folder = make_photos("photos", "t1", 2)[0].parent
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    (folder / "empty.png").write_bytes(b"")
    window = open_window(tmp_path / "library")
    window.client.call(AddFolders((str(folder),)))
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed"), timeout=60_000)
    assert "2 photos could not be read" in window.status_message.text()
    assert window.status_link.isVisible()

    window.status_link.linkActivated.emit("unreadable")
    dialog = window.unreadable_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    tree = dialog.findChild(QTreeWidget)
    rows = {tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())}
    assert set(rows) == {"broken.jpg", "empty.png"}
    assert all(reason for reason in rows.values())
    assert tree.topLevelItem(0).toolTip(0).startswith(str(folder))
    dialog.close()

    # A rescan still names them: they cannot be read still.
    window.actions.rescan.trigger()
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed")
                    and "0 photos" in window.status_message.text(), timeout=60_000)
    assert "2 photos could not be read" in window.status_message.text() and window.status_link.isVisible()


def faces_shown(window) -> int:
    return sum(p.face_count for p in window.browser.people) + window.browser.unassigned_count


def test_indexing_cut_short_by_closing_the_window_goes_on_when_it_opens_again(qtbot, open_window, tmp_path,
                                                                            make_photos, analyzer):
    folder = make_photos("many", "players", 16)[0].parent
    with FaceLibrary(tmp_path / "reference", analyzer=analyzer) as reference:
        reference.index_directory(folder)
        all_faces = reference.count()

    window = open_window(tmp_path / "library")
    window.client.call(AddFolders((str(folder),)))
    qtbot.waitUntil(lambda: window.progress_bar.value() >= 2, timeout=60_000)
    window.close()

    window = open_window(tmp_path / "library", wait_ready=False)
    qtbot.waitUntil(lambda: window.progress_bar.isVisible(), timeout=60_000)
    left = window.progress_bar.maximum()
    assert 0 < left < 16
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed"), timeout=120_000)
    assert window.status_message.text().startswith(f"Indexed: {count(left, 'photo')}")
    assert faces_shown(window) == all_faces


def test_an_unchanged_library_opens_without_a_word_about_indexing(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    qtbot.waitUntil(lambda: window.status_message.text().endswith("stored on this computer"), timeout=20_000)
    window.client.call(ListPeople())  # answered after the check for unfinished work
    shown = window.peopleShown
    with qtbot.waitSignal(shown, timeout=20_000):
        pass
    assert window.status_message.text().endswith("stored on this computer")
    assert not window.progress_bar.isVisible() and not window.job_running


def sidebar_count(item) -> int:
    """'All people  ·  1,234' -> 1234"""
    return int(item.text(0).rsplit("·", 1)[1].replace(",", ""))


def leading_count(text: str) -> int:
    """'People  (1,234)' or '1,234 faces · least sure first' -> 1234"""
    return int(re.search(r"\d[\d,]*", text)[0].replace(",", ""))


def test_while_photos_are_indexed_the_counts_agree(qtbot, open_window, tmp_path, make_photos):
    # Enough photos that indexing outlasts several people lists (one a second) on a fast machine.
    folder = make_photos("many", "players", 30)[0].parent
    window = open_window(tmp_path / "library")
    seen = []

    def check():
        seen.append(window.job_running)
        people = sidebar_count(window.sidebar.scope_items["all"])
        assert leading_count(window.people_pane.title.text()) == people == window.people_model.rowCount()
        key = window.browser.current_key
        if key == UNASSIGNED:
            assert leading_count(window.faces_pane.subtitle.text()) == sidebar_count(window.sidebar.scope_items[UNASSIGNED])
        elif key is not None:
            faces = next(p.face_count for p in window.browser.people if p.cluster_id == key)
            assert leading_count(window.faces_pane.subtitle.text()) == faces

    window.peopleShown.connect(check)
    window.client.call(AddFolders((str(folder),)))
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed"), timeout=120_000)
    assert seen.count(True) >= 3  # checked while indexing


def test_the_first_people_found_take_the_place_of_the_unassigned_faces(qtbot, open_window, tmp_path, make_photos):
    window = open_window(tmp_path / "library")
    one_shot = make_photos("one shot", "t1", 1)[0].parent
    window.client.call(AddFolders((str(one_shot),)))
    qtbot.waitUntil(lambda: window.browser.current_key == UNASSIGNED and window.faces_model.rowCount() == 6, timeout=60_000)
    assert window.people_model.rowCount() == 0  # a person needs two faces

    more = make_photos("more shots", "t1", 2, first_seed=1)[0].parent
    window.client.call(AddFolders((str(more),)))
    qtbot.waitUntil(lambda: window.people_model.rowCount() == 6, timeout=60_000)
    qtbot.waitUntil(lambda: window.browser.current_key == window.people_model.item(0).cluster_id, timeout=10_000)

    window.browser.set_scope(UNASSIGNED)  # the user's choice stays
    wait_change(qtbot, window, lambda: window.corrections.rename(window.people_model.item(0).cluster_id, "Anna"))
    assert window.browser.current_key == UNASSIGNED
