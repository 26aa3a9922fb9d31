"""The service's child process: `serve` says Hello over the pipe to the
window, then runs the calls that arrive on a LibraryService until the window
sends None or goes away, and while no call waits lets the service do its
idle work (syncing, the review questions, the watched folders).

This module imports no Qt.
"""

from __future__ import annotations

import logging
import os

from faceorganizer.errors import stacks_on_crash
from faceorganizer.protocol import PROTOCOL_VERSION, Call, Close, Hello
from faceorganizer.service.core import LibraryService
from faceorganizer.threads import lower_process_priority

#: After this long without a call, the library's writes are made durable (s).
_IDLE_SECONDS = 1.0
#: How often the review questions being computed are looked for (s).
_QUESTIONS_SECONDS = 0.2


def serve(connection, cancel_event) -> None:
    """The child process: say Hello, then run calls from `connection` until it sends None."""
    stacks_on_crash()
    lower_process_priority(10)  # background work: the window and the user's programs first
    logging.basicConfig(level=logging.WARNING, format="faceorganizer: %(levelname)s: %(message)s")

    def poll() -> Call | None:
        try:
            if not connection.poll():
                return None
            call = connection.recv()
        except (EOFError, OSError):  # the window is gone
            call = None
        if call is None:
            service.quitting = True
            cancel_event.set()
        return call

    def send(message) -> None:
        try:
            connection.send(message)
        except (BrokenPipeError, OSError):  # the window is gone
            service.quitting = True
            cancel_event.set()

    service = LibraryService(send, poll, cancel_event)
    send(Hello(PROTOCOL_VERSION, os.getpid()))
    try:
        while not service.quitting:
            try:
                if not connection.poll(_QUESTIONS_SECONDS if service.review.running else _IDLE_SECONDS):
                    service.idle()
                    continue
                call = connection.recv()
            except (EOFError, OSError):
                break
            if call is None:
                break
            service.dispatch(call)
    finally:
        service._close(Close(), say=False)
        connection.close()
