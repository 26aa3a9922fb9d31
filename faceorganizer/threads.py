"""The worker threads of long jobs (indexing, a change of face models), of
the window's thumbnails and of the library's service process: background
work at a lower priority, and results in order with a bounded number in
flight."""

from __future__ import annotations

import os
import sys
import threading


def lower_thread_priority(niceness: int) -> None:
    """Make the calling thread yield the CPU to the rest (the window, the
    user's other programs): indexing is background work. Linux only (threads
    have their own nice value there); elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        _renice(threading.get_native_id(), niceness)


def lower_process_priority(niceness: int) -> None:
    """Make every thread of this process yield the CPU to the rest, and the
    threads it starts from now on: on Linux a niceness is a thread's, and
    some started before this (numpy's OpenBLAS workers, at its import)."""
    if not sys.platform.startswith("linux"):
        if hasattr(os, "nice"):
            os.nice(niceness)
        return
    for thread in os.listdir("/proc/self/task"):
        _renice(int(thread), niceness)


def _renice(thread_id: int, niceness: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, thread_id, niceness)
    except OSError:  # gone, or not ours to change
        pass


def bounded_map(pool, fn, items, lookahead: int, cancel: threading.Event | None):
    """pool.map, in order, with at most `lookahead` items in flight, and
    stopping early (after the items in flight) when `cancel` is set."""
    items = iter(items)
    in_flight = []
    for item in items:
        if cancel is not None and cancel.is_set():
            break
        in_flight.append(pool.submit(fn, item))
        if len(in_flight) >= lookahead:
            yield in_flight.pop(0).result()
    for future in in_flight:
        yield future.result()
