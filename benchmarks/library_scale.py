"""Large libraries (issue 9): what the user waits for, at 10,000 to
1,000,000 faces, on Qdrant Edge and on qdrant-client's local mode side by
side, with each process' peak memory.

    python benchmarks/library_scale.py [--faces 10000,100000] [--engines edge,local]
                                       [--ops open,people,...] [--work DIR] [--profile merge,...]

For each size, the synthetic faces of benchmarks/cluster_scale.py are made
once: N/250 people of heavy-tailed sizes (400 at 100,000 faces, as in
cluster_scale, the biggest with about 10,000 faces), 30% one-off strangers,
photos of 1-6 faces. For each engine a library is built from them through
`FaceLibrary.add_analysed_photos`, 2,000 photos a call (people form as the
faces come, as when indexing), then grouped once with `cluster_all`, so that
it is "already clustered". Every operation then runs in a fresh process, on a
copy of that library when it writes, so each starts from the same state:

  open         FaceLibrary(folder)
  people       the first people list: open, people()
  catalog      open, then load every face's vector and person (the catalog
               the first correction, grouping or face list needs)
  cli          `faceorganizer people --json`, the whole process
  merge        merge the two biggest people
  reassign     move 1 face of the biggest person to the second biggest
  split        split 100 faces off the biggest person
  undo-*       library.undo() of each, in a fresh process on the copy it left
  add          100 new faces of known people in 25 photos (add_analysed_photos)
  search       library.search(face id), top 10, with every vector in memory
               (the catalog loaded); its note gives the first search of the
               process, before the catalog loads, which the store answers
  recluster    cluster_all on the library as built (already clustered)
  first-cluster  cluster_all after every face's person was cleared in one
               batch (people form as faces are added, so a library is never
               unclustered otherwise): the first clustering of a new library

A correction (and `add`) returns once its batch is committed to the
library's journal; the engine applies it afterwards, before the next read
or when the service is idle (faceorganizer.store.journal). Their notes say
how long that takes, which the user does not wait for.
The corrections, `add`, the clusterings and `search` are timed after the
library is open and its catalog loaded (the window has both by then; the
note of `search` has one before the catalog loads too); their process' peak
memory includes that. Peak memory is each process' VmHWM.
--work DIR keeps the libraries there, and a later run with the same DIR
reuses them instead of building them again. --group-at-end builds with the
faces left ungrouped as they are added, then one cluster_all: each call of
add_analysed_photos scores its faces against every face in the library, so
a build that groups as it goes is quadratic (hours at 1,000,000 faces).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

#: Operations in table order: key -> (label, goal at 100,000 faces in s).
OPERATIONS = {
    "open": ("open the library", 1.0),
    "people": ("first people list (open + people())", 1.0),
    "catalog": ("open + load every face (first correction)", 1.0),
    "cli": ("`faceorganizer people --json`, whole process", 2.0),
    "merge": ("merge the two biggest people", 0.1),
    "undo-merge": ("  undo the merge", 0.1),
    "reassign": ("reassign 1 face", 0.05),
    "undo-reassign": ("  undo the reassign", 0.1),
    "split": ("split 100 faces off a person", 0.1),
    "undo-split": ("  undo the split", 0.1),
    "add": ("100 new faces joining people", 0.3),
    "search": ("search one face, top 10", 0.02),
    "recluster": ("re-cluster everything (already clustered)", 30.0),
    "first-cluster": ("first clustering (every person cleared)", 30.0),
}
#: Operations that write: each runs on its own copy of the built library.
WRITES = {"merge", "reassign", "split", "add", "recluster", "first-cluster"}
#: Peak memory goal of one process at 100,000 faces.
GOAL_PEAK_MB = 1536
#: Photos in one add_analysed_photos call while building.
BUILD_PHOTOS = 2000
#: Faces of the `add` operation, 4 a photo.
NEW_FACES = 100


# -- the parent: build, copy, run, report -------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", default="10000,100000", help="library sizes, comma separated")
    parser.add_argument("--engines", default="edge,local", help="engines, comma separated")
    parser.add_argument("--ops", default=",".join(OPERATIONS), help="operations, comma separated")
    parser.add_argument("--faces-per-person", type=int, default=250, help="people = faces / this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="keep (and reuse) the libraries in this folder")
    parser.add_argument("--profile", default="", help="operations to profile (cProfile), comma separated")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds an operation may take")
    parser.add_argument("--group-at-end", action="store_true",
                        help="build without letting faces group as they are added, then group them once "
                             "(for 1,000,000 faces: grouping each call against the whole library makes "
                             "a build quadratic)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--library", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    sizes = [int(n) for n in args.faces.split(",")]
    engines = args.engines.split(",")
    ops = [op for op in OPERATIONS if op in args.ops.split(",")]
    ops += [f"undo-{op}" for op in ("merge", "reassign", "split") if op in ops and f"undo-{op}" not in ops]
    ops.sort(key=list(OPERATIONS).index)
    profiled = set(filter(None, args.profile.split(",")))
    work = args.work or Path(tempfile.mkdtemp(prefix="faceorganizer-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    # Without the engine chosen by the caller's environment, and with Python's
    # bytecode cached as in an installed package: PYTHONDONTWRITEBYTECODE
    # (set on some machines) made `people --json` compile its modules in
    # every process, 0.3-0.5 s of its 1.7-2.1 s at 100,000 faces.
    env = {k: v for k, v in os.environ.items() if k not in ("FACEORGANIZER_ENGINE", "PYTHONDONTWRITEBYTECODE")}
    env["XDG_CONFIG_HOME"] = str(work / "config")  # the user's settings stay out
    runner = Runner(work, env, args.timeout, args.group_at_end)
    print(f"library_scale: {', '.join(f'{n:,}' for n in sizes)} faces on {', '.join(engines)}; "
          f"{os.cpu_count()} cores; work folder {work}", flush=True)
    results: dict[tuple[str, int, str], dict] = {}
    builds: dict[tuple[int, str], dict] = {}
    try:
        for n in sizes:
            data = work / f"faces-{n}"
            if not (data / "faces.json").exists():
                started = time.perf_counter()
                make_data(n, max(1, n // args.faces_per_person), args.seed, data)
                print(f"\n{n:,} synthetic faces made in {time.perf_counter() - started:.0f} s", flush=True)
            print(f"\n{n:,} faces: {json.loads((data / 'faces.json').read_text())['summary']}", flush=True)
            for engine in engines:
                library = work / f"{engine}-{n}"
                builds[n, engine] = runner.build(library, engine, data)
                print(f"  {engine}: built {describe_build(builds[n, engine])}", flush=True)
                for op in ops:
                    result = runner.operation(op, library, data, profile=op in profiled)
                    results[op, n, engine] = result
                    print(f"  {engine:<5} {op:<14} {cell(result):>18}  {result.get('note', '')}", flush=True)
                runner.drop_copies()
    finally:
        print_table(results, builds, sizes, engines, ops)
        for path in sorted(runner.profiles):
            print_profile(path)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def make_data(n: int, people: int, seed: int, folder: Path) -> None:
    """The faces of a library of `n` (vectors.npy, photo.npy) and what the
    operations need (faces.json: the new photos of `add`)."""
    import numpy as np

    from cluster_scale import DIM, faces_of, make_faces

    rng = np.random.default_rng(seed)
    faces = make_faces(n, people, 0.3, rng)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "vectors.npy", faces.vectors)
    np.save(folder / "photo.npy", faces.photo)
    sizes = np.bincount(faces.identity[~faces.stranger], minlength=faces.people)
    known = np.flatnonzero(sizes)
    new_photos = []
    for p in range(NEW_FACES // 4):
        identities = rng.choice(known, 4, replace=False, p=sizes[known] / sizes[known].sum())
        vectors = faces_of(faces.centres[identities], faces.quality[identities], rng)
        new_photos.append((f"/photos/new/IMG_{p:04d}.jpg", [4000, 3000],
                           [face_dict(v.tolist(), rng) for v in vectors]))
    biggest = np.sort(sizes)[::-1]
    summary = (f"{faces.people:,} people of {biggest[0]:,}, {biggest[1]:,}, {biggest[2]:,}, ... faces; "
               f"{faces.stranger.mean():.0%} strangers; {len(np.unique(faces.photo)):,} photos; {DIM}-d")
    (folder / "faces.json").write_text(json.dumps({"summary": summary, "new_photos": new_photos}))


def face_dict(vector, rng) -> dict:
    """A face as add_analysed_photo takes it, in a 4000 x 3000 photo."""
    x, y = rng.uniform(0, 3000, 2).round(1).tolist()
    side = float(rng.uniform(30, 600))
    return {"bbox": [x, y, round(x + side, 1), round(y + side * 1.2, 1)],
            "det_score": round(float(rng.uniform(0.5, 0.95)), 4),
            "landmarks": rng.uniform(0, 3000, (5, 2)).round(1).tolist(),
            "embedding": vector}


class Runner:
    """Runs the workers: each a fresh process, its result and peak memory read back."""

    def __init__(self, work: Path, env: dict, timeout: float, group_at_end: bool):
        self.work, self.env, self.timeout, self.group_at_end = work, env, timeout, group_at_end
        self.copies: list[Path] = []
        self.profiles: list[Path] = []

    def build(self, library: Path, engine: str, data: Path) -> dict:
        marker = library / "built.json"
        if marker.exists():
            self.run("settle", library, data)  # as a clean close of this version leaves it
            return {**json.loads(marker.read_text()), "reused": True}
        shutil.rmtree(library, ignore_errors=True)
        result = self.run("build", library, data, engine=engine, extra=("--group-at-end",) * self.group_at_end)
        if "error" not in result:
            marker.write_text(json.dumps(result))
        return result

    def operation(self, op: str, library: Path, data: Path, profile: bool) -> dict:
        target = library
        if op.startswith("undo-"):
            target = library.with_name(f"{library.name}-{op.removeprefix('undo-')}")
            if not target.exists():
                return {"error": "its operation did not run"}
        elif op in WRITES:
            target = library.with_name(f"{library.name}-{op}")
            shutil.rmtree(target, ignore_errors=True)
            copy_library(library, target)
            self.copies.append(target)
            if op == "first-cluster":
                prepared = self.run("clear-people", target, data)
                if "error" in prepared:
                    return prepared
        profile_to = None
        if profile:
            profile_to = self.work / f"profile-{library.name}-{op}.prof"
            self.profiles.append(profile_to)
        return self.run(op, target, data, profile_to=profile_to)

    def run(self, op: str, library: Path, data: Path, engine: str | None = None,
            profile_to: Path | None = None, extra: tuple[str, ...] = ()) -> dict:
        result_file = self.work / "result.json"
        result_file.unlink(missing_ok=True)
        log_file = self.work / f"log-{library.name}-{op}.txt"
        command = [sys.executable, __file__, "--worker", op, "--library", str(library),
                   "--input", str(data), "--result", str(result_file)]
        if engine:
            command += ["--engine", engine]
        if profile_to:
            command += ["--profile-to", str(profile_to)]
        command += extra
        started = time.perf_counter()
        with open(log_file, "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
            try:
                process.wait(self.timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                return {"error": f"stopped after {self.timeout:.0f} s"}
        wall = time.perf_counter() - started
        if process.returncode != 0 or not result_file.exists():
            tail = log_file.read_text(errors="replace").strip().splitlines()[-1:] or [""]
            return {"error": f"exit {process.returncode}: {tail[0][:200]}"}
        result = json.loads(result_file.read_text())
        result["wall"] = wall
        if op == "cli":
            result["seconds"] = wall
        return result

    def drop_copies(self) -> None:
        for copy in self.copies:
            shutil.rmtree(copy, ignore_errors=True)
        self.copies.clear()


def copy_library(source: Path, target: Path) -> None:
    from conftest import copy_library as sparse_copy  # Qdrant Edge's files are mostly holes

    sparse_copy(source, target)


def describe_build(build: dict) -> str:
    if "error" in build:
        return f"FAILED ({build['error']})"
    reused = " (reused from an earlier run)" if build.get("reused") else ""
    return (f"add_analysed_photos {build['add']:.0f} s ({build['add'] / build['faces'] * 1000:.2f} ms a face; "
            f"calls of {BUILD_PHOTOS:,} photos from {build['first_call']:.1f} s to {build['last_call']:.1f} s; "
            f"grouped {build['grouped']}), cluster_all {build['cluster']:.0f} s, peak {build['peak_mb']:,.0f} MB; {build['people']:,} people, "
            f"{build['unassigned']:,} faces unassigned; {build['disk_mb']:,.0f} MB on disk{reused}")


def cell(result: dict) -> str:
    if "error" in result:
        return "failed"
    return f"{format_seconds(result['seconds'])} {result['peak_mb']:>6,.0f} MB"


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def print_table(results: dict, builds: dict, sizes: list[int], engines: list[str], ops: list[str]) -> None:
    if not results:
        return
    columns = [(n, e) for n in sizes for e in engines]
    print("\n| operation | " + " | ".join(f"{n:,} {e}" for n, e in columns) + " | goal at 100k |")
    print("|---|" + "---|" * len(columns) + "---|")
    for op in ops:
        label, goal = OPERATIONS[op]
        cells = [cell(results[op, n, e]) if (op, n, e) in results else "" for n, e in columns]
        print(f"| {label} | " + " | ".join(cells) + f" | < {format_seconds(goal)} |")
    peaks = []
    for n, e in columns:
        peak = [r["peak_mb"] for (_, size, engine), r in results.items() if (size, engine) == (n, e) and "peak_mb" in r]
        peaks.append(f"{max(peak):,.0f} MB" if peak else "")
    print("| peak memory of one process | " + " | ".join(peaks) + f" | < {GOAL_PEAK_MB:,} MB |")
    print("\nbuilds (add_analysed_photos, then cluster_all):")
    for (n, e), build in builds.items():
        print(f"  {n:>9,} {e:<5} {describe_build(build)}")
    failed = {key: r for key, r in results.items() if "error" in r}
    for (op, n, e), r in failed.items():
        print(f"  failed: {op} at {n:,} on {e}: {r['error']}")


def print_profile(path: Path) -> None:
    import pstats

    if not path.exists():
        return
    print(f"\n-- profile of {path.stem.removeprefix('profile-')}, top 25 by cumulative time")
    pstats.Stats(str(path)).strip_dirs().sort_stats("cumulative").print_stats(25)
    print("-- top 15 by own time")
    pstats.Stats(str(path)).strip_dirs().sort_stats("tottime").print_stats(15)


# -- the workers: one operation in a fresh process ----------------------------------------


def worker(args) -> int:
    """Run one operation and write its figures to --result."""
    import cProfile

    profiler = cProfile.Profile() if args.profile_to else None
    op = args.worker
    result: dict = {}
    try:
        if op == "cli":
            result = run_cli(args.library, profiler)
        else:
            result = OPERATION_WORKERS[op](args, Timer(profiler))
    finally:
        if profiler:
            profiler.dump_stats(str(args.profile_to))
    result["peak_mb"] = vm_hwm_mb()
    args.result.write_text(json.dumps(result))
    return 0


class Timer:
    """Times the measured part of a worker (and profiles it when asked)."""

    def __init__(self, profiler):
        self.profiler = profiler
        self.seconds = 0.0

    def __enter__(self):
        if self.profiler:
            self.profiler.enable()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        if self.profiler:
            self.profiler.disable()


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return float("nan")


def run_cli(library: Path, profiler) -> dict:
    """`faceorganizer people --json` as its console script runs it, here in
    this process so that its peak memory is read."""
    import contextlib
    import io
    import runpy

    sys.argv = ["faceorganizer", "--library", str(library), "people", "--json"]
    out = io.StringIO()
    if profiler:
        profiler.enable()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_module("faceorganizer", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code:
            raise
    finally:
        if profiler:
            profiler.disable()
    return {"note": f"{len(json.loads(out.getvalue())):,} people listed"}


def open_library(args, timer: Timer | None = None):
    from faceorganizer.library import FaceLibrary

    if timer is None:
        return FaceLibrary(args.library)
    with timer:
        return FaceLibrary(args.library)


def loaded(args):
    """The library, open and with its catalog loaded (not timed)."""
    library = open_library(args)
    library.catalog
    return library


def biggest_people(library) -> list[int]:
    catalog = library.catalog
    return sorted(catalog.cluster_ids(), key=catalog.face_count, reverse=True)


def count_writes(library) -> dict:
    """Count the faces and people each batch the library stores writes."""
    writes = {"faces": 0, "people": 0, "batches": 0}
    store = library._store

    def counted(batch):
        writes["faces"] += len(batch.faces) + len(batch.face_fields) + len(batch.faces_deleted)
        writes["people"] += len(batch.people) + len(batch.people_fields) + len(batch.people_deleted)
        writes["batches"] += 1
        store(batch)

    library._store = counted
    return writes


def writes_note(writes: dict) -> str:
    return f"writes {writes['faces']:,} faces, {writes['people']:,} people in {writes['batches']} batch(es)"


def applied_note(library, timer: Timer) -> str:
    """How long the engine then takes to apply what the operation committed
    (the library does it before its next read, or when idle: see
    faceorganizer.store.journal), which the operation's own time leaves out."""
    with timer:
        library.journal.catch_up()
    return f"then applied to the engine in {format_seconds(timer.seconds)}"


