"""Face regions in XMP: the names other photo tools read and write.

digiKam, darktable, Lightroom Classic, Picasa, Immich and Mylio exchange the
people in a photo as Metadata Working Group regions (`mwg-rs:Regions`): per
face a name, the type `Face` and an area (centre x, y, width and height as
fractions of the upright photo), with the photo's size in
`AppliedToDimensions`. Older Windows tools wrote Microsoft's `MP:RegionInfo`
(top-left x, y, width, height), which is read too.

The regions come from the sidecars beside a photo (`photo.jpg.xmp`, as
digiKam and darktable write them, and `photo.xmp`, as Lightroom does) and from
the photo's own XMP. Only sidecars are written, through libexiv2 (the `exiv2`
package): an existing sidecar keeps every other field and region, and is
replaced in one rename once the new one is whole. A photo file is only ever
opened for reading.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import exiv2

from faceorganizer.config import SIDECAR_STYLES
from faceorganizer.errors import FaceOrganizerError

# libexiv2 sets up its XMP toolkit once, here; the toolkit is not
# thread-safe (the exiv2 package lets go of the GIL while it parses), so one
# thread at a time uses it. Its warnings about other tools' metadata are no
# concern of ours.
exiv2.XmpParser.initialize()
exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)
_toolkit = threading.Lock()

#: New sidecars get the permissions of any new file (os.umask only tells by setting it).
_UMASK = os.umask(0o022)
os.umask(_UMASK)

#: Two boxes overlapping this much (intersection over union) are one face.
SAME_FACE_IOU = 0.5

_REGIONS = "Xmp.mwg-rs.Regions"
_LIST = f"{_REGIONS}/mwg-rs:RegionList"
_DIMENSIONS = f"{_REGIONS}/mwg-rs:AppliedToDimensions"
_SUBJECT = "Xmp.dc.subject"
_TAGS = "Xmp.digiKam.TagsList"
_HIERARCHY = "Xmp.lr.hierarchicalSubject"


class SidecarError(FaceOrganizerError):
    """A sidecar that cannot be read or written; nothing of it was changed."""


@dataclass(frozen=True)
class Region:
    """A named face: its centre (x, y) and size (w, h) as fractions of the
    upright photo's width and height."""

    name: str
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def of_box(cls, name: str, bbox: Sequence[float], width: int, height: int) -> Region:
        """The region of a box (x1, y1, x2, y2) in pixels of a width x height photo."""
        x1, y1, x2, y2 = bbox
        return cls(name, round((x1 + x2) / 2 / width, 6), round((y1 + y2) / 2 / height, 6),
                   round((x2 - x1) / width, 6), round((y2 - y1) / height, 6))

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2) in pixels of a width x height photo."""
        return ((self.x - self.w / 2) * width, (self.y - self.h / 2) * height,
                (self.x + self.w / 2) * width, (self.y + self.h / 2) * height)

    def same_face(self, other: Region) -> bool:
        return iou(self.box(1, 1), other.box(1, 1)) >= SAME_FACE_IOU


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def sidecar_path(photo: str | os.PathLike, style: str) -> Path:
    """`photo.jpg.xmp` (digiKam, darktable) or `photo.xmp` (Lightroom)."""
    photo = Path(photo)
    if style == "lightroom":
        return photo.with_suffix(".xmp")
    if style == "digikam":
        return photo.with_name(photo.name + ".xmp")
    raise ValueError(f"unknown sidecar style {style!r}; use one of {', '.join(SIDECAR_STYLES)}")


def read_regions(photo: str | os.PathLike) -> list[Region]:
    """The named face regions of a photo, from its sidecars and its own XMP;
    a face given by several of them is listed once. Unreadable metadata
    counts as none."""
    regions: list[Region] = []
    for source in (*(sidecar_path(photo, style) for style in SIDECAR_STYLES), Path(photo)):
        if source.is_file():
            try:
                with _toolkit:
                    found = regions_in(_read(source))
            except SidecarError:
                continue
            regions += [r for r in found if not any(r.name == s.name and r.same_face(s) for s in regions)]
    return regions


def regions_in(xmp: exiv2.XmpData) -> list[Region]:
    """The named face regions of one XMP packet: MWG's, else Microsoft's."""
    for layout in (_MWG, _MP):
        regions = [r for r in map(layout.parse, _items(xmp, layout.item).values()) if r is not None]
        if regions:
            return regions
    return []


def update_sidecar(path: str | os.PathLike, regions: Sequence[Region], size: tuple[int, int],
                   style: str = "digikam") -> bool:
    """Put `regions` into the sidecar at `path` (made when missing), and their
    names into its keywords (`dc:subject`, digiKam's `TagsList` as
    `People/Name`, and for Lightroom `hierarchicalSubject` as `People|Name`);
    returns whether the sidecar is new.

    A face region already there with one of these names, or on one of these
    faces, is replaced; every other region and field stays. Raises
    SidecarError (the sidecar is left as it was) when it cannot be read or
    written."""
    path = Path(path)
    created = not path.exists()
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if created:
            os.chmod(temp, 0o666 & ~_UMASK)
        else:
            shutil.copyfile(path, temp)
            os.chmod(temp, os.stat(path).st_mode & 0o7777)
        with _toolkit:
            image = exiv2.ImageFactory.create(exiv2.ImageType.xmp, temp) if created else _open(temp, path)
            _put_names(image.xmpData(), regions, size, style)
            try:
                image.writeMetadata()
            except exiv2.Exiv2Error as exc:
                raise SidecarError(f"Cannot write the sidecar {path}: {_reason(exc)}") from None
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return created


# -- reading -------------------------------------------------------------------


def _open(file: str | os.PathLike, name: str | os.PathLike) -> exiv2.Image:
    try:
        image = exiv2.ImageFactory.open(str(file))
        image.readMetadata()
    except exiv2.Exiv2Error as exc:
        raise SidecarError(f"Cannot read the XMP of {name}: {_reason(exc)}") from None
    return image


def _reason(exc: exiv2.Exiv2Error) -> str:
    """libexiv2's message, without the file name it starts with."""
    message = str(exc.args[-1]) if exc.args else str(exc)
    message = message.split(": ", 1)[-1].rstrip(".")
    return message[:1].lower() + message[1:]


