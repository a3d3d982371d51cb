"""The grader on every chapter: a class of three (solved, wrong, untouched) graded with
``grade``; the gradebook's files; the check cell's verdict equal to the grader's on
every exercise; a second run that regrades only what changed."""

import csv
import re

import nbformat
import pytest

from mlpcourse import course, exercises
from mlpcourse.__main__ import main
from mlpcourse.notebook import structure
from mlpcourse.samples import make_class
from mlpcourse.samples import submission as make_submission
from mlpcourse.statuses import STATUSES

CHAPTERS = course.chapters()
SEED = exercises.FEEDBACK_SEED  # the seed of the check cell, so that both see the same inputs
WRITTEN = {(c, label) for c in CHAPTERS for label in course.chapter(c).written}  # graded by hand


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    kinds = make_class(root / "class", CHAPTERS, 3)
    args = ["grade", str(root / "class"), "--out", str(root / "grades"), "--seed", str(SEED), "--no-progress"]
    assert main(args) == 0
    with open(root / "grades" / "grades.csv", newline="") as f:
        rows = list(csv.reader(f))
    return root, kinds, args, rows


def test_grades_csv_has_exactly_the_columns_and_a_row_per_exercise(gradebook):
    _, kinds, _, rows = gradebook
    assert rows[0] == ["student", "chapter", "exercise", "status", "detail", "seconds"]
    expected = {(s, c, label) for s in kinds for c in CHAPTERS for label in course.chapter(c).exercises}
    assert WRITTEN and all(label not in course.chapter(c).checked for c, label in WRITTEN)
    assert {tuple(r[:3]) for r in rows[1:]} == expected and len(rows) - 1 == len(expected)
    assert all(r[3] in STATUSES and float(r[5]) >= 0 for r in rows[1:])


def _reference_cell(chapter, label):
    """The book's solution cell of exercise ``label``, as the sample solved student pasted it."""
    nb = nbformat.read(course.book_dir() / f"{chapter}.ipynb", as_version=4)
    (index,) = [e["solution"] for e in structure(nb) if e["label"] == label]
    return nb.cells[index].source


def test_honest_verdicts(gradebook):
    _, kinds, _, rows = gradebook
    for student, chapter, label, status, detail, _ in rows[1:]:
        kind = kinds[student]
        if (chapter, label) in WRITTEN:  # the sample solved student writes an answer; the others do not
            assert (status, kind == "solved") in (("written", True), ("not attempted", False)), (label, status)
            assert ("sample student wrote *this*" in detail) == (kind == "solved")
        elif kind == "solved":  # the book's solutions pasted back: passed, and flagged when long enough to tell
            assert status in ("passed", "flagged"), (chapter, label, status, detail)
            copied = course.chapter(chapter).is_reference_solution(label, [_reference_cell(chapter, label)])
            assert (status == "flagged") == copied
        elif kind == "untouched":
            assert status == "not attempted", (chapter, label, status, detail)
        else:
            assert status in ("failed", "error"), (chapter, label, status, detail)
            assert "internal error" not in detail


def test_the_check_cell_says_what_the_grader_says(gradebook):
    """Every exercise, with the wrong answer of the sample class (a constant, or a function
    returning one): the check cell's verdict and message, computed here, equal the grader's."""
    _, kinds, _, rows = gradebook
    for student, chapter, label, status, detail, _ in rows[1:]:
        if kinds[student] != "wrong" or (chapter, label) in WRITTEN:
            continue
        answer = (lambda *args: 0.125) if exercises.find(label).inputs else 0.125
        assert exercises.run_check(label, answer, seed=SEED) == (status, detail), (chapter, label)


def test_with_the_reference_solution_the_check_cell_and_the_grader_both_say_passed(gradebook):
    """The book's own check cells ran on the reference solutions (their stored output,
    which nbval re-computes); the grader, on the same solutions pasted into the released
    notebook, says passed too (or flagged, which is passed with a note)."""
    _, kinds, _, rows = gradebook
    solved = {(c, label): (status, detail) for s, c, label, status, detail, _ in rows[1:]
              if kinds[s] == "solved" and (c, label) not in WRITTEN}
    for (c, label), (status, detail) in solved.items():
        nb = nbformat.read(course.book_dir() / f"{c}.ipynb", as_version=4)
        printed = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells
                   if cell.cell_type == "code" and re.search(rf"^check\(\"{re.escape(label)}\"", cell.source, re.M)]
        assert printed == [f"{label}: passed\n"], (c, label, printed)
        assert status == "passed" and detail == "" or status == "flagged", (c, label, status, detail)


