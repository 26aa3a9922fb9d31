"""The library service: the one process that owns the library.

The window runs it in a child process (faceorganizer.ui.worker starts it) and
talks to it over a pipe in the messages of faceorganizer.protocol: calls with
an id come in, one reply per call and events go out. A process, not a
thread, because the embedded store is pure Python: on a thread it would hold
the GIL for most of an indexing run, and every paint of the window (a Python
call per tile) would wait for it. `serve` (service.process) is that process;
LibraryService (service.core) runs the calls and LibraryJobs (service.jobs)
the long jobs; `launch.start` starts the process.

This package imports no Qt, and loads the library's code only when asked
for LibraryService or serve: starting the process (launch) needs none of it.
"""

from __future__ import annotations

import importlib

__all__ = ["LibraryService", "serve"]
_WHERE = {"LibraryService": "faceorganizer.service.core", "serve": "faceorganizer.service.process"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
