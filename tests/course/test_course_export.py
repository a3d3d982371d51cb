"""``export``: a gradebook's points as Canvas's and Moodle's grade imports and as a plain CSV,
matched to a roster; every cell read back with the csv module and compared with the gradebook,
and every student of the gradebook or of the roster accounted for."""

import csv

import pytest

from mlpcourse import course, gradebook
from mlpcourse.__main__ import main
from mlpcourse.grade import ClassRun
from mlpcourse.submission import Result, Row

CHAPTERS = ["03_activation_functions", "04_forward_pass"]


def _class():
    """ann passes everything, bob fails the first exercise of each chapter and leaves the rest, cy has no
    notebook of chapter 4; the written exercises answered by ann only."""
    results = {}
    for c in CHAPTERS:
        chapter = course.chapter(c)
        for student in ("ann", "bob", "cy"):
            rows = []
            for k, label in enumerate(chapter.exercises):
                if label in chapter.written:
                    rows.append(Row(label, "written" if student == "ann" else "not attempted", "my answer"))
                elif student == "ann":
                    rows.append(Row(label, "flagged" if k == 0 else "passed", ""))
                elif student == "cy" and c == CHAPTERS[1]:
                    rows.append(Row(label, "missing", f"no {c}.ipynb in the submission"))
                else:
                    rows.append(Row(label, "failed" if k == 0 else "not attempted", "expected 1., got 2."))
            results[(student, c)] = Result(c, rows)
    return ClassRun(["ann", "bob", "cy"], CHAPTERS, results, [], run={"id": 1, "seed": 3, "isolation": "bubblewrap",
                                                                      "commit": "0123456789ab"})


def _expected_points(student, chapter):
    """The stars of the checked exercises that pass, computed apart from the exporter."""
    run, ch = _class(), course.chapter(chapter)
    earned = sum(ch.stars[r.exercise] for r in run.results[(student, chapter)].rows
                 if r.exercise in ch.checked and r.status in ("passed", "flagged"))
    return earned, sum(ch.stars[label] for label in ch.checked)


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def grades(tmp_path):
    gradebook.write(tmp_path / "grades", _class())
    return tmp_path / "grades"


def _roster(path, rows, header):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:  # as a spreadsheet saves it, with a BOM
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_canvas_file_has_the_roster_columns_points_possible_and_each_chapters_points(grades, tmp_path, capsys):
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "03_activation_functions (101)", "Quiz (7)"]
    roster = _roster(tmp_path / "canvas.csv", [
        ["Points Possible", "", "", "", "", "9", "5"],
        ["Zed, Zoe", "41", "Z41", "zed", "B", "", "4"],
        ["Bob, Bo", "12", "B12", "bob", "A", "", "3"],
        ["Ann, An", "11", "A11", "ann", "A", "", "5"],
    ], header)
    assert main(["export", str(grades), "--format", "canvas", "--roster", str(roster)]) == 0
    said = capsys.readouterr().out
    assert "1 student of the gradebook not in the roster, left out of the file: cy" in said
    assert "1 student of the roster not in the gradebook, exported with empty grades: zed" in said
    table = _read(grades / "export-canvas.csv")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "03_activation_functions (101)", "04_forward_pass"]  # the roster's name for the assignment
    possible = [f"{_expected_points('ann', c)[1]:g}" for c in CHAPTERS]
    assert table[1] == ["Points Possible", "", "", "", "", *possible]
    assert [row[:5] for row in table[2:]] == [["Zed, Zoe", "41", "Z41", "zed", "B"], ["Bob, Bo", "12", "B12", "bob", "A"],
                                              ["Ann, An", "11", "A11", "ann", "A"]]  # the roster's order and cells
    assert table[2][5:] == ["", ""]
    for row in table[3:]:
        assert row[5:] == [f"{_expected_points(row[3], c)[0]:g}" for c in CHAPTERS], row
    assert float(table[4][5]) > 0 and table[3][5] == "0"


def test_moodle_file_has_the_identity_points_and_feedback_of_each_chapter(grades, tmp_path, capsys):
    roster = _roster(tmp_path / "moodle.csv", [["Ann", "ann", "ann@example.org"], ["Cy", "cy", "cy@example.org"]],
                     ["First name", "ID number", "Email address"])
    assert main(["export", str(grades), "--format", "moodle", "--roster", str(roster),
                 "--out", str(tmp_path / "m.csv")]) == 0
    assert "not in the roster, left out of the file: bob" in capsys.readouterr().out
    table = _read(tmp_path / "m.csv")
    assert table[0] == ["ID number", CHAPTERS[0], f"{CHAPTERS[0]} feedback", CHAPTERS[1], f"{CHAPTERS[1]} feedback"]
    assert [row[0] for row in table[1:]] == ["ann", "cy"]
    for row in table[1:]:
        for k, c in enumerate(CHAPTERS):
            earned, possible = _expected_points(row[0], c)
            assert row[1 + 2 * k] == f"{earned:g}"
            assert f"{earned:g} of {possible:g} points" in row[2 + 2 * k]
    checked = course.chapter(CHAPTERS[1]).checked
    assert f"failed: {', '.join(checked)}" in table[2][4]  # cy's missing notebook: every exercise failed
    assert "failed" not in table[1][2] and f"{len(course.chapter(CHAPTERS[0]).checked)} checked exercises passed" in table[1][2]


def test_plain_csv_needs_no_roster_and_totals_the_chapters(grades):
    assert main(["export", str(grades), "--format", "csv"]) == 0
    table = _read(grades / "export-csv.csv")
    assert table[0] == ["student", *CHAPTERS, "total", "possible"]
    for row in table[1:]:
        expected = [_expected_points(row[0], c) for c in CHAPTERS]
        assert row[1:3] == [f"{e:g}" for e, _ in expected]
        assert row[3:] == [f"{sum(e for e, _ in expected):g}", f"{sum(p for _, p in expected):g}"]
    assert [row[0] for row in table[1:]] == ["ann", "bob", "cy"]


def test_export_says_what_is_wrong(grades, tmp_path, capsys):
    assert main(["export", str(grades), "--format", "canvas"]) == 2
    assert "canvas needs the roster exported from it (--roster FILE)" in capsys.readouterr().err
    roster = _roster(tmp_path / "r.csv", [["Ann", "ann"]], ["Name", "Login"])
    assert main(["export", str(grades), "--format", "moodle", "--roster", str(roster)]) == 2
    assert "no column 'ID number'" in (err := capsys.readouterr().err) and "its columns: Name, Login" in err
    assert main(["export", str(grades), "--format", "moodle", "--roster", str(roster), "--match", "Login"]) == 0
    capsys.readouterr()
    twice = _roster(tmp_path / "t.csv", [["Ann", "ann"], ["Ann B", "ann"]], ["Name", "Login"])
    assert main(["export", str(grades), "--format", "csv", "--roster", str(twice), "--match", "Login"]) == 2
    assert "holds ann more than once in column 'Login'" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "csv"]) == 2
    assert "holds no summary.csv" in capsys.readouterr().err
