"""The progress of a long command on stderr, through tqdm: a bar on a
terminal, a line every few seconds when stderr is a log or a pipe; counting
photos, it shows the faces found so far, and the time left once it can
tell."""

from __future__ import annotations

import shutil
import sys
import time

from tqdm import tqdm

from faceorganizer.humanize import duration

BAR = "{desc} {bar:24} {n:,}/{total:,} {unit}{found}{left}"
LINE = "{desc}: {n:,}/{total:,} {unit}{found}{left}"


class Progress:
    """The bar of one step at a time (`start`), fed by `update(done, total)`
    as the library reports it; `faces` is the count of faces found so far."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.bar: _Bar | None = None
        self.faces = 0
        self.started = time.monotonic()
        self.label = ""
        self.unit = "photos"

    def start(self, label: str, unit: str = "photos") -> None:
        """A new bar, counting `unit` (photos: with the faces found so far)."""
        self.finish()
        self.label, self.unit, self.faces, self.started = label, unit, 0, time.monotonic()

    def update(self, done: int, total: int) -> None:
        if total == 0:
            return
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
            if complete:  # with the faces of the last photos, counted after their progress
                self.bar.refresh()
            self.bar.leave = self.tty and complete
            self.bar.close()
            self.bar = None

    def time_left(self, done: int, total: int) -> float | None:
        if not done or done >= total:
            return None
        return (time.monotonic() - self.started) / done * (total - done)


class _Bar(tqdm):
    """tqdm showing the faces found and the time left as the rest of the command says them."""

    monitor_interval = 0  # updates come often enough: no thread to force a refresh

    def __init__(self, progress: Progress, **kwargs):
        self.progress = progress
        tty = progress.tty
        super().__init__(desc=progress.label, unit=progress.unit, file=progress.stream,
                         bar_format=BAR if tty else LINE, mininterval=0.1 if tty else 5.0, miniters=1,
                         nrows=shutil.get_terminal_size().lines, **kwargs)  # 24 where a terminal says 0

    @property
    def format_dict(self):
        progress = self.progress
        left = progress.time_left(self.n, self.total)
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
