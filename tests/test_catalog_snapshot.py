"""The catalog snapshot beside the store: a library closed cleanly opens its
people catalog from it, and whatever happened to it since (a later write, a
damaged or foreign file), the catalog is the store's."""

import shutil

import numpy as np
import pytest

from faceorganizer.catalog_store import CatalogStore
from faceorganizer.library import FaceLibrary
from faceorganizer.snapshot import SNAPSHOT


def _faces(catalog) -> dict:
    """Every face's person-related fields and photo path, by face id."""
    ids, fields = catalog.fields()
    return {
        face_id: (fields.image_ids[i], fields.paths[fields.image_ids[i]],
                  int(fields.cluster[i]), bool(fields.pinned[i]), bool(fields.not_a_face[i]),
                  frozenset(fields.rejected.get(i, ())), round(float(np.nan_to_num(fields.confidence[i])), 3))
        for i, face_id in enumerate(ids)
    }


def _from_store(lib) -> dict:
    """The faces' fields as a scroll of the store gives them."""
    reader = CatalogStore(lib.store, lib.folder, lib.vector_cache, writable=False)
    reader.snapshot = None
    return _faces(reader.load(lib._meta))


@pytest.fixture
def corrected(tmp_path, analyzer, make_photos):
    """A library with people, a name, a face moved and a false face dropped, closed."""
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as lib:
        lib.index_directory(make_photos("shots", "t1", 3)[0].parent)
        lib.cluster_all()
        first, second = [p.cluster_id for p in lib.people()][:2]
        lib.rename(first, "Anna")
        lib.reassign_faces(lib.catalog.face_ids_of(second)[:1], first)
        lib.not_a_face(lib.catalog.face_ids_of(first)[-1:])
    return folder


def test_a_cleanly_closed_library_opens_its_catalog_from_the_snapshot(corrected, analyzer):
    assert (corrected / SNAPSHOT).is_file()
    with FaceLibrary(corrected, analyzer=analyzer) as lib:
        people = [(p.name, p.face_count) for p in lib.people()]
        catalog = lib.catalog
        assert lib.catalog_store.saved == lib._meta["generation"]  # read from the snapshot
        assert _faces(catalog) == _from_store(lib)
        assert [(p.name, p.face_count) for p in lib.people()] == people
        anna = next(p for p in lib.people() if p.name == "Anna")
        assert np.allclose(catalog.mean(anna.cluster_id),
                           catalog.vectors[catalog.rows_of(anna.cluster_id)].mean(axis=0), atol=1e-5)


def test_a_snapshot_older_than_the_store_is_not_used(corrected, analyzer, tmp_path):
    old = tmp_path / "old.snapshot"
    shutil.copy(corrected / SNAPSHOT, old)
    with FaceLibrary(corrected, analyzer=analyzer) as lib:
        anna, other = lib.people()[:2]
        lib.merge_clusters([anna.cluster_id, other.cluster_id])
        merged = lib.get_person(anna.cluster_id).face_count
    shutil.copy(old, corrected / SNAPSHOT)
    with FaceLibrary(corrected, analyzer=analyzer) as lib:
        assert lib.catalog_store.saved is None  # the store was read instead
        assert lib.get_person(anna.cluster_id).face_count == merged
        assert other.cluster_id not in lib.catalog.cluster_ids()
        assert _faces(lib.catalog) == _from_store(lib)


@pytest.mark.parametrize("damage", ["cut short", "garbled", "foreign", "empty"])
def test_a_damaged_snapshot_is_only_a_cache(corrected, analyzer, damage):
    path = corrected / SNAPSHOT
    data = path.read_bytes()
    path.write_bytes({
        "cut short": data[: len(data) // 2],
        "garbled": data[:200] + bytes(255 - b for b in data[200:2000]) + data[2000:],
        "foreign": b"not a snapshot" * 100,
        "empty": b"",
    }[damage])
    with FaceLibrary(corrected, analyzer=analyzer) as lib:
        assert _faces(lib.catalog) == _from_store(lib)
        assert lib.people()[0].name == "Anna"
    with FaceLibrary(corrected, analyzer=analyzer) as lib:  # the first open wrote a good one again
        lib.catalog
        assert lib.catalog_store.saved == lib._meta["generation"]
