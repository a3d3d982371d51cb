"""Submissions as Canvas and Moodle hand them out: each file mapped to its student (the latest of a
resubmitted one graded), anything else named and skipped, and a Canvas class graded and exported
back to Canvas by the same ids."""

import csv

import nbformat

from mlpcourse import lms
from mlpcourse.__main__ import main
from mlpcourse.grade import find_submissions
from mlpcourse.kernel import sandbox_problem
from mlpcourse.samples import submission

CH = "04_forward_pass"
ISOLATION = ["--no-sandbox"] if sandbox_problem() else []


def _write(path, kind):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(submission(CH, kind), path)
    return path


def _canvas(folder):
    """User 101 uploaded a wrong notebook, then a solved one (Canvas's "-1"); user 102 was late and left it
    untouched; a PDF and a chapter the course does not have lie beside them."""
    _write(folder / f"leeann_101_9001_{CH}.ipynb", "wrong")
    _write(folder / f"leeann_101_9002_{CH}-1.ipynb", "solved")
    _write(folder / f"okafor_LATE_102_9003_{CH}.ipynb", "untouched")
    (folder / "leeann_101_9001_report.pdf").write_bytes(b"%PDF-1.4")
    _write(folder / "okafor_LATE_102_9003_99_not_a_chapter.ipynb", "untouched")
    return folder


def test_a_canvas_download_maps_each_file_to_its_user_and_grades_the_latest_upload(tmp_path):
    folder = _canvas(tmp_path / "canvas")
    assert lms.layout(folder) == "canvas"
    students, found, problems = find_submissions(folder, [CH])
    assert students == ["101", "102"]
    assert found == {("101", CH): folder / f"leeann_101_9002_{CH}-1.ipynb",
                     ("102", CH): folder / f"okafor_LATE_102_9003_{CH}.ipynb"}
    assert problems == ["Canvas download: skipped 2 files that are no chapter notebook "
                        "(leeann_101_9001_report.pdf, okafor_LATE_102_9003_99_not_a_chapter.ipynb)"]


def test_a_moodle_download_maps_each_folder_to_its_participant(tmp_path):
    folder = tmp_path / "moodle"
    _write(folder / "Ann Lee_5501_assignsubmission_file_" / f"{CH}.ipynb", "solved")
    _write(folder / "Bo Okafor_5502_assignsubmission_file_" / "work" / f"{CH}.ipynb", "wrong")
    (folder / "Cy Diaz_5503_assignsubmission_file_").mkdir()
    assert lms.layout(folder) == "moodle"
    students, found, _ = find_submissions(folder, [CH])
    assert students == ["Participant 5501", "Participant 5502", "Participant 5503"]
    assert found[("Participant 5502", CH)].parent.name == "work" and found[("Participant 5503", CH)] is None


def test_the_course_layout_is_not_mistaken_for_an_lms_download(tmp_path):
    _write(tmp_path / "class" / "student001" / f"{CH}.ipynb", "solved")
    _write(tmp_path / "class" / "ann_1_2_x" / f"{CH}.ipynb", "solved")  # a folder, not a Canvas file
    assert lms.layout(tmp_path / "class") is None
    assert find_submissions(tmp_path / "class", [CH])[0] == ["ann_1_2_x", "student001"]


def test_a_canvas_class_is_graded_and_exported_back_by_canvas_ids(tmp_path, capsys):
    folder = _canvas(tmp_path / "canvas")
    assert main(["grade", str(folder), "--out", str(tmp_path / "grades"), "--seed", "3", "--jobs", "2",
                 "--no-progress", *ISOLATION]) == 0
    assert "Canvas download: skipped 2 files" in capsys.readouterr().out
    with open(tmp_path / "grades" / "summary.csv", newline="") as f:
        summary = {r["student"]: r for r in csv.DictReader(f)}
    assert set(summary) == {"101", "102"}
    assert summary["101"]["points"] == summary["101"]["possible"] and summary["101"]["failed"] == "0"  # the -1
    assert summary["102"]["not attempted"] != "0" and summary["102"]["points"] == "0"
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nPoints Possible,,,,\n"
                      '"Lee, Ann",101,A1,alee,S1\n"Okafor, Bo",102,B2,bokafor,S1\n')
    assert main(["export", str(tmp_path / "grades"), "--format", "canvas", "--roster", str(roster),
                 "--match", "ID"]) == 0
    assert "note:" not in capsys.readouterr().out  # every student matched
    with open(tmp_path / "grades" / "export-canvas.csv", newline="") as f:
        table = list(csv.reader(f))
    assert [row[1] for row in table[2:]] == ["101", "102"]
    assert [row[5] for row in table[2:]] == [summary["101"]["points"], summary["102"]["points"]]
