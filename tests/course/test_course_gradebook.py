"""The gradebook's exports from results made by hand (no kernel): each status counted apart,
missing notebooks listed apart from the failures, exercises numbered as on the website."""

import csv

import pytest

from mlpcourse import course, gradebook
from mlpcourse.grade import ClassRun
from mlpcourse.submission import Result, Row

CH = "03_activation_functions"
LABELS = course.chapter(CH).checked


def _class():
    results = {
        ("ann", CH): Result(CH, [Row(LABELS[0], "flagged", "passed, with the book's reference solution"),
                                 Row(LABELS[1], "failed", "for y=0.: expected 1., got 0.125"),
                                 Row(LABELS[2], "timed out", "code cell 4: it ran past the 60 s limit")]),
        ("bob", CH): Result(CH, [Row(label, "missing", f"no {CH}.ipynb in the submission") for label in LABELS]),
        ("cy", CH): Result(CH, [Row(LABELS[0], "error", "KeyError: 'z'"),
                                Row(LABELS[1], "failed", "for y=0.: expected 1., got 0.125"),
                                Row(LABELS[2], "not attempted")], seed=7),
    }
    return ClassRun(["ann", "bob", "cy"], [CH], results, [], run={"id": 3, "seed": 7, "isolation": "bubblewrap",
                                                                  "commit": "0123456789abcdef"})


def test_summary_counts_every_status_apart(tmp_path):
    gradebook.write(tmp_path, _class())
    with open(tmp_path / "summary.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["ann"]["flagged"] == "1" and rows["ann"]["passed"] == "0" and rows["ann"]["timed out"] == "1"
    assert rows["bob"]["missing"] == "3" and rows["bob"]["failed"] == "0"
    assert rows["cy"]["error"] == "1" and rows["cy"]["not attempted"] == "1" and rows["cy"]["total"] == "3"


def test_missing_notebooks_are_listed_apart_from_the_failures(tmp_path):
    report = gradebook.report(*(lambda r: (r.students, r.chapters, r.results, r.problems, r.run))(_class()))
    failures = report.split("Most common failures")[1].split("Notebooks missing")[0]
    assert "missing" not in failures and "no 03_activation_functions.ipynb" not in failures
    assert "<td>2</td><td>03_activation_functions</td><td>Exercise 3.2 <code>" in failures  # two students
    assert "03_activation_functions: 1 students (bob)" in report.split("Notebooks missing")[1]
    assert "seed 7" in report and "bubblewrap sandbox" in report


def test_feedback_numbers_exercises_as_the_website_and_names_the_seed(tmp_path):
    gradebook.write(tmp_path, _class())
    text = (tmp_path / "feedback" / "cy.md").read_text()
    assert f"- Exercise 3.1, `{LABELS[0]}`: **error**: KeyError: 'z'" in text
    assert f"check {CH}.ipynb --seed 7" in text
    assert "--seed" not in (tmp_path / "feedback" / "bob.md").read_text()  # its result has no seed


def test_written_exercises_are_read_from_their_markdown_cell_reported_and_kept_out_of_pass_rates(tmp_path):
    from nbformat.v4 import new_markdown_cell, new_notebook

    from mlpcourse.notebook import written_cell_source
    from mlpcourse.submission import written_rows

    chapter = course.chapter(CH)
    (label,) = chapter.written
    number = chapter.number(label)

    def answered(text):
        cell = new_markdown_cell(written_cell_source(label, number) + text)
        cell.metadata["mlpcore"] = {"written": label}
        return new_notebook(cells=[cell])

    attack = "\n\n<script>alert('x')</script> The derivative is **bounded** by $1/4$."
    assert [(r.status, r.detail) for r in written_rows(answered(""), chapter)] == [("not attempted", "")]
    (row,) = written_rows(answered(attack), chapter)
    assert row.status == "written" and row.detail.startswith("<script>") and "Write your answer" not in row.detail
    (gone,) = written_rows(new_notebook(cells=[]), chapter)
    assert gone.status == "not attempted" and "answer cell" in gone.detail

    run = _class()
    run.results[("ann", CH)].rows.append(row)
    run.results[("cy", CH)].rows.append(written_rows(answered(""), chapter)[0])
    gradebook.write(tmp_path, run)
    page = (tmp_path / "written.html").read_text()
    assert f"Exercise {number} <code>{label}</code>" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; The derivative" in page and "<script>" not in page
    assert "<h4>cy</h4><p><em>not attempted</em></p>" in page
    report = (tmp_path / "report.html").read_text()
    assert 'href="written.html">by hand</a>' in report
    assert label not in report.split("<img")[1].split(">")[0]  # the chart's alt text: no pass rate for it
    feedback = (tmp_path / "feedback" / "ann.md").read_text()
    assert f"`{label}`: **written** (graded by hand); your answer:" in feedback
    assert "  > <script>alert('x')</script> The derivative is **bounded** by $1/4$." in feedback
    assert "1 of 3 checked exercises passed" in feedback  # flagged counts; the written one is not checked
    with open(tmp_path / "summary.csv", newline="") as f:
        assert {r["student"]: r["written"] for r in csv.DictReader(f)} == {"ann": "1", "bob": "0", "cy": "0"}


def test_points_are_the_stars_of_the_checked_exercises_that_pass_or_the_points_files(tmp_path):
    from mlpcourse import points

    stars = course.chapter(CH).stars
    assert set(stars) == set(course.chapter(CH).exercises) and set(stars.values()) <= {1, 2, 3}
    gradebook.write(tmp_path, _class())
    with open(tmp_path / "summary.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    possible = sum(stars[label] for label in LABELS)
    assert {s: (float(r["points"]), float(r["possible"])) for s, r in rows.items()} == {
        "ann": (stars[LABELS[0]], possible), "bob": (0, possible), "cy": (0, possible)}  # flagged passes
    worth = tmp_path / "points.csv"
    worth.write_text(f"exercise,points\n{LABELS[0]},2.5\n{LABELS[1]},0\n")
    table = points.table([CH], worth)
    assert table[(CH, LABELS[0])] == 2.5 and table[(CH, LABELS[1])] == 0 and table[(CH, LABELS[2])] == stars[LABELS[2]]
    for text, message in [("exercise,points\nex-nowhere,1\n", "do not have: ex-nowhere"),
                          (f"exercise,points\n{LABELS[0]},-1\n", "line 2: the points of"),
                          (f"exercise,points\n{LABELS[0]},lots\n", "must be a number >= 0, got 'lots'"),
                          ("label,value\nx,1\n", "needs the columns exercise,points")]:
        worth.write_text(text)
        with pytest.raises(points.PointsFileError, match=message):
            points.table([CH], worth)
    with pytest.raises(points.PointsFileError, match="cannot read the points file"):
        points.table([CH], tmp_path / "nowhere.csv")
