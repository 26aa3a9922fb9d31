"""Numbers and phrases as people read them, for the command line and the window."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '2 h 07 min'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def count(number: int, word: str) -> str:
    """'1 face', '2,140 faces'."""
    return f"{number:,} {word}{'s' * (number != 1)}"


def lower_first(text: str) -> str:
    """A sentence to follow other words: 'Merge ...' -> 'merge ...'."""
    return text[:1].lower() + text[1:]
