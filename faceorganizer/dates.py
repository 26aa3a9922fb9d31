"""When a photo was taken: its EXIF date (when the shutter fired, else when
it was digitised), else its file's modification time, saying which.

The EXIF block sits in a photo file's header, which Pillow parses when it
opens the file: no pixel is decoded, and a photo's date costs a fraction of a
millisecond.
"""

from __future__ import annotations

import os
from datetime import datetime

from PIL import Image

#: Where a date came from: EXIF DateTimeOriginal, EXIF DateTimeDigitized, or
#: the file's modification time.
EXIF, DIGITIZED, FILE = "exif", "digitized", "file"

_EXIF_IFD = 0x8769
#: (date tag, offset-from-UTC tag, source), in order of preference.
_DATE_TAGS = ((0x9003, 0x9011, EXIF), (0x9004, 0x9012, DIGITIZED))


def photo_date(path: str | os.PathLike, mtime_ns: int) -> tuple[str, str]:
    """(ISO 8601 date, source) of a photo file whose modification time is
    `mtime_ns`: `source` is EXIF, DIGITIZED or FILE.

    An EXIF date carries its offset from UTC when the camera wrote one, and is
    otherwise the camera's local time, as it was set; a file's date is in the
    local time zone, with its offset.
    """
    return exif_date(path) or (
        datetime.fromtimestamp(mtime_ns / 1e9).astimezone().isoformat(timespec="seconds"),
        FILE,
    )


def exif_date(path: str | os.PathLike) -> tuple[str, str] | None:
    """(ISO 8601 date, EXIF or DIGITIZED) from a photo file's EXIF, or None
    when it has no valid date or cannot be read."""
    try:
        with Image.open(path) as image:
            if image.format == "PNG" and "exif" not in image.info:
                return None  # Pillow would decode the image to look after its pixels
            tags = image.getexif().get_ifd(_EXIF_IFD)
    except Exception:  # Pillow raises many kinds on damaged files; the date is a nicety
        return None
    for date_tag, offset_tag, source in _DATE_TAGS:
        taken = _exif_datetime(tags.get(date_tag), tags.get(offset_tag))
        if taken:
            return taken, source
    return None


def _exif_datetime(value, offset) -> str | None:
    """'YYYY:MM:DD HH:MM:SS' and an optional '+HH:MM' as ISO 8601; None for
    the blanks and zeros cameras write when their clock was never set."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if isinstance(offset, str):
        try:
            when = when.replace(tzinfo=datetime.strptime(offset.strip("\x00 "), "%z").tzinfo)
        except ValueError:
            pass
    return when.isoformat()
