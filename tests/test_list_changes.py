"""A list of faces sent as its change from the last list (as the library's
process sends it to the window) is that list, whatever went, came or
changed; a list whose staying faces moved has no change (it is sent whole)."""

import random

from faceorganizer.list_changes import applied, keyed
from faceorganizer.protocol import FACE_KEY, FaceItem


def test_a_list_made_from_its_change_is_the_list():
    rng = random.Random(7)
    for _ in range(300):
        before = [FaceItem(f"face-{i}", f"/photos/{i}.jpg") for i in range(rng.randint(1, 60))]
        after = [face for face in before if rng.random() > 0.2]
        for _ in range(rng.randint(0, 5)):
            after.insert(rng.randint(0, len(after)), FaceItem(f"new-{rng.random()}", None))
        after = [face._replace(age=7) if rng.random() < 0.1 else face for face in after]
        shown = keyed(before, FACE_KEY)
        new = keyed(after, FACE_KEY, shown)
        if not after:
            assert new.change is None
            continue
        change = new.change
        made = applied(shown, change.gone, [(row, new.items[row]) for row in change.came],
                       [(row, new.items[row]) for row in change.changed], FACE_KEY)
        assert (made.items, made.keys, made.rows) == (new.items, new.keys, new.rows)
        assert made.change == change


def test_faces_that_moved_are_no_change():
    faces = [FaceItem(f"face-{i}", None) for i in range(5)]
    assert keyed([*faces[1:], faces[0]], FACE_KEY, keyed(faces, FACE_KEY)).change is None
