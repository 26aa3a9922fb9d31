"""The library service, run in this process on a real library: each call gets
exactly one reply, failures name their action, a failed job still ends, and
undo walks the library's corrections log."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from faceorganizer.library import FaceLibrary
from faceorganizer.protocol import (
    CORRECTED,
    UNDONE,
    Answer,
    Call,
    Changed,
    ChangeSettings,
    Failure,
    HistoryChanged,
    Index,
    JobFinished,
    ListFaceRecords,
    ListHistory,
    ListPeople,
    Merge,
    Open,
    Opened,
    PeopleChanged,
    QuestionsReady,
    Recluster,
    Rename,
    Reply,
    Split,
    Undo,
)
from faceorganizer.service import LibraryService


class Service:
    """A LibraryService whose messages are kept in `sent`."""

    def __init__(self):
        self.sent: list = []
        self.service = LibraryService(self.sent.append, lambda: None, threading.Event())
        self.calls = 0

    def call(self, command) -> list:
        """Run a command; what the service sent for it."""
        self.calls += 1
        start = len(self.sent)
        self.service.dispatch(Call(self.calls, command))
        return self.sent[start:]

    def close(self):
        self.service._close(None, say=False)


@pytest.fixture
def service(tmp_path, analyzer, make_photos):
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.index_directory(make_photos("t1", "t1", 3)[0].parent)
        library.cluster_all()
    running = Service()
    running.call(Open(str(folder)))
    yield running
    running.close()


def replies(sent: list) -> list[Reply]:
    return [m for m in sent if isinstance(m, Reply)]


def of(kind, sent: list) -> list:
    return [m for m in sent if isinstance(m, kind)]


def test_every_call_gets_one_reply_with_its_id(service):
    [opened] = of(Opened, service.sent)
    assert opened.info.settings.cluster_threshold == 0.475
    assert of(HistoryChanged, service.sent) == [HistoryChanged(None, None)]
    people = of(PeopleChanged, service.sent)[-1].people
    anna, ben = people[0].cluster_id, people[1].cluster_id

    sent = service.call(Merge((ben,), anna))
    [changed] = of(Changed, sent)
    assert changed.cause == CORRECTED and changed.description.startswith("Merge ")
    assert of(HistoryChanged, sent)[-1].undo == f"Undo m{changed.description[1:]}"
    assert replies(sent) == [Reply(service.calls)]

    sent = service.call(Undo())
    [undone] = of(Changed, sent)
    assert (undone.cause, undone.description) == (UNDONE, changed.description)
    assert of(HistoryChanged, sent)[-1] == HistoryChanged(None, f"Redo m{changed.description[1:]}")
    assert {p.cluster_id for p in of(PeopleChanged, sent)[-1].people} >= {anna, ben}
    assert replies(sent) == [Reply(service.calls)]

    assert [r.call_id for r in replies(service.sent)] == list(range(1, service.calls + 1))


def test_a_failure_names_the_action_and_changes_nothing(service):
    people = of(PeopleChanged, service.sent)[-1].people
    named = of(PeopleChanged, service.call(Rename(people[0].cluster_id, "Anna")))[-1].people
    sent = service.call(Rename(people[1].cluster_id, "anna"))
    [reply] = replies(sent)
    assert reply.failure.action == "name the person" and "Anna" in reply.failure.message
    assert str(reply.failure).startswith("Could not name the person: ")
    assert not of(Changed, sent)

    [reply] = replies(service.call(ChangeSettings(cluster_threshold=1.5)))
    assert str(reply.failure) == "Could not change the settings: the threshold 1.5 is not a similarity between 0 and 1."
    assert of(PeopleChanged, service.call(ListPeople()))[-1].people == named


def test_a_failed_job_still_ends_and_the_next_one_runs():
    """Jobs asked for with no library open (it failed to open) fail, each
    with its end and its reply."""
    service = Service()
    sent = service.call(Recluster())
    assert sent == [JobFinished("recluster", ""),
                    Reply(1, failure=Failure("group the faces into people", "no library is open."))]
    sent = service.call(Index())
    assert sent == [JobFinished("index", ""), Reply(2, failure=Failure("index the photos", "no library is open."))]


def test_review_questions_are_computed_aside_and_an_answer_shows_the_next_at_once(service):
    people = of(PeopleChanged, service.sent)[-1].people
    person = people[0].cluster_id
    library = service.service.library
    library.split_cluster(person, [library.faces_of(person)[:1]])
    # Idle: the questions are computed on a thread, then sent.
    service.service.idle()
    service.service.review.wait()
    start = len(service.sent)
    service.service.idle()
    [ready] = of(QuestionsReady, service.sent[start:])
    first = ready.questions[0]
    assert ready.open >= 1 and first.text == "Same person?" and [len(first.left), len(first.right)] == [2, 1]
    sent = service.call(Answer(first.id, yes=True))
    [changed] = of(Changed, sent)
    assert changed.cause == CORRECTED and changed.description.startswith("Merge an unnamed person (1 face) into")
    [after] = of(QuestionsReady, sent)
    assert first.id not in {q.id for q in after.questions}
    [reply] = replies(service.call(Answer(first.id, yes=False)))
    assert str(reply.failure) == ("Could not answer the question: this question was answered already, "
                                  "or the people it names changed since.")


def test_the_command_line_s_commands_are_the_service_s_too(service):
    """Split, the faces' records and the corrections log: the typed commands
    the command line runs in process, with the same words and refusals here."""
    people = of(PeopleChanged, service.sent)[-1].people
    person = people[0].cluster_id
    [reply] = replies(service.call(ListFaceRecords(person=person)))
    face = reply.result[0]["id"]
    assert {f["cluster_id"] for f in reply.result} == {person}

    [changed] = of(Changed, service.call(Split(person, (face,))))
    assert changed.description.startswith("Split 1 face off ")
    [reply] = replies(service.call(ListHistory()))
    assert [(e["description"], e["undone"]) for e in reply.result] == [(changed.description, False)]

    service.call(Undo())
    [reply] = replies(service.call(Undo()))
    assert str(reply.failure) == "Could not undo: there is nothing to undo."
    [reply] = replies(service.call(ListFaceRecords(person=10**6)))
    assert reply.failure.action == "list the faces"


_BACKGROUND = """
import faceorganizer  # first, as the program's entry points: it sets numpy's thread timeout
import os, threading, time
import numpy as np
from faceorganizer.threads import lower_process_priority

