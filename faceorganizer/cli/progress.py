"""The progress of a long command on stderr: a bar on a terminal, a line
every few seconds when stderr is a log or a pipe."""

from __future__ import annotations

import sys
import time

from faceorganizer.humanize import duration


class Progress:
    """A progress bar on a terminal; a line every few seconds otherwise."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.faces = 0
        self.started = time.monotonic()
        self.last = 0.0
        self.label = ""
        self.unit = "photos"

    def start(self, label: str, unit: str = "photos") -> None:
        """A new bar, counting `unit` (photos: with the faces found so far)."""
        self.label, self.faces, self.started, self.last = label, 0, time.monotonic(), 0.0
        self.unit = unit

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last = now
        if total == 0:
            return
        elapsed = now - self.started
        left = elapsed / done * (total - done) if done else None
        eta = f" · {duration(left)} left" if left is not None and done < total else ""
        found = f" · {self.faces:,} faces" if self.unit == "photos" else ""
        text = f"{done:,}/{total:,} {self.unit}{found}{eta}"
        if self.tty:
            width = 24
            filled = int(width * done / total)
            bar = "█" * filled + "░" * (width - filled)
            self.stream.write(f"\r\x1b[K{self.label} {bar} {text}")
            if done == total:
                self.stream.write("\n")
        else:
            self.stream.write(f"{self.label}: {text}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.last:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
