"""release writes a student version with no trace of a solution; the course knows its
chapters and their checks; the command line answers --help and refuses bad usage."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from mlpcourse import course, exercises
from mlpcourse.__main__ import main
from mlpcourse.notebook import BEGIN, END, source, structure
from mlpcourse.release import toc_chapters

ROOT = Path(__file__).resolve().parents[2]
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


def test_every_chapter_has_checked_exercises_and_the_course_knows_them():
    assert CHAPTERS, "no chapters in _toc.yml"
    assert [p.stem for p in CHAPTERS] == course.chapters()
    for path in CHAPTERS:
        found = structure(nbformat.read(path, 4))
        assert len(found) >= 3, path.name
        checked = [e["label"] for e in found if e["check"] is not None]
        chapter = course.chapter(path.stem)
        assert checked and chapter.checked == checked, path.name
        registered = exercises.load_chapter(path.stem)
        assert sorted(registered) == sorted(checked), path.name
        assert set(chapter.answers) == set(checked) and all(n.isidentifier() for n in chapter.answers.values())


def test_a_chapter_imports_only_its_own_checks():
    code = ("import sys; from mlpcourse import run_check; import numpy as np\n"
            "print(run_check('ex-softsign-derivative', lambda z: 1 / (1 + np.abs(z)) ** 2))\n"
            "print(sorted(m for m in sys.modules if m.startswith('mlpcourse.checks.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["('passed', '')", "['mlpcourse.checks.ch03_activation_functions']"]


def test_mlpcore_imports_nothing_of_the_course():
    code = "import sys, mlpcore, mlpcore.plot; print([m for m in sys.modules if m.startswith('mlpcourse')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    for path in (ROOT / "mlpcore").rglob("*.py"):
        assert "mlpcourse" not in path.read_text(), path


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


def test_release_works_from_an_installed_course_outside_a_checkout(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mlpcourse", "release", "--out", str(tmp_path / "out")],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.ipynb")) == course.chapters()


def test_release_refuses_an_unclosed_solution(tmp_path, capsys):
    nb = new_notebook(cells=[new_markdown_cell("```{exercise} X\n:label: ex-x\n```\n```{solution-start} ex-x\n```\nsecret")])
    nbformat.write(nb, tmp_path / "broken.ipynb")
    assert main(["release", str(tmp_path / "broken.ipynb"), "--out", str(tmp_path / "out")]) == 2
    assert "never closed" in capsys.readouterr().err


def test_command_line_help():
    for args in (["--help"], ["release", "--help"], ["check", "--help"], ["grade", "--help"], ["ci-template", "--help"]):
        result = subprocess.run([sys.executable, "-m", "mlpcourse", *args], capture_output=True, text=True)
        assert result.returncode == 0 and "usage: python -m mlpcourse" in result.stdout


@pytest.mark.parametrize("bad", [["release"], ["grade"], ["grade", "x"], ["nonsense"]])
def test_command_line_usage_errors(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main(bad)
    assert exc.value.code == 2