started_before = threading.Thread(target=time.sleep, args=(2,))
started_before.start()
lower_process_priority(10)
threading.Thread(target=time.sleep, args=(2,)).start()
niceness = {int(t): os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir("/proc/self/task")}

def others_cpu():
    me, total = threading.get_native_id(), 0
    for t in os.listdir("/proc/self/task"):
        if int(t) != me:
            with open(f"/proc/self/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
    return total

a = np.ones((1000, 512), np.float32)
cpu = 0
for _ in range(3):
    a @ a.T
    before = others_cpu()
    time.sleep(0.1)
    cpu += others_cpu() - before
print(sorted(set(niceness.values())), cpu / 1e6)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own niceness on Linux")
def test_the_service_s_background_work_leaves_the_cpu_to_the_window():
    """The service process runs every thread of its at a lower priority, the
    ones started before it lowered it too (numpy's OpenBLAS workers), and
    those workers sleep between matrix products rather than spin: one
    spinning took a core from the window and the face models for 0.1 s
    after each product the library made while indexing and correcting."""
    out = subprocess.run([sys.executable, "-c", _BACKGROUND], capture_output=True, text=True, check=True).stdout
    niceness, idle_cpu_ms = out.rsplit(" ", 1)
    assert niceness == "[10]"
    # Asleep, they take next to nothing; spinning, up to 300 ms (a core's 0.3 s).
    assert float(idle_cpu_ms) < 30
