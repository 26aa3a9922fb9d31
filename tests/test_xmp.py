"""Names travel with the photos: XMP face regions written for other photo
tools, checked with exiftool, and read back when photos are indexed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from faceorganizer.cli import main
from faceorganizer.images import load_photo
from faceorganizer.library import FaceLibrary
from faceorganizer.sidecars import write_sidecars


@pytest.fixture
def exiftool() -> str:
    """exiftool, the reference client of the XMP written and read here."""
    path = shutil.which("exiftool")
    if path is None:
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    return path


def read_with_exiftool(sidecar: Path) -> dict:
    """The face regions and keywords exiftool reads in a sidecar."""
    out = subprocess.run(
        ["exiftool", "-j", "-n", "-struct", "-XMP-mwg-rs:RegionInfo", "-XMP-dc:Subject", "-XMP-digiKam:TagsList",
         "-XMP-lr:HierarchicalSubject", "-XMP-MP:RegionInfoMP", "-XMP-dc:Title", "-XMP-xmp:Rating", str(sidecar)],
        capture_output=True, text=True, check=True,
    ).stdout
    tags = json.loads(out)[0]
    for key in ("Subject", "TagsList", "HierarchicalSubject"):
        if isinstance(tags.get(key), str):
            tags[key] = [tags[key]]
    return tags


def write_with_exiftool(target: Path, regions: list[tuple[str, tuple[float, ...]]], size: tuple[int, int],
                        *extra: str, source: Path | None = None) -> None:
    """A sidecar as another tool writes it (or, from a `source` photo, a copy
    of it with its own XMP): MWG regions (name, box in pixels) for a photo of
    `size`, and `extra` exiftool assignments."""
    width, height = size
    items = ",".join(
        f"{{Area={{X={(x1 + x2) / 2 / width:.5f},Y={(y1 + y2) / 2 / height:.5f},W={(x2 - x1) / width:.5f},"
        f"H={(y2 - y1) / height:.5f},Unit=normalized}},Name={name},Type=Face}}"
        for name, (x1, y1, x2, y2) in regions
    )
    info = f"{{AppliedToDimensions={{W={width},H={height},Unit=pixel}},RegionList=[{items}]}}"
    files = ["-o", str(target), str(source)] if source else [str(target)]
    subprocess.run(["exiftool", "-q", f"-XMP-mwg-rs:RegionInfo={info}", *extra, *files], check=True)


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.iterdir() if p.suffix.lower() == ".jpg"}


def named_faces(library: FaceLibrary) -> dict[tuple[str, int], str]:
    """(photo file name, face number by box) -> the name of its person."""
    names = {p.cluster_id: p.name for p in library.people(include_hidden=True) if p.name}
    result = {}
    for face in library.iter_faces():
        if face["cluster_id"] in names:
            result[(Path(face["path"]).name, _box_key(face["bbox"]))] = names[face["cluster_id"]]
    return result


def _box_key(bbox) -> tuple[int, int]:
    """A face's place in its photo, the same whichever library found it."""
    return round((bbox[0] + bbox[2]) / 20), round((bbox[1] + bbox[3]) / 20)


def boxes_of(analyzer, photo: Path) -> list[tuple[float, ...]]:
    return [f.bbox for f in analyzer.analyze(load_photo(photo))]


def test_names_written_to_sidecars_come_back_in_a_fresh_library(library, make_photos, tmp_path, analyzer, exiftool):
    photos = make_photos("shots", "t1", 3)
    folder = photos[0].parent
    before = hashes(folder)
    library.index_directory(folder)
    anna, ben = library.people()[:2]
    library.rename(anna.cluster_id, "Anna")
    library.rename(ben.cluster_id, "Ben")

    report = write_sidecars(library, [folder])

    assert (report.created, report.updated, report.faces, report.failed) == (3, 0, 6, [])
    for photo in photos:
        tags = read_with_exiftool(photo.with_name(photo.name + ".xmp"))
        regions = {r["Name"]: r for r in tags["RegionInfo"]["RegionList"]}
        assert set(regions) == {"Anna", "Ben"} and all(r["Type"] == "Face" for r in regions.values())
        width, height = Image.open(photo).size
        assert tags["RegionInfo"]["AppliedToDimensions"] == {"W": width, "H": height, "Unit": "pixel"}
        for name, person in (("Anna", anna), ("Ben", ben)):
            face = next(f for f in library.faces_in_photo(_image_id(library, photo))
                        if f["cluster_id"] == person.cluster_id)
            x1, y1, x2, y2 = face["bbox"]
            area = regions[name]["Area"]
            assert area["X"] == pytest.approx((x1 + x2) / 2 / width, abs=0.01)
            assert area["Y"] == pytest.approx((y1 + y2) / 2 / height, abs=0.01)
            assert area["W"] == pytest.approx((x2 - x1) / width, abs=0.01)
            assert area["H"] == pytest.approx((y2 - y1) / height, abs=0.01)
        assert sorted(tags["Subject"]) == ["Anna", "Ben"]
        assert sorted(tags["TagsList"]) == ["People/Anna", "People/Ben"]

    with FaceLibrary(tmp_path / "fresh", analyzer=analyzer) as fresh:
        fresh.index_directory(folder)
        assert named_faces(fresh) == named_faces(library)
        assert sorted(p.name for p in fresh.people() if p.name) == ["Anna", "Ben"]
        assert any("'Anna'" in entry["description"] for entry in fresh.history())  # an undoable correction
    assert hashes(folder) == before


