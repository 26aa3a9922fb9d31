"""The `faceorganizer` command line, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faceorganizer.cli import main, parse_args
from faceorganizer.library import FaceLibrary

from conftest import copy_library, fill, library_held_elsewhere, photo_variant, write_huge_png


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "faceorganizer", *args], capture_output=True, text=True, timeout=300
    )


def usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2, argv


pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def six_people_library(tmp_path_factory, sample_photos, analyzer):
    """library(engine): a library of three shots of the six people of t1.jpg,
    grouped, made once per engine."""
    made: dict[str, Path] = {}

    def library_on(engine: str) -> Path:
        if engine not in made:
            root = tmp_path_factory.mktemp(f"six-people-{engine}")
            folder = root / "photos"
            folder.mkdir()
            for seed in range(3):
                photo_variant(sample_photos["t1"], folder / f"t1-{seed}.jpg", seed)
            with FaceLibrary(root / "library", analyzer=analyzer, engine=engine) as library:
                library.index_directory(folder)
                assert library.cluster_all() == 6
            made[engine] = root / "library"
        return made[engine]

    return library_on


@pytest.fixture
def six_people(six_people_library, tmp_path, engine) -> str:
    """A copy of six_people_library for one test to change."""
    copy_library(six_people_library(engine), tmp_path / "library")
    return str(tmp_path / "library")


def contents(library: str, capsys) -> tuple[list[dict], list[dict]]:
    """The people and faces of a library, as `people --json` and `faces --json` print them."""
    capsys.readouterr()
    assert main(["people", "--library", library, "--hidden", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert main(["faces", "--library", library, "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)
    return people, faces


def test_the_command_runs_without_a_stderr(tmp_path):
    """faceorganizer-gui, a GUI program on Windows, runs without a stderr:
    the command still runs (only a crash's stacks have nowhere to go)."""
    script = ("import sys; sys.stderr = None; from faceorganizer.cli import main; "
              f"raise SystemExit(main(['people', '--library', {str(tmp_path / 'library')!r}]))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # a new library: no people


def test_index_then_faces_json(tmp_path, photo_folder, capsys):
    library = str(tmp_path / "lib")
    assert main(["index", "--library", library, str(photo_folder)]) == 0
    out = capsys.readouterr().out
    assert "2 photos seen, 2 indexed, 0 unchanged, 0 failed" in out

    assert main(["faces", "--library", library, "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)
    by_photo = {}
    for face in faces:
        assert set(face) == {"face_id", "path", "bbox", "cluster_id", "det_score"}
        assert os.path.isabs(face["path"])
        by_photo.setdefault(Path(face["path"]).name, []).append(face)
    assert len(by_photo["t1.jpg"]) == 6
    assert 15 <= len(by_photo["players.jpg"]) <= 24

    assert main(["index", "--library", library, str(photo_folder)]) == 0
    assert "2 photos seen, 0 indexed, 2 unchanged, 0 failed" in capsys.readouterr().out


def test_search_json(tmp_path, photo_folder, sample_photos, capsys, monkeypatch):
    monkeypatch.setenv("FACEORGANIZER_LIBRARY", str(tmp_path / "lib"))
    assert main(["index", str(photo_folder)]) == 0
    capsys.readouterr()
    # Yao Ming is one of the players.
    assert main(["search", str(sample_photos["yaoming"]), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 1 and results[0]["path"].endswith("players.jpg")
    assert set(results[0]) == {"face_id", "score", "path", "bbox", "cluster_id", "person_name"}
    assert main(["search", str(sample_photos["yaoming"]), "--top-k", "3", "--threshold", "0.01", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 3
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]


def test_search_lists_only_faces_like_the_query_with_their_person(six_people, sample_photos, tmp_path, capsys):
    query = str(photo_variant(sample_photos["t1"], tmp_path / "another-shot.jpg", 7))
    assert main(["search", "--library", six_people, query, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found) == 3 and len({f["cluster_id"] for f in found}) == 1
    person = found[0]["cluster_id"]
    assert main(["rename", "--library", six_people, str(person), "Anna"]) == 0
    capsys.readouterr()
    assert main(["search", "--library", six_people, query]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3 and all(f"person {person} 'Anna'" in line for line in lines)
    assert "3 faces" in captured.err


def test_search_for_someone_not_in_the_library_says_so(six_people, sample_photos, capsys):
    yaoming = str(sample_photos["yaoming"])
    assert main(["search", "--library", six_people, yaoming]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "No one like this in the library" in captured.err
    assert main(["search", "--library", six_people, yaoming, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    # Looking further is the user's choice.
    assert main(["search", "--library", six_people, yaoming, "--threshold", "0.05", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    for top_k in ("0", "-1", "many"):
        usage_error(["search", "--library", six_people, yaoming, "--top-k", top_k])


def test_bad_files_are_named_and_exit_is_zero(tmp_path, photo_folder, sample_photos, capsys):
    good = sample_photos["t1"].read_bytes()
    (photo_folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (photo_folder / "empty.jpg").write_bytes(b"")
    (photo_folder / "readme.jpg").write_text("hello")
    write_huge_png(photo_folder / "huge.png")
    assert main(["index", "--library", str(tmp_path / "lib"), str(photo_folder)]) == 0
    out = capsys.readouterr().out
    assert "6 photos seen, 2 indexed, 0 unchanged, 4 failed" in out
    for name, reason in [("truncated.jpg", "truncated"), ("empty.jpg", "empty"),
                         ("readme.jpg", "not an image"), ("huge.png", "too large")]:
        line = next(l for l in out.splitlines() if name in l)
        assert reason in line


def test_folders_that_are_not_there_are_refused_before_anything_is_done(tmp_path, photo_folder, capsys):
    library = tmp_path / "lib"
    (tmp_path / "photo.jpg").write_bytes(b"")
    usage_error(["index", "--library", str(library), str(photo_folder), str(tmp_path / "nope"),
                 str(tmp_path / "photo.jpg")])
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nope'}: no such folder" in err
    assert f"{tmp_path / 'photo.jpg'}: not a folder" in err
    assert str(photo_folder) not in err
    assert not library.exists()


def test_cluster_threshold_out_of_range_is_refused(six_people, capsys):
    before = contents(six_people, capsys)
    for threshold in ("7", "1", "0", "-0.5", "nan", "inf", "high"):
        usage_error(["cluster", "--library", six_people, "--threshold", threshold])
        assert "--threshold" in capsys.readouterr().err
    assert contents(six_people, capsys) == before
    assert main(["cluster", "--library", six_people, "--threshold", "0.5"]) == 0
    assert "6 people" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["index"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_second_process_gets_a_clear_message(tmp_path):
    library = tmp_path / "lib"
    with library_held_elsewhere(library) as pid:
        result = run("faces", "--library", str(library))
        assert result.returncode == 1
        assert "in use by another faceorganizer" in result.stderr
        assert f"process {pid}" in result.stderr
        assert "Traceback" not in result.stderr
    # Once the first process is gone, the library opens.
    assert run("faces", "--library", str(library)).returncode == 0


def test_kill_9_in_the_middle_then_index_again(tmp_path, sample_photos, analyzer):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(30):
        name = ("t1", "players", "gdp")[i % 3]
        shutil.copy(sample_photos[name], folder / f"{i:02d}-{name}.jpg")
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        [sys.executable, "-m", "faceorganizer", "index", "--library", str(interrupted), str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # Kill once faces are being written: a few photos' thumbnails exist.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        thumbs = interrupted / "thumbnails"
        if thumbs.exists() and sum(1 for _ in thumbs.rglob("*.jpg")) > 60:
            break
        time.sleep(0.05)
    time.sleep(0.7)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "indexing ended before it could be killed"

    assert run("index", "--library", str(interrupted), str(folder)).returncode == 0

    def faces_of(library_dir):
        with FaceLibrary(library_dir, analyzer=analyzer) as library:
            faces = list(library.iter_faces())
            assert library.index_directory(folder).unchanged == 30
        return faces

    with FaceLibrary(tmp_path / "clean", analyzer=analyzer) as library:
        library.index_directory(folder)
    resumed, clean = faces_of(interrupted), faces_of(tmp_path / "clean")
    assert len(resumed) == len({f["id"] for f in resumed})
    assert sorted((f["id"], f["path"], f["bbox"]) for f in resumed) == sorted(
        (f["id"], f["path"], f["bbox"]) for f in clean
    )
    thumbs = {p.stem for p in (interrupted / "thumbnails").rglob("*.jpg")}
    assert {f["id"] for f in resumed} <= thumbs


def test_ctrl_c_stops_cleanly_and_the_next_run_continues(tmp_path, sample_photos):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(24):
        shutil.copy(sample_photos["players"], folder / f"{i:02d}.jpg")
    library = tmp_path / "lib"
    process = subprocess.Popen(
        [sys.executable, "-m", "faceorganizer", "index", "--library", str(library), str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (library / "thumbnails").exists():
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "stopped early" in out and "Traceback" not in err
    indexed = int(out.split(" indexed")[0].rsplit(", ", 1)[1])
    assert 0 < indexed < 24
    result = run("index", "--library", str(library), str(folder))
    assert f"24 photos seen, {24 - indexed} indexed, {indexed} unchanged" in result.stdout


def test_people_commands(tmp_path, make_photos, capsys):
    library = str(tmp_path / "lib")
    folder = make_photos("shots", "t1", 3)[0].parent
    assert main(["index", "--library", library, str(folder)]) == 0
    assert main(["cluster", "--library", library]) == 0
    assert "6 people, 0 faces unassigned" in capsys.readouterr().out

    assert main(["people", "--library", library, "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert [set(p) for p in people] == [{"cluster_id", "name", "face_count", "hidden", "born"}] * 6
    first, second, third = (p["cluster_id"] for p in people[:3])

    assert main(["rename", "--library", library, str(first), "Anna"]) == 0
    assert main(["merge", "--library", library, str(first), str(second)]) == 0
    assert main(["hide", "--library", library, str(third)]) == 0
    capsys.readouterr()
    assert main(["faces", "--library", library, "--person", str(first), "--json"]) == 0
    anna = json.loads(capsys.readouterr().out)
    assert len(anna) == 6 and {f["cluster_id"] for f in anna} == {first}

    assert main(["split", "--library", library, str(first), anna[0]["face_id"]]) == 0
    assert main(["reassign", "--library", library, anna[1]["face_id"], "new"]) == 0
    assert main(["not-a-face", "--library", library, anna[2]["face_id"]]) == 0
    capsys.readouterr()
    assert main(["people", "--library", library, "--json", "--hidden"]) == 0
    people = {p["cluster_id"]: p for p in json.loads(capsys.readouterr().out)}
    assert people[first]["name"] == "Anna" and people[first]["face_count"] == 3
    assert people[third]["hidden"] and second not in people
    assert main(["merge", "--library", library, "9999", str(first)]) == 1


def test_options_before_the_command(tmp_path, sample_photos, six_people, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sample_photos["t1"], folder)
    library = str(tmp_path / "new")
    assert main(["-v", f"--library={library}", "index", str(folder)]) == 0
    assert "1 photos seen, 1 indexed" in capsys.readouterr().out
    assert main(["--library", six_people, "people", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 6
    # After the command, the same option wins.
    assert main(["--library", library, "people", "--library", six_people, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 6


def test_no_command_opens_the_window(tmp_path, capsys):
    assert parse_args([]).command == "gui"
    for argv in ([str(tmp_path)], ["-v", "--library", "lib", str(tmp_path)],
                 [str(tmp_path), "--library", "lib", "-v"]):
        args = parse_args(argv)
        assert args.command == "gui" and args.folders == [tmp_path], argv
    assert parse_args(["--library", "lib"]).library == Path("lib")
    assert parse_args(["--library", "people"]).command == "gui"
    usage_error(["-v", "idnex"])
    assert "idnex: no such folder, and not a command" in capsys.readouterr().err


def test_a_library_that_cannot_be_opened_is_named_without_a_traceback(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a library")
    result = run("people", "--library", str(notes))
    assert result.returncode == 1
    assert f"The library {notes} is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("people", "--library", str(notes / "library"))
    assert result.returncode == 1
    assert f"Cannot open the library {notes / 'library'}: " in result.stderr
    assert "Traceback" not in result.stderr
    assert notes.read_text() == "not a library"
    # -v shows where the error happened.
    result = run("-v", "people", "--library", str(notes))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "is a file, not a folder" in result.stderr


def test_faces_of_an_unknown_person_is_an_error(six_people, capsys):
    assert main(["faces", "--library", six_people, "--person", "999999"]) == 1
    captured = capsys.readouterr()
    assert "no person with id 999999" in captured.err and captured.out == ""
    usage_error(["faces", "--library", six_people, "--person", "1", "--unassigned"])


def test_corrections_that_make_no_sense_change_nothing(six_people, capsys):
    before = contents(six_people, capsys)
    people, faces = before
    first, second = people[0]["cluster_id"], people[1]["cluster_id"]
    usage_error(["merge", "--library", six_people, str(first)])
    assert "two different people" in capsys.readouterr().err
    usage_error(["merge", "--library", six_people, str(first), str(first)])
    assert "two different people" in capsys.readouterr().err
    stranger = next(f["face_id"] for f in faces if f["cluster_id"] == second)
    assert main(["split", "--library", six_people, str(first), stranger]) == 1
    captured = capsys.readouterr()
    assert f"{stranger}) is not a face of" in captured.err and captured.out == ""
    assert contents(six_people, capsys) == before


def test_a_name_another_person_has_is_refused_unless_allowed(six_people, capsys):
    people, _ = contents(six_people, capsys)
    first, second = people[0]["cluster_id"], people[1]["cluster_id"]
    assert main(["rename", "--library", six_people, str(first), "Leonard"]) == 0
    capsys.readouterr()
    assert main(["rename", "--library", six_people, str(second), "leonard"]) == 1
    err = capsys.readouterr().err
    assert "already named 'Leonard'" in err
    assert f"faceorganizer merge {first} {second}" in err
    assert f"To give both the name: faceorganizer rename {second} leonard --allow-duplicate" in err

    def names():
        return {p["cluster_id"]: p["name"] for p in contents(six_people, capsys)[0]}

    assert names()[second] is None
    assert main(["rename", "--library", six_people, str(second), "Leonard", "--allow-duplicate"]) == 0
    assert [names()[first], names()[second]] == ["Leonard", "Leonard"]


def test_undo_and_redo_in_a_new_process(six_people):
    """merge, then undo in a new process: exactly the previous state; redo
    brings the merge back; history lists both, in the user's words."""

    def state():
        people = json.loads(run("people", "--library", six_people, "--hidden", "--json").stdout)
        faces = json.loads(run("faces", "--library", six_people, "--json").stdout)
        return people, faces

    before = state()
    first, second = before[0][0]["cluster_id"], before[0][1]["cluster_id"]
    assert run("rename", "--library", six_people, str(first), "Anna").returncode == 0
    named = state()
    merged = run("merge", "--library", six_people, str(first), str(second))
    assert merged.returncode == 0 and "into 'Anna'" in merged.stdout
    after = state()
    undone = run("undo", "--library", six_people)
    assert undone.returncode == 0 and undone.stdout.startswith("Undo merge an unnamed person (3 faces) into 'Anna'")
    assert state() == named
    assert run("redo", "--library", six_people).returncode == 0
    assert state() == after
    history = json.loads(run("history", "--library", six_people, "--json").stdout)
    assert [(e["description"], e["undone"]) for e in history] == [
        ("Merge an unnamed person (3 faces) into 'Anna'", False), ("Name an unnamed person (3 faces) 'Anna'", False)]
    run("undo", "--library", six_people)
    run("undo", "--library", six_people)
    assert state() == before
    assert run("undo", "--library", six_people).stdout.strip() == "Nothing to undo"


def test_settings_are_kept_in_the_library_and_group_its_faces(six_people, engine, capsys):
    """`settings` changes the library's grouping for every later process:
    with at least 4 faces a person, the six people of three photos wait
    unassigned after `cluster`."""
    assert main(["settings", "--library", six_people, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "cluster_threshold": 0.475, "min_faces": 2, "min_face_size": 20, "engine": engine}
    assert main(["settings", "--library", six_people, "--min-faces", "4", "--threshold", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "min-faces      4 faces  (was 2 faces)" in out and "faceorganizer cluster" in out
    clustered = run("cluster", "--library", six_people)
    assert clustered.returncode == 0 and clustered.stdout.startswith("0 people, 18 faces unassigned"), clustered
    assert json.loads(run("settings", "--library", six_people, "--json").stdout)["cluster_threshold"] == 0.5
    usage_error(["settings", "--library", six_people, "--threshold", "1.2"])
    usage_error(["settings", "--library", six_people, "--min-face-size", "0"])


def test_a_new_library_takes_the_engine_asked_for(tmp_path, photo_folder):
    for engine in ("local", "edge"):
        library = tmp_path / engine
        assert run("index", "--engine", engine, "--library", str(library), str(photo_folder)).returncode == 0
        assert (library / {"edge": "edge", "local": "qdrant"}[engine]).is_dir()
    other = run("people", "--engine", "edge", "--library", str(tmp_path / "local"))
    assert other.returncode == 1 and "keeps its faces in the local engine" in other.stderr


def _without_write_rights(*command: str) -> list[str]:
    """The command run by a user who cannot write where the library's files are:
    as root, root's power to write anywhere is dropped first."""
    if os.geteuid() != 0:
        return list(command)
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: write rights cannot be dropped")
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]


def test_a_read_only_library_can_be_browsed_but_not_changed(six_people, tmp_path):
    """A library on a backup drive or a read-only share: people, faces and
    search work; changes say the library is read-only; nothing is written."""
    library = Path(six_people)
    people = json.loads(run("people", "--library", six_people, "--json").stdout)
    faces = json.loads(run("faces", "--library", six_people, "--json").stdout)
    files = {p: p.stat().st_mtime_ns for p in library.rglob("*") if p.is_file()}
    subprocess.run(["chmod", "-R", "a-w", str(library)], check=True)
    try:
        def as_user(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(_without_write_rights(sys.executable, "-m", "faceorganizer", *args),
                                  capture_output=True, text=True, timeout=300)

        listed = as_user("people", "--library", six_people, "--json")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == people
        assert json.loads(as_user("faces", "--library", six_people, "--json").stdout) == faces
        assert as_user("search", "--library", six_people, faces[0]["face_id"]).returncode == 0
        for change in (["rename", str(people[0]["cluster_id"]), "Anna"], ["undo"],
                       ["index", str(tmp_path)], ["cluster"]):
            refused = as_user(*change, "--library", six_people)
            assert refused.returncode == 1, change
            assert "is read-only" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(library)], check=True)
    assert {p: p.stat().st_mtime_ns for p in library.rglob("*") if p.is_file()} == files


def _damage(path: Path, mode: str) -> None:
    if mode == "delete":
        path.unlink()
    elif mode == "empty":
        path.write_bytes(b"")
    elif mode == "halve":
        os.truncate(path, path.stat().st_size // 2)
    else:  # garble a stretch where the data is
        with open(path, "r+b") as f:
            f.seek(min(64, path.stat().st_size // 4))
            f.write(os.urandom(4096))


def test_a_damaged_store_file_is_named_never_a_traceback_or_a_silently_empty_library(six_people_library, engine,
                                                                                      tmp_path):
    """Each of the store's biggest files (by what is written in them), and its
    settings, emptied, halved, garbled or deleted: the library reads the same,
    or every command says it is damaged (exit 3) and how to repair it."""
    original = six_people_library(engine)
    people = run("people", "--library", str(original), "--json")
    files = sorted((p for p in original.rglob("*") if p.is_file() and p.name != "faceorganizer.lock"
                    and "thumbnails" not in p.parts), key=lambda p: p.stat().st_blocks, reverse=True)
    targets = [*files[:2], *(p for p in files if p.suffix == ".json" and p.parent.name in ("edge", "qdrant"))]
    outcomes = set()
    for i, target in enumerate(targets):
        for mode in ("empty", "halve", "garble", "delete"):
            trial = tmp_path / f"{i}-{target.name}-{mode}"
            copy_library(original, trial)
            _damage(trial / target.relative_to(original), mode)
            result = run("people", "--library", str(trial), "--json")
            case = f"{mode} {target.relative_to(original)}: {result.stderr}"
            assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, case
            if result.returncode == 0:
                assert result.stdout == people.stdout, case  # never silently less
            else:
                assert result.returncode == 3 and "is damaged" in result.stderr, case
                assert "faceorganizer check --repair" in result.stderr, case
            outcomes.add(result.returncode)
    assert 3 in outcomes


def test_check_repair_then_index_brings_back_every_face_and_name(tmp_path, make_photos, engine):
    """A store part emptied: the library says it is damaged; check --repair
    sets the damage aside and keeps what it can, analyses the photos whose
    faces were lost, and gives them back their names."""
    photos = make_photos("shots", "t1", 3)[0].parent
    library = tmp_path / "library"
    assert run("index", "--library", str(library), str(photos)).returncode == 0
    people = json.loads(run("people", "--library", str(library), "--json").stdout)
    assert run("rename", "--library", str(library), str(people[0]["cluster_id"]), "Anna").returncode == 0
    assert run("merge", "--library", str(library), str(people[0]["cluster_id"]),
               str(people[1]["cluster_id"])).returncode == 0
    healthy = run("check", "--library", str(library))
    assert healthy.returncode == 0 and "good order" in healthy.stdout
    before = json.loads(run("people", "--library", str(library), "--json").stdout)
    faces_before = {f["face_id"] for f in json.loads(run("faces", "--library", str(library), "--json").stdout)}

    # The faces are lost: the biggest file of the face store emptied.
    store = library / ("edge/faces" if engine == "edge" else "qdrant/collection/faceorganizer-faces")
    biggest = max((p for p in store.rglob("*") if p.is_file()), key=lambda p: p.stat().st_blocks)
    biggest.write_bytes(b"")
    damaged = run("people", "--library", str(library))
    assert damaged.returncode == 3 and "is damaged" in damaged.stderr

    repaired = run("check", "--repair", "--library", str(library))
    assert repaired.returncode == 0, repaired.stderr
    assert "set aside" in repaired.stdout and "3 photos analysed again" in repaired.stdout
    assert list(library.glob("damaged-*"))
    after = json.loads(run("people", "--library", str(library), "--json").stdout)
    assert {f["face_id"] for f in json.loads(run("faces", "--library", str(library), "--json").stdout)} == faces_before
    assert [(p["name"], p["face_count"]) for p in after] == [(p["name"], p["face_count"]) for p in before]
    assert run("check", "--library", str(library)).returncode == 0


def test_install_desktop_adds_a_menu_entry_that_starts_this_python(tmp_path, monkeypatch):
    data = tmp_path / "data with space"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    assert main(["install-desktop"]) == 0
    entry = data / "applications" / "faceorganizer.desktop"
    icon = data / "icons/hicolor/scalable/apps/faceorganizer.svg"
    assert icon.read_bytes().startswith(b"<svg") or b"<svg" in icon.read_bytes()[:200]
    [exec_line] = [line for line in entry.read_text().splitlines() if line.startswith("Exec=")]
    assert exec_line.endswith(" -m faceorganizer gui %F")
    program = exec_line[len("Exec="):-len(" -m faceorganizer gui %F")]
    assert program == sys.executable  # no special characters to quote here
    assert subprocess.run([program, "-m", "faceorganizer", "--help"], capture_output=True).returncode == 0
    if shutil.which("desktop-file-validate"):
        assert subprocess.run(["desktop-file-validate", str(entry)], capture_output=True).returncode == 0
    assert main(["install-desktop", "--remove"]) == 0
    assert not entry.exists() and not icon.exists()


def test_a_program_path_with_spaces_is_quoted_as_desktop_entries_want():
    from faceorganizer.desktop import _quoted

    assert _quoted("/usr/bin/python3") == "/usr/bin/python3"
    assert _quoted("/home/a b/venv/bin/python") == '"/home/a b/venv/bin/python"'
    assert _quoted('/x/$y"z') == '"/x/\\\\$y\\\\"z"'
    assert _quoted("/100%/python") == "/100%%/python"


def test_a_disk_that_fills_while_indexing_stops_cleanly_and_loses_nothing(small_disk, tmp_path, sample_photos,
                                                                          engine):
    """The disk fills during `index`: a message saying so, no traceback; the
    library opens with what was written; with space freed, `index` gives
    every face exactly once."""
    from faceorganizer.store.edge import EdgeStore
    from faceorganizer.store.local import QdrantClientStore

    photos = tmp_path / "photos"
    for i in range(18):
        name = ("t1", "gdp", "players")[i % 3]
        (photos / "ab"[i % 2]).mkdir(parents=True, exist_ok=True)
        photo_variant(sample_photos[name], photos / "ab"[i % 2] / f"{i:02d}-{name}.jpg", i)
    reference = tmp_path / "reference"
    assert run("index", "--library", str(reference), str(photos)).returncode == 0
    expected = sorted(f["face_id"] for f in json.loads(run("faces", "--library", str(reference), "--json").stdout))

    library = small_disk / "library"
    assert run("index", "--library", str(library), str(photos / "a")).returncode == 0
    before = run("faces", "--library", str(library), "--json").stdout
    reserve = (EdgeStore if engine == "edge" else QdrantClientStore).reserve
    filler = fill(small_disk, reserve - 4 * 2**20)  # less free than the engine needs to write safely
    full = run("index", "--library", str(library), str(photos))
    assert full.returncode == 1, full.stderr
    assert "The disk holding the library" in full.stderr and "is full" in full.stderr, full.stderr
    assert "Traceback" not in full.stderr and "unexpected" not in full.stderr
    browsed = run("faces", "--library", str(library), "--json")
    assert browsed.returncode == 0, browsed.stderr
    assert browsed.stdout == before

    filler.unlink()
    assert run("index", "--library", str(library), str(photos)).returncode == 0
    faces = json.loads(run("faces", "--library", str(library), "--json").stdout)
    assert sorted(f["face_id"] for f in faces) == expected
    assert json.loads(run("people", "--library", str(library), "--json").stdout)


def test_the_command_line_knows_its_command_before_the_library_s_code_loads():
    """`faceorganizer` (the window) starts the library's process first, so
    that the library opens while Qt loads: parsing any command loads none of
    the library's code, numpy or Qt (they took 0.5 s before that start)."""
    script = (
        "import sys, faceorganizer.cli as cli\n"
        "for argv in (['.'], ['people', '--json'], ['merge', '1', '2'], ['index', '.']):\n"
        "    cli.parse_args(argv)\n"
        "print(' '.join(m for m in ('numpy', 'PySide6', 'tqdm', 'faceorganizer.store', 'faceorganizer.protocol',"
        " 'faceorganizer.application', 'faceorganizer.library', 'faceorganizer.jobs') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