def op_build(args, timer: Timer) -> dict:
    import numpy as np

    from faceorganizer.library import FaceLibrary

    vectors = np.load(args.input / "vectors.npy", mmap_mode="r")
    photo = np.load(args.input / "photo.npy")
    rng = np.random.default_rng(1)
    bounds = np.flatnonzero(np.diff(photo)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(photo)]])
    calls = []
    with FaceLibrary(args.library, engine=args.engine) as library:
        if args.group_at_end:
            library._group_unassigned = lambda *_, **__: set()
        for first in range(0, len(starts), BUILD_PHOTOS):
            photos = []
            for start, end in zip(starts[first:first + BUILD_PHOTOS], ends[first:first + BUILD_PHOTOS]):
                number = int(photo[start])
                photos.append((f"/photos/{number // 500:04d}/IMG_{number:07d}.jpg", (4000, 3000),
                               [face_dict(v, rng) for v in vectors[start:end]]))
            with timer:
                library.add_analysed_photos(photos)
            calls.append(timer.seconds)
        with timer:
            library.cluster_all()
        people = len(library.catalog.cluster_ids())
        unassigned = len(library.unassigned_faces())
    disk = sum(f.stat().st_blocks * 512 for f in args.library.rglob("*") if f.is_file())
    return {"add": sum(calls), "first_call": calls[0], "last_call": calls[-1], "cluster": timer.seconds,
            "faces": len(photo), "people": people, "unassigned": unassigned, "disk_mb": disk / 2**20,
            "grouped": "at the end" if args.group_at_end else "as added"}