def _read(path: Path) -> exiv2.XmpData:
    return _open(path, path).xmpData()


def _items(xmp: exiv2.XmpData, pattern: re.Pattern) -> dict[int, dict[str, str]]:
    """The fields of each item of an array of structures, by item number."""
    items: dict[int, dict[str, str]] = {}
    for datum in xmp:
        match = pattern.match(datum.key())
        if match and match.group(2):
            items.setdefault(int(match.group(1)), {})[match.group(2)] = datum.toString()
    return items


def _mwg_region(fields: dict[str, str]) -> Region | None:
    name = fields.get("mwg-rs:Name", "").strip()
    if not name or fields.get("mwg-rs:Type", "Face") != "Face":
        return None
    if fields.get("mwg-rs:Area/stArea:unit", "normalized") != "normalized":
        return None
    try:
        x, y, w, h = (float(fields[f"mwg-rs:Area/stArea:{k}"]) for k in "xywh")
    except (KeyError, ValueError):
        return None
    return Region(name, x, y, w, h) if w > 0 and h > 0 else None


def _mp_region(fields: dict[str, str]) -> Region | None:
    name = fields.get("MPReg:PersonDisplayName", "").strip()
    try:
        left, top, w, h = (float(v) for v in fields.get("MPReg:Rectangle", "").split(","))
    except ValueError:
        return None
    return Region(name, left + w / 2, top + h / 2, w, h) if name and w > 0 and h > 0 else None


# -- writing -------------------------------------------------------------------


def _put_names(xmp: exiv2.XmpData, regions: Sequence[Region], size: tuple[int, int], style: str) -> None:
    """Put the regions in, and their names in the keywords; a name whose
    region was replaced and is on no region left leaves the keywords."""
    replaced = _put_regions(xmp, regions, size)
    names = {r.name for r in regions}
    stale = replaced - {r.name for r in regions_in(xmp)}
    _update_keywords(xmp, _SUBJECT, exiv2.TypeId.xmpBag, names, stale)
    _update_keywords(xmp, _TAGS, exiv2.TypeId.xmpSeq, {f"People/{n}" for n in names}, {f"People/{n}" for n in stale})
    if style == "lightroom":
        _update_keywords(xmp, _HIERARCHY, exiv2.TypeId.xmpBag, {f"People|{n}" for n in names},
                         {f"People|{n}" for n in stale})


@dataclass(frozen=True)
class _Layout:
    """Where one kind of region list is in XMP, and how its items read and are written."""

    root: str
    list: str
    parse: Callable[[dict[str, str]], Region | None]
    fields: Callable[[Region], list[tuple[str, str | None]]]  # (key below the item, text; None: a structure)

    @property
    def item(self) -> re.Pattern:
        return re.compile(re.escape(self.list) + r"\[(\d+)\](?:/(.*))?$")


def _mwg_fields(region: Region) -> list[tuple[str, str | None]]:
    return [("mwg-rs:Name", region.name), ("mwg-rs:Type", "Face"), ("mwg-rs:Area", None),
            *((f"mwg-rs:Area/stArea:{k}", f"{getattr(region, k):.6f}") for k in "xywh"),
            ("mwg-rs:Area/stArea:unit", "normalized")]