def _image_id(library: FaceLibrary, photo: Path) -> str:
    return next(f["image_id"] for f in library.iter_faces() if f["path"] == str(photo))


def test_sidecars_in_digikam_and_lightroom_layouts_name_the_faces(library, tmp_path, sample_photos, analyzer,
                                                                   exiftool):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("t1", "gdp", "yaoming"):
        shutil.copy(sample_photos[name], folder / f"{name}.jpg")
    t1, gdp, yao = (boxes_of(analyzer, folder / f"{n}.jpg") for n in ("t1", "gdp", "yaoming"))
    size = Image.open(folder / "t1.jpg").size
    # digiKam: photo.jpg.xmp, MWG regions, Microsoft's too, and its tag tree.
    write_with_exiftool(folder / "t1.jpg.xmp", [("Anna", t1[0]), ("Ben", t1[1])], size,
                        "-XMP-digiKam:TagsList=People/Anna", "-XMP-digiKam:TagsList=People/Ben")
    # Lightroom: photo.xmp, MWG regions and hierarchical keywords; this box is drawn
    # twice as wide and high as our detector's, around the same face.
    x1, y1, x2, y2 = gdp[0]
    larger = (1.5 * x1 - 0.5 * x2, 1.5 * y1 - 0.5 * y2, 1.5 * x2 - 0.5 * x1, 1.5 * y2 - 0.5 * y1)
    write_with_exiftool(folder / "gdp.xmp", [("Chen", larger)], Image.open(folder / "gdp.jpg").size,
                        "-XMP-lr:HierarchicalSubject=People|Chen")
    # An older Windows tool: Microsoft's regions only (left, top, width, height).
    width, height = Image.open(folder / "yaoming.jpg").size
    x1, y1, x2, y2 = yao[0]
    rectangle = f"{x1 / width:.5f}|, {y1 / height:.5f}|, {(x2 - x1) / width:.5f}|, {(y2 - y1) / height:.5f}"
    subprocess.run(["exiftool", "-q", f"-XMP-MP:RegionInfoMP={{Regions=[{{PersonDisplayName=Yao Ming,"
                    f"Rectangle={rectangle}}}]}}", str(folder / "yaoming.jpg.xmp")], check=True)
    # A photo with the regions in its own XMP.
    players = boxes_of(analyzer, sample_photos["players"])
    write_with_exiftool(folder / "players.jpg", [("Dana", players[3])], Image.open(sample_photos["players"]).size,
                        source=sample_photos["players"])
    before = hashes(folder)

    library.index_directory(folder)

    expected = {
        ("t1.jpg", _box_key(t1[0])): "Anna", ("t1.jpg", _box_key(t1[1])): "Ben",
        ("gdp.jpg", _box_key(gdp[0])): "Chen", ("yaoming.jpg", _box_key(yao[0])): "Yao Ming",
        ("players.jpg", _box_key(players[3])): "Dana",
    }
    names = named_faces(library)
    assert {key: names.get(key) for key in expected} == expected
    # Yao Ming is among the players too: that face is of the person his region named.
    assert [(key[0], name) for key, name in names.items() if key not in expected] == [("players.jpg", "Yao Ming")]
    assert hashes(folder) == before


def test_a_named_region_joins_the_person_of_that_name(library, make_photos, analyzer, exiftool):
    first, second = make_photos("first", "yaoming", 1)[0], make_photos("second", "yaoming", 1, first_seed=5)[0]
    for photo, name in ((first, "Yao Ming"), (second, "yao ming")):
        write_with_exiftool(photo.with_name(photo.name + ".xmp"), [(name, boxes_of(analyzer, photo)[0])],
                            Image.open(photo).size)
    library.index_directory(first.parent)
    library.index_directory(second.parent)
    named = [p for p in library.people() if p.name]
    assert [(p.name, p.face_count) for p in named] == [("Yao Ming", 2)]