def op_settle(args, timer: Timer) -> dict:
    """Open, load the catalog and close, as the user's last session left the
    library (one built by an older version gets this version's snapshot)."""
    loaded(args).close()
    return {"seconds": 0.0}


def op_clear_people(args, timer: Timer) -> dict:
    """Every face's person cleared, every person removed, in one batch."""
    from faceorganizer.people import FaceState
    from faceorganizer.store import Batch

    library = open_library(args)
    batch = Batch()
    batch.set_face_fields([f["id"] for f in library.store.iter_faces(fields=[])],
                          {**FaceState(None).payload(), "cluster_confidence": None})
    batch.people_deleted.update(int(p["id"]) for p in library.store.iter_people())
    library._store(batch)
    library.close()
    return {"seconds": 0.0}


def op_open(args, timer: Timer) -> dict:
    library = open_library(args, timer)
    return {"seconds": timer.seconds, "note": f"{library.count():,} faces"}


def op_people(args, timer: Timer) -> dict:
    library = open_library(args, timer)
    opened = timer.seconds
    with timer:
        people = library.people()
    return {"seconds": opened + timer.seconds,
            "note": f"open {format_seconds(opened)} + people() {format_seconds(timer.seconds)}; "
                    f"{len(people):,} people"}


def op_catalog(args, timer: Timer) -> dict:
    library = open_library(args, timer)
    opened = timer.seconds
    with timer:
        library.catalog
    return {"seconds": opened + timer.seconds,
            "note": f"open {format_seconds(opened)} + catalog {format_seconds(timer.seconds)}"}


