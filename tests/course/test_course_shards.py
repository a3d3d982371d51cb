"""A class graded in shards (``grade --shard I/N``) and merged (``merge``) gives the gradebook
of the class graded at once; merge refuses gradebooks that do not belong together and lists
every student graded twice or never."""

import csv
import json
import shlex
import shutil
import sqlite3

import pytest

from mlpcourse.__main__ import main
from mlpcourse.grade import shard_of
from mlpcourse.kernel import sandbox_problem
from mlpcourse.samples import make_class
from mlpcourse.statuses import passes

CH = "04_forward_pass"  # the shards are about the grader, not the chapter; chapter 4 runs in under a second
SEED = 5
SHARDS = 3
ISOLATION = ["--no-sandbox"] if sandbox_problem() else []


def _grade(submissions, out, *extra):
    return main(["grade", str(submissions), "--out", str(out), "--seed", str(SEED), "--jobs", "2", "--no-progress",
                 "--chapters", CH, *ISOLATION, *extra])


def _csv(path, drop=("seconds",)):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in row.items() if k not in drop} for row in rows]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Five students graded at once, and in three shards of which each holds at least one student."""
    root = tmp_path_factory.mktemp("shards")
    made = make_class(root / "class", [CH], 5)
    assert {shard_of(s, SHARDS) for s in made} == set(range(SHARDS))  # every shard has work
    assert _grade(root / "class", root / "whole") == 0
    for i in range(SHARDS):
        assert _grade(root / "class", root / f"shard{i}", "--shard", f"{i}/{SHARDS}") == 0
    return root, made


def test_a_shard_grades_exactly_its_slice_of_the_class(graded):
    root, made = graded
    for i in range(SHARDS):
        students = {row["student"] for row in _csv(root / f"shard{i}" / "grades.csv")}
        assert students == {s for s in made if shard_of(s, SHARDS) == i}


def test_three_shards_merged_equal_the_single_run(graded, capsys):
    root, made = graded
    out = root / "merged"
    assert main(["merge", *(str(root / f"shard{i}") for i in range(SHARDS)), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "note:" not in said and f"{len(made)} students" in said
    for name in ("grades.csv", "summary.csv"):
        assert _csv(out / name) == _csv(root / "whole" / name), name
    for student in made:
        assert (out / "feedback" / f"{student}.md").read_text() == (root / "whole" / "feedback" /
                                                                    f"{student}.md").read_text()
    assert {"passed" if passes(r["status"]) else r["status"] for r in _csv(out / "grades.csv")} >= {
        "passed", "failed", "not attempted"}
    db = sqlite3.connect(out / "gradebook.db")  # the record: every shard's run and row, none lost
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == SHARDS
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == len(made)
    assert "merged from 3 gradebooks" in (out / "report.html").read_text()


def test_slices_are_stable_as_students_join():
    ids = [f"s{k:04d}" for k in range(400)]
    before = {s: shard_of(s, 4) for s in ids}
    assert {s: shard_of(s, 4) for s in [*ids, "newcomer", "another"]} | before == {
        s: shard_of(s, 4) for s in [*ids, "newcomer", "another"]}
    sizes = [list(before.values()).count(i) for i in range(4)]
    assert min(sizes) > 70  # roughly even: 100 expected per shard


def test_merge_lists_a_student_graded_twice_and_the_shard_missing(graded, capsys):
    root, made = graded
    out = root / "merged-twice"
    assert main(["merge", str(root / "shard0"), str(root / "shard0"), str(root / "shard1"), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    first = sorted(s for s in made if shard_of(s, SHARDS) == 0)
    missing = sorted(s for s in made if shard_of(s, SHARDS) == 2)
    assert f"{root / 'shard0'} was named more than once; merged once" in said
    assert "no gradebook of shard 2 of 3" in said
    assert all(f"{s} was graded in" not in said for s in first)  # the same folder twice is one gradebook
    assert f"graded in no gradebook, exported as missing: {', '.join(missing)}" in said
    rows = _csv(out / "grades.csv")
    assert {r["status"] for r in rows if r["student"] in missing} == {"missing"}
    # a real regrade of shard 0 elsewhere: its students were graded in two gradebooks
    shutil.copytree(root / "shard0", root / "shard0-again")
    again = root / "merged-again"
    assert main(["merge", str(root / "shard0"), str(root / "shard0-again"), str(root / "shard1"),
                 str(root / "shard2"), "--out", str(again)]) == 0
    said = capsys.readouterr().out
    assert "shard 0 of 3 is in 2 gradebooks" in said
    assert all(f"{s} was graded in 2 gradebooks" in said for s in first)
    assert _csv(again / "grades.csv") == _csv(root / "whole" / "grades.csv")


@pytest.mark.parametrize("column, value, what", [
    ("course", "0" * 64, "different versions of the course"),
    ("limits", json.dumps({"cell": 1.0, "memory": 1.0, "total": 9.0}), "different limits"),
    ("chapters", json.dumps(["03_activation_functions"]), "different chapters"),
    ("students", json.dumps(["someone-else"]), "different classes"),
])
def test_merge_refuses_gradebooks_that_do_not_belong_together(graded, tmp_path, capsys, column, value, what):
    root, _ = graded
    odd = tmp_path / "odd"
    shutil.copytree(root / "shard1", odd)
    db = sqlite3.connect(odd / "gradebook.db")
    table = "classes" if column in ("chapters", "students") else "runs"
    with db:
        db.execute(f"UPDATE {table} SET {column} = ?", (value,))
    db.close()
    assert main(["merge", str(root / "shard0"), str(odd), str(root / "shard2"), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert what in err and str(odd) in err and str(root / "shard0") in err
    assert not (tmp_path / "m").exists()  # nothing written


def test_shard_and_merge_say_what_is_wrong(graded, tmp_path, capsys):
    root, made = graded
    for bad in ("3/3", "1/0", "a/b", "1"):
        assert main(["grade", str(root / "class"), "--out", str(tmp_path / "g"), "--shard", bad]) == 2
        assert "--shard must be I/N with 0 <= I < N" in capsys.readouterr().err
    assert main(["merge", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "holds no gradebook.db" in capsys.readouterr().err
    assert main(["merge", str(root / "shard0"), "--out", str(root / "shard1")]) == 2
    assert "already holds a gradebook" in capsys.readouterr().err
    other = next(s for s in made if shard_of(s, SHARDS) != 0)
    assert _grade(root / "class", tmp_path / "g", "--shard", f"0/{SHARDS}", "--student", other) == 2
    assert f"student {other} is in shard {shard_of(other, SHARDS)} of 3, not 0" in capsys.readouterr().err


def test_grade_writes_the_similarity_report_and_changes_no_status(graded):
    root, made = graded
    solved = sorted(s for s, kind in made.items() if kind == "solved")
    page = (root / "whole" / "similarity.html").read_text()
    assert f"{solved[0]}, {solved[1]}" in page  # both pasted the book's solution: one group
    assert "the book&#x27;s reference solution" in page and "no grade changed" in page
    # no status changes: the shards, each with other classmates to compare, gave the same grades.csv
    assert {r["status"] for r in _csv(root / "whole" / "grades.csv") if r["student"] in solved} <= {
        "passed", "flagged", "written"}


@pytest.mark.parametrize("fmt", ["github", "slurm"])
def test_the_generated_jobs_commands_run_and_merge_to_the_single_run(graded, tmp_path, capsys, fmt):
    """grade-template's file, its grade and merge commands run here as the matrix or the array would run them
    (the shards' gradebooks already hold every notebook, so each grade command takes them from there)."""
    import subprocess
    import sys

    import yaml

    from mlpcourse.sharding import commands

    root, made = graded
    assert main(["grade-template", "--shards", str(SHARDS), "--format", fmt, "--seed", str(SEED),
                 "--submissions", str(root / "class"), "--chapters", CH]) == 0
    text = capsys.readouterr().out
    if fmt == "github":
        jobs = yaml.safe_load(text)["jobs"]
        assert jobs["grade"]["strategy"]["matrix"]["shard"] == list(range(SHARDS)) and jobs["merge"]["needs"] == "grade"
    else:
        assert f"--array=0-{SHARDS - 1}" in text and "--dependency=afterok:$array" in text
    grade, merge = commands(text, fmt)
    for i in range(SHARDS):
        shutil.copytree(root / f"shard{i}", tmp_path / f"grades-{i}")
        argv = [sys.executable, *shlex.split(grade(i))[1:], *ISOLATION]
        ran = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0 and "graded 0 notebooks" in ran.stdout, ran.stdout + ran.stderr
    ran = subprocess.run([sys.executable, *shlex.split(merge)[1:]], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert _csv(tmp_path / "grades" / "grades.csv") == _csv(root / "whole" / "grades.csv")
