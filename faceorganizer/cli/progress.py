"""The progress of a long command on stderr, through tqdm: a bar on a
terminal, a line every few seconds when stderr is a log or a pipe; counting
photos, it shows the faces found so far, and the time left once it can
tell. `run_job` runs a job of faceorganizer.jobs with its bar."""

from __future__ import annotations

import shutil
import signal
import sys
import threading

from tqdm import tqdm

from faceorganizer.humanize import duration
from faceorganizer.jobs import Failed, Finished, FolderIndexed, Progress, Started

BAR = "{desc} {bar:24} {n:,}/{total:,} {unit}{found}{left}"
LINE = "{desc}: {n:,}/{total:,} {unit}{found}{left}"


def cancel_on_interrupt() -> threading.Event:
    """An event set by the first Ctrl+C (a job then stops after the photos in
    progress, keeping what it did); the second stops at once."""
    cancel = threading.Event()

    def interrupt(_signum, _frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        sys.stderr.write("\nStopping after the photos in progress (Ctrl+C again to stop at once)\n")

    signal.signal(signal.SIGINT, interrupt)
    return cancel


def run_job(job, cancel: threading.Event | None = None, shown: bool = True) -> Finished:
    """Run `job` with its progress drawn on stderr (if `shown`) and the
    summary of each folder it indexed printed; how it ended."""
    bar = ProgressBar() if shown else None
    ended: Finished | None = None

    def show(event) -> None:
        nonlocal ended
        if bar is not None:
            bar.show(event)
        if isinstance(event, FolderIndexed):
            print(event.summary(), flush=True)
        elif isinstance(event, Finished):
            ended = event

    job.run(show, cancel)
    return ended


class ProgressBar:
    """The bar of one step of a job at a time, drawn from the job's events."""

    def __init__(self, stream=None):
        self.stream = stream = stream or sys.stderr  # the one of now (tests capture it), not of the import
        self.tty = stream.isatty()
        self.bar: _Bar | None = None
        self.label = ""
        self.unit = "photos"
        self.faces = 0
        self.seconds_left: float | None = None

    def show(self, event) -> None:
        if isinstance(event, Started):
            self.finish()
            self.label, self.unit, self.faces, self.seconds_left = event.label, event.unit, 0, None
        elif isinstance(event, Progress):
            self.faces, self.seconds_left = event.faces, event.seconds_left
            self.update(event.done, event.total)
        elif isinstance(event, (FolderIndexed, Finished, Failed)):
            self.finish()

    def update(self, done: int, total: int) -> None:
        if self.bar is None or self.bar.total != total:
            self.finish()
            self.bar = (_Bar if self.tty else _LineBar)(self, total=total, initial=done)
        elif done != self.bar.n:
            self.bar.update(done - self.bar.n)
        if done == total:  # the end is always shown
            self.bar.refresh()

    def finish(self) -> None:
        """Close the bar: a finished one stays on a terminal, one stopped early is cleared."""
        if self.bar is not None:
            complete = self.bar.n >= self.bar.total
            self.bar.leave = self.tty and complete
            self.bar.close()
            self.bar = None


class _Bar(tqdm):
    """tqdm showing the faces found and the time left as the rest of the command says them."""

    monitor_interval = 0  # updates come often enough: no thread to force a refresh

    def __init__(self, progress: ProgressBar, **kwargs):
        self.progress = progress
        tty = progress.tty
        super().__init__(desc=progress.label, unit=progress.unit, file=progress.stream,
                         bar_format=BAR if tty else LINE, mininterval=0.1 if tty else 5.0, miniters=1,
                         nrows=shutil.get_terminal_size().lines, **kwargs)  # 24 where a terminal says 0

    @property
    def format_dict(self):
        progress = self.progress
        left = progress.seconds_left
        return {
            **super().format_dict,
            "ncols": None,  # the whole line, as the terminal wraps it: tqdm would cut off the count
            "found": f" · {progress.faces:,} faces" if progress.unit == "photos" else "",
            "left": f" · {duration(left)} left" if left is not None else "",
        }


class _LineBar(_Bar):
    """A whole line each time it changes, for a log or a pipe (tqdm rewrites
    one line with \\r)."""

    shown = ""

    def display(self, msg=None, pos=None):
        line = msg if msg is not None else str(self)
        if not line or line == self.shown:  # tqdm clearing its line, or nothing new
            return False
        self.shown = line
        self.fp.write(f"{line}\n")
        self.fp.flush()
        return True