def _mp_fields(region: Region) -> list[tuple[str, str | None]]:
    rectangle = (region.x - region.w / 2, region.y - region.h / 2, region.w, region.h)
    return [("MPReg:PersonDisplayName", region.name), ("MPReg:Rectangle", ", ".join(f"{v:.6f}" for v in rectangle))]


_MWG = _Layout(_REGIONS, _LIST, _mwg_region, _mwg_fields)
_MP = _Layout("Xmp.MP.RegionInfo", "Xmp.MP.RegionInfo/MPRI:Regions", _mp_region, _mp_fields)


def _put_regions(xmp: exiv2.XmpData, regions: Sequence[Region], size: tuple[int, int]) -> set[str]:
    """Put the regions into the MWG list, and into Microsoft's where the
    sidecar has one (digiKam writes both); returns the names of the regions
    they replace."""
    width, height = size
    dimensions = {f"{_DIMENSIONS}/stDim:w": str(width), f"{_DIMENSIONS}/stDim:h": str(height),
                  f"{_DIMENSIONS}/stDim:unit": "pixel"}
    replaced = _rewrite(xmp, _MWG, regions, dimensions)
    if _has(xmp, _MP.root):
        replaced |= _rewrite(xmp, _MP, regions, {})
    return replaced


def _rewrite(xmp: exiv2.XmpData, layout: _Layout, regions: Sequence[Region], settings: dict[str, str]) -> set[str]:
    """Rewrite one region list: the regions there that `regions` do not
    replace (by name, or on the same face), then `regions`. Other fields
    below its root stay, but for `settings` (key: text), which are set.
    Returns the names of the regions replaced."""
    names = {r.name.casefold() for r in regions}
    pattern = layout.item
    items: dict[int, list[tuple[str, exiv2.Value]]] = {}
    others: list[tuple[str, exiv2.Value]] = []
    parents = list(dict.fromkeys(key.rsplit("/", 1)[0] for key in settings))
    for datum in xmp:
        key = datum.key()
        match = pattern.match(key)
        if match:
            items.setdefault(int(match.group(1)), []).append((match.group(2) or "", datum.getValue()))
        elif key.startswith(f"{layout.root}/") and not key.startswith((layout.list, *parents)):
            others.append((key, datum.getValue()))
    kept, replaced = [], set()
    for number in sorted(items):
        region = layout.parse({suffix: value.toString() for suffix, value in items[number]})
        if region and (region.name.casefold() in names or any(region.same_face(r) for r in regions)):
            replaced.add(region.name)
        else:
            kept.append(items[number])
    for key in [d.key() for d in xmp if d.key() == layout.root or d.key().startswith(f"{layout.root}/")]:
        xmp.erase(xmp.findKey(exiv2.XmpKey(key)))
    _add_struct(xmp, layout.root)
    for parent in parents:
        _add_struct(xmp, parent)
    for key, text in settings.items():
        xmp[key] = text
    for key, value in others:
        xmp.add(exiv2.XmpKey(key), value)
    bag = exiv2.XmpTextValue()
    bag.setXmpArrayType(exiv2.XmpValue.XmpArrayType.xaBag)
    xmp.add(exiv2.XmpKey(layout.list), bag)
    for number, fields in enumerate(kept, 1):
        for suffix, value in fields:
            xmp.add(exiv2.XmpKey(f"{layout.list}[{number}]" + (f"/{suffix}" if suffix else "")), value)
    for number, region in enumerate(regions, len(kept) + 1):
        item = f"{layout.list}[{number}]"
        _add_struct(xmp, item)
        for suffix, text in layout.fields(region):
            if text is None:
                _add_struct(xmp, f"{item}/{suffix}")
            else:
                xmp[f"{item}/{suffix}"] = text
    return replaced


def _add_struct(xmp: exiv2.XmpData, key: str) -> None:
    value = exiv2.XmpTextValue()
    value.setXmpStruct()
    xmp.add(exiv2.XmpKey(key), value)


def _has(xmp: exiv2.XmpData, key: str) -> bool:
    return xmp.findKey(exiv2.XmpKey(key)) != xmp.end()


def _update_keywords(xmp: exiv2.XmpData, key: str, kind: exiv2.TypeId, add: Iterable[str],
                     remove: Iterable[str]) -> None:
    """Add keywords to an XMP array, and take `remove` out of it."""
    current: list[str] = []
    if _has(xmp, key):
        value = xmp[key].getValue()
        current = [value.toString(i) for i in range(value.count())]
        xmp.erase(xmp.findKey(exiv2.XmpKey(key)))
    removed = set(remove)
    keywords = [k for k in current if k not in removed]
    keywords += sorted(k for k in set(add) if k not in keywords)
    if keywords:
        value = exiv2.XmpArrayValue(kind)
        for keyword in keywords:
            value.read(keyword)
        xmp.add(exiv2.XmpKey(key), value)


