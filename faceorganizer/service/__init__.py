"""The library service: the one process that owns the library.

The window runs it in a child process (faceorganizer.ui.worker starts it) and
talks to it over a pipe in the messages of faceorganizer.protocol: calls with
an id come in, one reply per call and events go out. A process, not a
thread, because the embedded store is pure Python: on a thread it would hold
the GIL for most of an indexing run, and every paint of the window (a Python
call per tile) would wait for it. `serve` (service.process) is that process;
LibraryService (service.core) runs the calls and LibraryJobs (service.jobs)
the long jobs.

This package imports no Qt.
"""

from faceorganizer.service.core import LibraryService
from faceorganizer.service.process import serve

__all__ = ["LibraryService", "serve"]