def test_summary_feedback_and_report(gradebook):
    root, kinds, _, rows = gradebook
    with open(root / "grades" / "summary.csv", newline="") as f:
        summary = list(csv.DictReader(f))
    assert list(summary[0]) == ["student", "chapter", *STATUSES, "total", "points", "possible"]  # each status apart
    assert len(summary) == len(kinds) * len(CHAPTERS)
    for row in summary:
        mine = [r for r in rows[1:] if r[0] == row["student"] and r[1] == row["chapter"]]
        assert int(row["total"]) == len(mine)
        chapter = course.chapter(row["chapter"])  # points: the stars of the checked exercises that pass
        assert float(row["possible"]) == sum(chapter.stars[label] for label in chapter.checked) > 0
        assert float(row["points"]) == sum(chapter.stars[r[2]] for r in mine
                                           if r[2] in chapter.checked and r[3] in ("passed", "flagged"))
        for status in STATUSES:
            assert int(row[status]) == sum(r[3] == status for r in mine), (row, status)
    assert any(int(row["flagged"]) for row in summary) and any(int(row["passed"]) for row in summary)
    for student in kinds:
        text = (root / "grades" / "feedback" / f"{student}.md").read_text()
        for r in rows[1:]:
            if r[0] == student:
                assert f"`{r[2]}`: **{r[3]}**" in text
    report = (root / "grades" / "report.html").read_text()
    assert '<img src="data:image/svg+xml;base64,' in report and "Most common failures" in report
    assert "Exercise 6.1 <code>ex-backprop-output-delta</code>" in report  # as the website numbers it
    assert "Notebooks missing</h2>\n<p>none</p>" in report
    assert re.search(r'alt="[^"]*ex-softsign-derivative: 33% passed', report)


def test_a_second_run_regrades_only_what_changed(gradebook, capsys):
    root, kinds, args, rows = gradebook
    capsys.readouterr()
    assert main(args) == 0
    assert "graded 0 notebooks" in capsys.readouterr().out
    student = next(s for s, k in kinds.items() if k == "untouched")
    path = root / "class" / student / "homework" / "03_activation_functions.ipynb"
    path.write_text(path.read_text().replace("replace this line with your solution", "(still to do)", 1))
    assert main(args) == 0
    assert "graded 1 notebooks" in capsys.readouterr().out
    with open(root / "grades" / "grades.csv", newline="") as f:
        again = list(csv.reader(f))
    assert [r[:5] for r in again] == [r[:5] for r in rows]  # the same verdicts (the seconds may differ)


def test_the_seed_is_recorded_and_check_with_it_gives_the_graders_very_messages(gradebook, capsys):
    root, kinds, _, rows = gradebook
    student = next(s for s, k in kinds.items() if k == "wrong")
    feedback = (root / "grades" / "feedback" / f"{student}.md").read_text()
    assert f"check 03_activation_functions.ipynb --seed {SEED}" in feedback
    capsys.readouterr()
    notebook = root / "class" / student / "homework" / "03_activation_functions.ipynb"
    assert main(["check", str(notebook), "--seed", str(SEED), "--timeout", "60"]) == 1
    out = capsys.readouterr().out
    for s, c, label, status, detail, _ in rows[1:]:
        if s == student and c == "03_activation_functions" and detail:
            assert re.search(rf"{re.escape(label)}\s+{status}: {re.escape(detail.splitlines()[0])}", out), (label, out)
    assert f"add --seed {SEED} to check the same inputs again" in out


def test_grade_student_regrades_one_student_and_keeps_the_others(gradebook, capsys):
    root, kinds, args, _ = gradebook
    student = next(s for s, k in kinds.items() if k == "solved")
    one = ["grade", str(root / "class"), "--out", str(root / "grades"), "--seed", str(SEED), "--no-progress",
           "--chapters", "03_activation_functions"]
    capsys.readouterr()
    assert main([*one, "--student", student]) == 0
    assert "graded 1 notebooks, took 0 from the gradebook" in capsys.readouterr().out
    with open(root / "grades" / "grades.csv", newline="") as f:
        exported = {r["student"] for r in csv.DictReader(f)}
    assert exported == set(kinds)  # the others' latest grades, taken from the gradebook
    assert main([*one, "--student", "nobody"]) == 2
    assert "no submission folder for student nobody" in capsys.readouterr().err
    assert main(args) == 0  # the whole class again, for the tests that read the exports after this one


def test_an_untouched_notebook_is_not_run_and_gets_what_running_it_gives(monkeypatch):
    """The released chapter, unchanged (as the sample class has it, and as ``release`` writes it), is graded
    without a kernel; with one empty cell added it is run, and every verdict is the same."""
    from nbformat.v4 import new_code_cell

    from mlpcourse import kernel, release, submission

    stem = "04_forward_pass"
    untouched = [make_submission(stem, "untouched"), release.readable(make_submission(stem, "untouched"), stem)]
    edited = make_submission(stem, "untouched")
    edited.cells.append(new_code_cell(""))
    ran = submission.grade_notebook(nbformat.writes(edited).encode(), stem, SEED)
    assert not ran.kernel_trouble and any(row.seconds > 0 for row in ran.rows)  # it ran
    with monkeypatch.context() as patched:
        patched.setattr(kernel.Sandbox, "__enter__", lambda self: pytest.fail("a kernel was started"))
        for nb in untouched:
            skipped = submission.grade_notebook(nbformat.writes(nb).encode(), stem, SEED)
            assert [(r.exercise, r.status, r.detail) for r in skipped.rows] == \
                   [(r.exercise, r.status, r.detail) for r in ran.rows]
            assert {r.status for r in skipped.rows} == {"not attempted"} and not skipped.problems