def op_merge(args, timer: Timer) -> dict:
    library = loaded(args)
    a, b = biggest_people(library)[:2]
    sizes = library.catalog.face_count(a), library.catalog.face_count(b)
    writes = count_writes(library)
    with timer:
        library.merge_clusters([a, b])
    seconds, applied = timer.seconds, applied_note(library, timer)
    library.close()  # the user quits (the undo runs in the next session)
    return {"seconds": seconds, "note": f"{sizes[0]:,} + {sizes[1]:,} faces; {writes_note(writes)}, {applied}"}


def op_reassign(args, timer: Timer) -> dict:
    library = loaded(args)
    a, b = biggest_people(library)[:2]
    face = library.catalog.face_ids_of(a)[0]
    writes = count_writes(library)
    with timer:
        library.reassign_faces([face], b)
    seconds, applied = timer.seconds, applied_note(library, timer)
    library.close()  # the user quits (the undo runs in the next session)
    return {"seconds": seconds, "note": f"from {library.catalog.face_count(a) + 1:,} faces to "
                                        f"{library.catalog.face_count(b) - 1:,}; {writes_note(writes)}, {applied}"}


def op_split(args, timer: Timer) -> dict:
    library = loaded(args)
    a = biggest_people(library)[0]
    size = library.catalog.face_count(a)
    writes = count_writes(library)
    with timer:
        library.split_cluster(a, [library.catalog.face_ids_of(a)[:100]])
    seconds, applied = timer.seconds, applied_note(library, timer)
    library.close()  # the user quits (the undo runs in the next session)
    return {"seconds": seconds, "note": f"off {size:,} faces; {writes_note(writes)}, {applied}"}


