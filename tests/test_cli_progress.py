"""What `faceorganizer index` shows while it works: on a terminal a bar, in a
log or a pipe whole lines, with the photos done, the faces found so far and
the time left."""

from __future__ import annotations

import os
import pty
import subprocess
import sys


def test_a_log_gets_whole_lines_ending_with_every_photo_done(tmp_path, photo_folder):
    result = subprocess.run(
        [sys.executable, "-m", "faceorganizer", "index", "--library", str(tmp_path / "lib"), str(photo_folder)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "\r" not in result.stderr
    assert all(line.startswith(f"Indexing {photo_folder}: ") for line in lines), lines
    assert lines[-1].endswith(f" 2/2 photos · {_faces_found(result.stdout)} faces"), lines


def test_a_terminal_gets_a_bar_that_stays_when_the_folder_is_done(tmp_path, photo_folder):
    terminal, stderr = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "faceorganizer", "index", "--library", str(tmp_path / "lib"), str(photo_folder)],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
    )
    os.close(stderr)
    shown = b""
    while chunk := _read(terminal):
        shown += chunk
    summary, _ = process.communicate(timeout=300)
    os.close(terminal)
    assert process.returncode == 0
    last = shown.decode().replace("\r\n", "\n").split("\r")[-1]
    assert last == f"Indexing {photo_folder} {'█' * 24} 2/2 photos · {_faces_found(summary)} faces\n"


def _faces_found(summary: str) -> int:
    """The faces the summary says were found: '...; 23 faces found (2 s)'."""
    assert "2 photos seen, 2 indexed" in summary, summary
    return int(summary.split("; ")[1].split(" faces found")[0])


def _read(terminal: int) -> bytes:
    try:
        return os.read(terminal, 4096)
    except OSError:  # the command closed the terminal
        return b""
