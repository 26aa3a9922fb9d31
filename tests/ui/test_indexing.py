"""Indexing from the window: what it says while it works, what it could not
read, and the work an interrupted run left."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget


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
