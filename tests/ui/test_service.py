"""The library's process as the window sees it: a failed call names its
action, and a process that dies is reported and started again with nothing
lost."""

from __future__ import annotations

import os
import signal

from faceorganizer.protocol import AddFolders, Merge

from .gestures import people_state, wait_change


def test_a_failed_correction_is_reported_with_its_action(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    before = people_state(window)
    window.client.call(Merge((999_999,), window.people_model.item(0).cluster_id))
    qtbot.waitUntil(lambda: window.status_message.text().startswith("⚠"), timeout=20_000)
    assert window.status_message.text() == "⚠ Could not merge the people: no person with id 999999 in the library"
    assert people_state(window) == before
    qtbot.waitUntil(lambda: not window.client.pending, timeout=20_000)  # no call is left without its reply


def test_a_killed_library_process_is_restarted_and_loses_no_correction(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    anna, ben = (window.people_model.item(row).cluster_id for row in (0, 1))
    wait_change(qtbot, window, lambda: window.corrections.merge_into([ben], anna))
    merged = people_state(window)
    killed = window.client.process.pid
    os.kill(killed, signal.SIGKILL)
    qtbot.waitUntil(lambda: "was killed" in window.status_message.text(), timeout=20_000)
    assert window.status_message.text() == (
        "⚠ The library's process was killed (signal 9). It was started again; your corrections are kept.")

    qtbot.waitUntil(lambda: window.people_loaded and window.client.process.pid != killed, timeout=60_000)
    qtbot.waitUntil(lambda: people_state(window) == merged, timeout=60_000)
    assert window.undo_action.text().startswith("Undo merge ")
    window.undo_action.trigger()  # the new process undoes what the old one did
    qtbot.waitUntil(lambda: ben in [p.cluster_id for p in window.browser.people], timeout=20_000)



def test_a_process_killed_while_indexing_ends_the_job_and_the_next_one_finishes_it(
        qtbot, open_window, indexed_library, make_photos):
    window = open_window(indexed_library)
    many = make_photos("many", "players", 16)[0].parent
    window.client.call(AddFolders((str(many),)))
    qtbot.waitUntil(lambda: window.cancel_button.isVisible() and window.progress_bar.value() > 0, timeout=60_000)
    os.kill(window.client.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "was killed" in window.status_message.text(), timeout=20_000)
    assert not window.cancel_button.isVisible()  # no progress bar left hanging

    # The new process finishes the folder (the check at open).
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed: "), timeout=120_000)
    assert 0 < int(window.status_message.text().split()[1]) <= 16
    assert str(many) in window.sidebar_folders()