def op_undo(args, timer: Timer) -> dict:
    library = loaded(args)
    writes = count_writes(library)
    with timer:
        undone = library.undo()
    seconds, applied = timer.seconds, applied_note(library, timer)
    return {"seconds": seconds, "note": f"{undone.description if undone else 'nothing to undo'}; "
                                        f"{writes_note(writes)}, {applied}"}


def op_add(args, timer: Timer) -> dict:
    library = loaded(args)
    photos = json.loads((args.input / "faces.json").read_text())["new_photos"]
    writes = count_writes(library)
    with timer:
        face_ids = library.add_analysed_photos(photos)
    seconds, applied = timer.seconds, applied_note(library, timer)
    joined = sum(library.catalog.state(f).cluster_id is not None for ids in face_ids for f in ids)
    return {"seconds": seconds,
            "note": f"{joined} of {sum(map(len, face_ids))} joined a person; {writes_note(writes)}, {applied}"}


def op_search(args, timer: Timer) -> dict:
    library = open_library(args)
    faces = [f["id"] for f in library.store.iter_faces(fields=[])][::997][:12]
    with timer:
        library.search(faces[0])  # the store scans: a one-off search of a library just opened
    from_store = timer.seconds
    library.catalog  # every vector in memory, as in the window's library process
    with timer:
        hits = library.search(faces[1])
    first = timer.seconds
    times = []
    for face_id in faces[2:]:
        with timer:
            library.search(face_id)
        times.append(timer.seconds)
    times.sort()
    return {"seconds": first, "note": f"{len(hits)} hits; next {len(times)} searches: median "
                                      f"{format_seconds(times[len(times) // 2]) if times else '-'}; "
                                      f"before the catalog loaded, from the store: {format_seconds(from_store)}"}


def op_recluster(args, timer: Timer) -> dict:
    library = loaded(args)
    writes = count_writes(library)
    with timer:
        people = library.cluster_all()
    return {"seconds": timer.seconds, "note": f"{people:,} people; {writes_note(writes)}"}


OPERATION_WORKERS = {
    "build": op_build,
    "settle": op_settle,
    "clear-people": op_clear_people,
    "open": op_open,
    "people": op_people,
    "catalog": op_catalog,
    "merge": op_merge,
    "reassign": op_reassign,
    "split": op_split,
    "undo-merge": op_undo,
    "undo-reassign": op_undo,
    "undo-split": op_undo,
    "add": op_add,
    "search": op_search,
    "recluster": op_recluster,
    "first-cluster": op_recluster,
}


if __name__ == "__main__":
    raise SystemExit(main())
