"""Starting the service's process. Light (no Qt, not the library's code):
the window's program starts it before it loads its own code, and the
process loads the library meanwhile, on the other core (at 100,000 faces,
the people were listed 2.5-2.9 s after the program started when the window
started the process; 1.6-1.9 s now, the command line parsing its command
before any of the library's code loads)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any, NamedTuple


class Started(NamedTuple):
    """A service process, its end of the pipe and the event that cancels its job."""

    process: Any  # a multiprocessing Process of the spawn context
    connection: Connection
    cancel: Any  # a multiprocessing Event


def start() -> Started:
    """Start the service process (faceorganizer.service.process.serve)."""
    # spawn, not fork: a forked copy of a process running Qt is unsafe.
    context = multiprocessing.get_context("spawn")
    connection, child = context.Pipe()
    cancel = context.Event()
    process = context.Process(target=_serve, args=(child, cancel), name="faceorganizer-library", daemon=True)
    process.start()
    child.close()
    return Started(process, connection, cancel)


def _serve(connection: Connection, cancel) -> None:
    from faceorganizer.service.process import serve

    serve(connection, cancel)