def test_a_named_face_below_the_size_filter_is_kept(library, tmp_path, sample_photos, analyzer, exiftool):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    boxes = boxes_of(analyzer, folder / "t1.jpg")
    write_with_exiftool(folder / "t1.jpg.xmp", [("Anna", boxes[2])], Image.open(folder / "t1.jpg").size)
    library.settings.min_face_size = 400  # every face of t1.jpg is smaller

    library.index_directory(folder)

    assert library.count() == 1
    assert named_faces(library) == {("t1.jpg", _box_key(boxes[2])): "Anna"}


def test_a_face_the_detector_missed_is_found_in_its_region(library, tmp_path, sample_photos, analyzer, exiftool):
    """A face too small for the detector at the photo's scale is looked for
    in the region alone, and kept with its name."""
    folder = tmp_path / "wide"
    folder.mkdir()
    portrait = Image.open(sample_photos["yaoming"]).convert("RGB")
    (face,) = boxes_of(analyzer, sample_photos["yaoming"])
    scale = 160 / portrait.height
    canvas = Image.new("RGB", (4000, 3000), (120, 130, 125))
    canvas.paste(portrait.resize((round(portrait.width * scale), 160)), (3000, 2200))
    canvas.save(folder / "wide.jpg", quality=92)
    assert analyzer.analyze(load_photo(folder / "wide.jpg")) == []
    region = tuple(v * scale + offset for v, offset in zip(face, (3000, 2200, 3000, 2200)))
    write_with_exiftool(folder / "wide.jpg.xmp", [("Yao Ming", region)], canvas.size)

    library.index_directory(folder)

    (person,) = [p for p in library.people() if p.name]
    assert (person.name, person.face_count) == ("Yao Ming", 1)
    (found,) = library.iter_faces(person.cluster_id)
    assert found["bbox"] == pytest.approx(region, abs=10)


def test_areas_of_a_rotated_photo_are_on_the_upright_photo(library, tmp_path, sample_photos, exiftool):
    folder = tmp_path / "rotated"
    folder.mkdir()
    upright = Image.open(sample_photos["t1"])
    exif = Image.Exif()
    exif[0x0112] = 6  # stored a quarter turn anticlockwise; viewers turn it clockwise
    upright.transpose(Image.Transpose.ROTATE_90).save(folder / "t1-rotated.jpg", quality=95, exif=exif)
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    before = hashes(folder)
    library.index_directory(folder)
    for number, person in enumerate(library.people(), 1):
        library.rename(person.cluster_id, f"Person {number}")

    write_sidecars(library)

    straight = read_with_exiftool(folder / "t1.jpg.xmp")["RegionInfo"]
    turned = read_with_exiftool(folder / "t1-rotated.jpg.xmp")["RegionInfo"]
    assert turned["AppliedToDimensions"] == {"W": upright.width, "H": upright.height, "Unit": "pixel"}
    areas = {r["Name"]: r["Area"] for r in straight["RegionList"]}
    assert len(turned["RegionList"]) == len(areas) == 6
    for region in turned["RegionList"]:
        for key in "XYWH":
            assert region["Area"][key] == pytest.approx(areas[region["Name"]][key], abs=0.01)
    assert hashes(folder) == before


