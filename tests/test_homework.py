"""The homework tools: release writes a student version with no trace of a solution,
check runs a notebook and reports each exercise with the right exit status."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlpcore.homework import CHECKS
from mlpcore.homework.__main__ import main
from mlpcore.homework.notebook import BEGIN, END, source, structure
from mlpcore.homework.release import student_version, toc_chapters

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = toc_chapters(ROOT)


def solution_tokens(nb):
    """Distinctive pieces of every solution: each line of solution code and each
    sentence of the written solutions that does not also stand outside the solutions."""
    tokens, outside, inside = [], [], False
    for cell in nb.cells:
        text = source(cell)
        if cell.cell_type == "code" and BEGIN in text:
            head, block = text.split(BEGIN, 1)
            block, tail = block.split(END, 1)
            tokens += [line.strip() for line in block.splitlines() if len(line.strip()) > 8]
            outside += [head, tail]
        elif cell.cell_type == "code" and not inside:
            outside.append(text)
        if cell.cell_type == "markdown":
            for line in text.splitlines():
                if "{solution-start}" in line:
                    inside = True
                elif "{solution-end}" in line:
                    inside = False
                elif inside and len(line.strip()) > 25 and not line.startswith(":"):
                    tokens.append(line.strip())
                elif not inside:
                    outside.append(line)
    public = "\n".join(outside)
    return [t for t in tokens if t not in public]


def released(tmp_path, chapters=None):
    out = tmp_path / "student"
    assert main(["release", *(map(str, chapters or [])), "--out", str(out), "--book", str(ROOT)]) == 0
    return out


def test_every_chapter_has_checked_exercises():
    assert CHAPTERS, "no chapters in _toc.yml"
    for path in CHAPTERS:
        exercises = structure(nbformat.read(path, 4))
        assert len(exercises) >= 3, path.name
        checked = [e["label"] for e in exercises if e["check"] is not None]
        assert len(checked) >= 1 and all(label in CHECKS for label in checked), path.name


def test_release_of_the_whole_book_leaves_no_solution(tmp_path, capsys):
    out = released(tmp_path)
    for chapter in CHAPTERS:
        original = nbformat.read(chapter, 4)
        text = (out / chapter.name).read_text()
        tokens = solution_tokens(original)
        assert tokens, f"{chapter.name}: found no solution to look for"
        leaked = [t for t in tokens if t in text or json.dumps(t)[1:-1] in text]
        assert not leaked, f"{chapter.name}: the student version still holds {leaked[:3]}"
        student = nbformat.read(out / chapter.name, 4)
        for cell in student.cells:
            role = cell.metadata.get("mlpcore", {})
            if role:
                assert cell.outputs == [] and cell.execution_count is None
            if "solution" in role:
                assert "raise NotImplementedError" in cell.source
        # everything else keeps its outputs
        kept = [c for c in student.cells if c.cell_type == "code" and not c.metadata.get("mlpcore")]
        assert kept and all(c.execution_count is not None for c in kept)
    capsys.readouterr()
    assert main(["check", *map(str, sorted(out.glob("*.ipynb"))), "--timeout", "60"]) == 1
    report = capsys.readouterr().out
    for chapter in CHAPTERS:
        for e in structure(nbformat.read(chapter, 4)):
            if e["check"] is not None:
                assert re.search(rf"{e['label']}\s+not attempted", report), report
    assert re.search(r"^0 passed, \d+ failed$", report, re.M)


def test_round_trip_release_paste_back_check(tmp_path, capsys):
    out = released(tmp_path)
    for chapter in CHAPTERS:
        original = nbformat.read(chapter, 4)
        solutions = {e["label"]: source(original.cells[e["solution"]]) for e in structure(original) if e["solution"] is not None}
        student = nbformat.read(out / chapter.name, 4)
        for cell in student.cells:
            label = cell.metadata.get("mlpcore", {}).get("solution")
            if label:
                cell.source = solutions[label]
        nbformat.write(student, out / chapter.name)
    capsys.readouterr()
    assert main(["check", *map(str, sorted(out.glob("*.ipynb")))]) == 0
    assert re.search(r"^(\d+) passed, 0 failed$", capsys.readouterr().out, re.M)


# a small course notebook for the failure modes ------------------------------------------


def mini_notebook(path, answer="    return 1.0 / (1.0 + np.abs(z)) ** 2", extra_cells=()):
    cells = [
        new_code_cell("import numpy as np\nfrom mlpcore.homework import check"),
        new_markdown_cell("```{exercise} Softsign\n:label: ex-softsign-derivative\n\nWrite it.\n```\n"
                          "```{solution-start} ex-softsign-derivative\n:class: dropdown\n```\n"
                          "The derivative is one over one plus the absolute value, squared."),
        new_code_cell(f"def softsign_derivative(z):\n    {BEGIN}\n{answer}\n    {END}"),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell('check("ex-softsign-derivative", softsign_derivative)'),
        *extra_cells,
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def run_check(capsys, *args):
    capsys.readouterr()
    status = main(["check", *map(str, args)])
    return status, capsys.readouterr().out


def test_reference_passes_and_release_stubs_it(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb")
    status, out = run_check(capsys, path)
    assert status == 0 and "ex-softsign-derivative  passed" in out and out.rstrip().endswith("1 passed, 0 failed")
    student = student_version(nbformat.read(path, 4))
    text = nbformat.writes(student)
    assert "np.abs(z)) ** 2" not in text and "one over one plus" not in text


def test_wrong_answer_fails_with_expected_and_given(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb", answer="    return 1.0 / (1.0 + z) ** 2")
    status, out = run_check(capsys, path)
    assert status == 1
    assert "ex-softsign-derivative  failed: for z=-2.: expected 0.111111, got 1." in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_wrong_shape_is_reported(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb", answer="    return np.ones(3)")
    status, out = run_check(capsys, path)
    assert status == 1 and "expected shape (), got shape (3,)" in out


def test_raising_answer_reports_the_exception(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb", answer="    return {}['missing']")
    status, out = run_check(capsys, path)
    assert status == 1 and "ex-softsign-derivative  error: KeyError: 'missing'" in out


def test_infinite_loop_times_out_within_the_limit(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb", answer="    while True:\n        pass")
    start = time.monotonic()
    capsys.readouterr()
    status = main(["check", str(path), "--timeout", "3"])
    out = capsys.readouterr().out
    assert status == 1 and "ex-softsign-derivative  timed out: the check ran past the 3.0 s limit" in out
    assert time.monotonic() - start < 30


def test_syntax_error_names_the_exercise(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb", answer="    return (1 +")
    status, out = run_check(capsys, path)
    assert status == 1 and "ex-softsign-derivative  error: SyntaxError" in out and "(in the solution cell)" in out


def test_deleted_and_reordered_exercise_cells(tmp_path, capsys):
    path = mini_notebook(tmp_path / "mini.ipynb")
    student = student_version(nbformat.read(path, 4))
    deleted = nbformat.from_dict(student)
    deleted.cells = [c for c in deleted.cells if "check" not in c.metadata.get("mlpcore", {})]
    nbformat.write(deleted, tmp_path / "deleted.ipynb")
    status, out = run_check(capsys, tmp_path / "deleted.ipynb")
    assert status != 0 and "ex-softsign-derivative  missing: its check cell was deleted" in out

    swapped = nbformat.from_dict(student)
    swapped.cells[2], swapped.cells[3] = swapped.cells[3], swapped.cells[2]  # check cell before solution
    nbformat.write(swapped, tmp_path / "swapped.ipynb")
    status, out = run_check(capsys, tmp_path / "swapped.ipynb")
    assert status != 0 and "its check cell comes before its solution cell" in out

    gone = nbformat.from_dict(student)
    gone.cells = [gone.cells[0]]
    nbformat.write(gone, tmp_path / "gone.ipynb")
    status, out = run_check(capsys, tmp_path / "gone.ipynb")
    assert status != 0 and "exercise ex-softsign-derivative: its cells were deleted" in out


def test_files_that_are_not_course_notebooks(tmp_path, capsys):
    text = tmp_path / "essay.ipynb"
    text.write_text("my homework, as prose")
    status, out = run_check(capsys, text)
    assert status == 2 and "essay.ipynb: cannot check:" in out and "is not a Jupyter notebook" in out
    other = tmp_path / "other.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(1)")]), other)
    status, out = run_check(capsys, other)
    assert status == 2 and "no exercises of this course" in out
    status, out = run_check(capsys, tmp_path / "missing.ipynb")
    assert status == 2 and "no such file" in out


def test_release_refuses_an_unclosed_solution(tmp_path, capsys):
    nb = new_notebook(cells=[new_markdown_cell("```{exercise} X\n:label: ex-x\n```\n```{solution-start} ex-x\n```\nsecret")])
    nbformat.write(nb, tmp_path / "broken.ipynb")
    assert main(["release", str(tmp_path / "broken.ipynb"), "--out", str(tmp_path / "out")]) == 2
    assert "never closed" in capsys.readouterr().err


def test_command_line_help():
    for args in (["--help"], ["release", "--help"], ["check", "--help"]):
        result = subprocess.run([sys.executable, "-m", "mlpcore.homework", *args], capture_output=True, text=True)
        assert result.returncode == 0 and "usage: python -m mlpcore.homework" in result.stdout


@pytest.mark.parametrize("bad", [["check"], ["release"], ["grade", "x"]])
def test_command_line_usage_errors(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main(bad)
    assert exc.value.code == 2
