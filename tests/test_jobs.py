"""The long jobs (faceorganizer.jobs) as both front ends receive them: typed
events from the start to the end, progress through one throttle, one
summary whose counts the command line's folder summary shares, and a cancel
that stops before the next folder."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from faceorganizer.jobs import (
    Cancelled,
    Finished,
    FolderIndexed,
    IndexJob,
    PhotoOutcome,
    Progress,
    Started,
    StepProgress,
)


def run(job, cancel: threading.Event | None = None) -> list:
    events: list = []
    job.run(events.append, cancel)
    return events


def of(kind, events: list) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_indexing_says_its_start_its_progress_each_photo_and_one_summary(library, photo_folder):
    events = run(IndexJob(library, [photo_folder]))
    assert events[0] == Started(f"Indexing {photo_folder}")
    outcomes = of(PhotoOutcome, events)
    assert sorted(Path(o.path).name for o in outcomes) == ["players.jpg", "t1.jpg"]
    found = sum(len(o.face_ids) for o in outcomes)
    last = of(Progress, events)[-1]
    assert (last.done, last.total, last.faces, last.seconds_left) == (2, 2, found, None)
    [folder] = of(FolderIndexed, events)
    assert folder.summary().startswith(f"{photo_folder}: 2 photos seen, 2 indexed, 0 unchanged, 0 failed;"
                                       f" {found} faces found (")
    assert type(events[-1]) is Finished and events[-1].summary.startswith(f"Indexed: 2 photos, {found} faces found (")

    # The window's check when it opens: nothing to do, nothing said.
    quiet = run(IndexJob(library, [photo_folder], quiet=True))
    assert not of(Started, quiet) and not of(Progress, quiet)
    assert type(quiet[-1]) is Finished and quiet[-1].summary == ""

    # A photo that cannot be read: the same count in the folder's summary and the job's.
    (photo_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    events = run(IndexJob(library, [photo_folder], label="Indexing {name}"))
    assert events[0] == Started("Indexing photos")
    [folder] = of(FolderIndexed, events)
    assert "3 photos seen, 0 indexed, 2 unchanged, 1 failed;" in folder.summary()
    assert f"  failed {photo_folder / 'broken.jpg'}: " in folder.summary()
    assert events[-1].summary.startswith("Indexed: 0 photos, 0 faces found, 1 photo could not be read (")
    assert [path for path, _reason in events[-1].problems] == [str(photo_folder / "broken.jpg")]

    # A photo named in another encoding (Latin-1): told when indexing is asked for, like any
    # photo that fails, and not at each of the window's quiet checks (nothing of it is kept).
    (photo_folder / os.fsdecode(b"caf\xe9.jpg")).write_bytes((photo_folder / "t1.jpg").read_bytes())
    events = run(IndexJob(library, [photo_folder]))
    [folder] = of(FolderIndexed, events)
    assert "4 photos seen, 0 indexed, 2 unchanged, 2 failed;" in folder.summary()
    assert f"  failed {photo_folder}/caf\ufffd.jpg: its name is not UTF-8 text: rename it to index it" \
        in folder.summary()
    assert events[-1].summary.startswith("Indexed: 0 photos, 0 faces found, 2 photos could not be read (")
    quiet = run(IndexJob(library, [photo_folder], quiet=True))
    assert type(quiet[-1]) is Finished and quiet[-1].summary == ""


def test_a_cancel_stops_before_the_next_folder_and_keeps_what_is_done(library, make_photos):
    first = make_photos("first", "t1", 1)[0].parent
    second = make_photos("second", "yaoming", 1)[0].parent
    cancel = threading.Event()
    events: list = []

    def emit(event) -> None:
        events.append(event)
        if isinstance(event, FolderIndexed):
            cancel.set()  # Ctrl+C, or the window's Stop, while the first folder ends

    IndexJob(library, [first, second]).run(emit, cancel)
    assert [e.folder for e in of(FolderIndexed, events)] == [str(first)]
    assert type(events[-1]) is Cancelled
    assert events[-1].summary.startswith(f"Stopped: 1 photo, {library.count()} faces found (")
    assert library.count() > 0


def test_progress_goes_out_through_one_throttle_the_first_and_the_last_always():
    sent: list = []
    step = StepProgress(sent.append, "Copying", unit="faces")
    for done in range(1001):
        step.update(done, 1000)
    assert sent[0] == Started("Copying", 1000, "faces")
    progress = of(Progress, sent)
    assert (progress[0].done, progress[-1].done) == (0, 1000)
    assert len(progress) < 1001
