"""The errors the core raises; each carries a message meant for the user;
and `stacks_on_crash`, for the errors no one raises."""

import faulthandler
import sys


class FaceOrganizerError(Exception):
    """Base class of every error the core raises on purpose."""


class ImageLoadError(FaceOrganizerError):
    """A photo could not be read: missing, unreadable, corrupt, truncated, too large."""

    def __init__(self, source: object, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class NoFaceDetectedError(FaceOrganizerError):
    """The photo was read but holds no face."""


class FilterRejectedError(FaceOrganizerError):
    """Faces were found, but each is too small or too unsure to keep."""


class FaceNotFoundError(FaceOrganizerError, KeyError):
    """No face with this id is in the library."""

    def __str__(self) -> str:
        return f"no face with id {self.args[0]!r} in the library"


class LibraryLockedError(FaceOrganizerError):
    """Another process has the library open."""


class ModelLoadError(FaceOrganizerError):
    """The face models could not be found or loaded."""


class PersonNotFoundError(FaceOrganizerError, KeyError):
    """No person with this id is in the library."""

    def __str__(self) -> str:
        return f"no person with id {self.args[0]!r} in the library"


class CorrectionError(FaceOrganizerError, ValueError):
    """A correction that makes no sense (a person merged into itself, a face
    split off a person it is not in); nothing was changed."""


class DuplicateNameError(CorrectionError):
    """Another person already has this name."""


class DiskFullError(FaceOrganizerError):
    """The disk holding the library has too little free space to write safely;
    nothing was written, and what was written before is kept."""


class ReadOnlyLibraryError(FaceOrganizerError):
    """The library's folder cannot be written (a backup drive, a read-only
    share): it can be browsed, not changed."""


class LibraryDamagedError(FaceOrganizerError):
    """A file of the library's store cannot be read: the library is damaged.
    The message names the file and the command that repairs it."""

    def __init__(self, folder: object, detail: str):
        super().__init__(
            f"The library {folder} is damaged: {detail}. Nothing was changed. "
            f"'faceorganizer check --repair --library {folder}' keeps what can still be read "
            "(the damaged files are set aside), then 'faceorganizer index' finds the lost faces again."
        )
        self.folder = folder
        self.detail = detail


def stacks_on_crash() -> None:
    """Have a crash in C code (Qt, onnxruntime, Qdrant Edge) print every
    thread's Python stack on stderr: where it happened, not a bare
    "Segmentation fault". Not where there is no stderr (a GUI program on
    Windows runs without one) or pytest has it on already."""
    if sys.stderr is None or faulthandler.is_enabled():
        return
    try:
        faulthandler.enable()
    except (RuntimeError, ValueError, OSError):  # a stderr that is no file
        pass
