"""Indexing from the window: what it says while it works, what it could not
read, and the work an interrupted run left."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget

from faceorganizer.humanize import count
from faceorganizer.library import FaceLibrary


def test_photos_that_could_not_be_read_are_listed_with_their_reasons(qtbot, open_window, tmp_path, make_photos):
    folder = make_photos("photos", "t1", 2)[0].parent
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    (folder / "empty.png").write_bytes(b"")
    window = open_window(tmp_path / "library")
    window.client.call("add_folders", [str(folder)])
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
    window.rescan_action.trigger()
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed")
                    and "0 photos" in window.status_message.text(), timeout=60_000)
    assert "2 photos could not be read" in window.status_message.text() and window.status_link.isVisible()


def faces_shown(window) -> int:
    return sum(p.face_count for p in window.people) + window.unassigned_count


def test_indexing_cut_short_by_closing_the_window_goes_on_when_it_opens_again(qtbot, open_window, tmp_path,
                                                                            make_photos, analyzer):
    folder = make_photos("many", "players", 16)[0].parent
    with FaceLibrary(tmp_path / "reference", analyzer=analyzer) as reference:
        reference.index_directory(folder)
        all_faces = reference.count()

    window = open_window(tmp_path / "library")
    window.client.call("add_folders", [str(folder)])
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
    window.client.call("people")  # answered after the check for unfinished work
    shown = window.peopleShown
    with qtbot.waitSignal(shown, timeout=20_000):
        pass
    assert window.status_message.text().endswith("stored on this computer")
    assert not window.progress_bar.isVisible() and not window.job_running