def test_an_existing_sidecar_is_updated_not_clobbered(library, tmp_path, sample_photos, analyzer, exiftool, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    shutil.copy(sample_photos["gdp"], folder / "gdp.jpg")
    size = Image.open(folder / "t1.jpg").size
    boxes = boxes_of(analyzer, folder / "t1.jpg")
    # Another tool's sidecar: a title, a rating, a keyword and a region of its own, in
    # Microsoft's layout too (as digiKam writes it).
    sidecar = folder / "t1.jpg.xmp"
    somebody = "{Regions=[{PersonDisplayName=Somebody,Rectangle=0.01|, 0.01|, 0.02|, 0.02}]}"
    write_with_exiftool(sidecar, [("Somebody", (10, 10, 30, 30))], size, "-XMP-dc:Title=Holiday",
                        "-XMP-xmp:Rating=4", "-XMP-dc:Subject=beach", f"-XMP-MP:RegionInfoMP={somebody}")
    library.index_directory(folder)
    face = next(f for f in library.iter_faces() if f["path"] == str(folder / "t1.jpg")
                and _box_key(f["bbox"]) == _box_key(boxes[0]))
    library.reassign_faces([face["id"]], None)
    person = library.get_face(face["id"])["cluster_id"]
    library.rename(person, "Anna")
    library.close()

    # Twice: the second run replaces our region, it does not add one.
    for _ in range(2):
        assert main(["--library", str(tmp_path / "library"), "write-xmp", str(folder)]) == 0
    assert "1 sidecar written (0 new, 1 updated) with 1 named face; 0 failed" in capsys.readouterr().out
    assert main(["--library", str(tmp_path / "library"), "write-xmp", "--style", "lightroom", str(folder)]) == 0

    tags = read_with_exiftool(sidecar)
    assert (tags["Title"], tags["Rating"]) == ("Holiday", 4)
    assert [r["Name"] for r in tags["RegionInfo"]["RegionList"]] == ["Somebody", "Anna"]
    assert tags["Subject"] == ["beach", "Anna"]
    (anna,) = [r for r in tags["RegionInfo"]["RegionList"] if r["Name"] == "Anna"]
    microsoft = {r["PersonDisplayName"]: r["Rectangle"] for r in tags["RegionInfoMP"]["Regions"]}
    assert list(microsoft) == ["Somebody", "Anna"]
    left, top, width, height = map(float, microsoft["Anna"].split(","))
    assert (left + width / 2, top + height / 2, width, height) == pytest.approx(
        tuple(anna["Area"][k] for k in "XYWH"), abs=1e-5)
    lightroom = read_with_exiftool(folder / "t1.xmp")
    assert [r["Name"] for r in lightroom["RegionInfo"]["RegionList"]] == ["Anna"]
    assert lightroom["HierarchicalSubject"] == ["People|Anna"]
    assert not (folder / "gdp.jpg.xmp").exists()  # no named face there

    # Renamed in the library: the sidecar's region and keywords follow.
    with FaceLibrary(tmp_path / "library", analyzer=analyzer) as reopened:
        reopened.rename(person, "Anna Smith")
        write_sidecars(reopened)
    tags = read_with_exiftool(sidecar)
    assert [r["Name"] for r in tags["RegionInfo"]["RegionList"]] == ["Somebody", "Anna Smith"]
    assert [r["PersonDisplayName"] for r in tags["RegionInfoMP"]["Regions"]] == ["Somebody", "Anna Smith"]
    assert tags["Subject"] == ["beach", "Anna Smith"] and tags["TagsList"] == ["People/Anna Smith"]
    assert (tags["Title"], tags["Rating"]) == ("Holiday", 4)


def test_a_sidecar_that_is_not_xmp_is_left_alone(library, tmp_path, sample_photos):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    sidecar = folder / "t1.jpg.xmp"
    sidecar.write_bytes(b"<x:xmpmeta>half a sidecar")
    library.index_directory(folder)
    assert library.count() == 6 and not [p for p in library.people() if p.name]
    face = next(library.iter_faces())
    library.rename(library.reassign_faces([face["id"]], None).result, "Anna")

    report = write_sidecars(library)

    assert (report.created, report.updated) == (0, 0)
    assert report.failed == [(str(folder / "t1.jpg"), f"Cannot read the XMP of {sidecar}: "
                              "the file contains data of an unknown image type")]
    assert sidecar.read_bytes() == b"<x:xmpmeta>half a sidecar"
    assert sorted(p.name for p in folder.iterdir()) == ["t1.jpg", "t1.jpg.xmp"]


def test_a_sidecar_another_tool_changed_names_the_faces_of_an_unchanged_photo(library, make_photos, analyzer,
                                                                               exiftool):
    photos = make_photos("shots", "t1", 2)
    library.index_directory(photos[0].parent)
    assert not any(p.name for p in library.people())
    photo = photos[0]
    box = boxes_of(analyzer, photo)[0]
    write_with_exiftool(photo.with_name(photo.name + ".xmp"), [("Anna", box)], Image.open(photo).size)

    report = library.index_directory(photo.parent)

    assert report.indexed == 0  # the photo itself was not read again
    assert named_faces(library)[(photo.name, _box_key(box))] == "Anna"
    (anna,) = [p for p in library.people() if p.name]
    assert anna.face_count == 2  # the person the face was in took the name
    assert library.index_directory(photo.parent).indexed == 0


def test_the_sidecars_of_some_photos_only(library, make_photos, exiftool):
    photos = make_photos("shots", "t1", 3)
    library.index_directory(photos[0].parent)
    anna = library.people()[0]
    library.rename(anna.cluster_id, "Anna")

    report = write_sidecars(library, photos=[str(photos[1])])

    assert (report.created, report.faces, report.summary()) == (1, 1, "Wrote 1 sidecar for 1 named person")
    assert [p.name for p in photos[0].parent.glob("*.xmp")] == [photos[1].name + ".xmp"]
    assert read_with_exiftool(photos[1].with_name(photos[1].name + ".xmp"))["Subject"] == ["Anna"]
