"""What a student's install holds: the course's wheel (what `pip install "mlpcore[check] @ git+..."`
builds) carries the chapters with every reference solution out, and still knows each chapter's
exercises, which are checked and the names their checks read."""

import functools
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from mlpcourse import course
from mlpcourse.notebook import BEGIN, source, structure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The course's wheel, built from this checkout as pip builds it for a student, unpacked."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (built,) = tmp.glob("mlpcore-*.whl")
    unpacked = tmp / "unpacked"
    with zipfile.ZipFile(built) as z:
        z.extractall(unpacked)
    return unpacked


def _split(nb):
    """(lines of reference solution code longer than 30 characters, the rest of the notebook's text)."""
    inside, outside = [], []
    for cell in nb.cells:
        text = source(cell)
        if cell.cell_type == "code" and BEGIN in text:
            head, rest = text.split(BEGIN, 1)
            block, tail = rest.split("### END SOLUTION", 1)
            inside += [line.strip() for line in block.splitlines() if len(line.strip()) > 30]
            outside += [head, tail]
        else:
            outside.append(text)
    return inside, outside


@functools.cache
def _public():
    """What is public: every chapter outside its solutions, and the code of the two packages (mlpcore is
    the library the chapters teach, and the checks' own references, independent of the solutions, are
    public: a student's install runs them)."""
    public = [p.read_text() for pkg in ("mlpcore", "mlpcourse") for p in (ROOT / pkg).rglob("*.py")]
    for path in (ROOT / "book").glob("*.ipynb"):
        public += _split(nbformat.read(path, 4))[1]
    return "\n".join(public)


def _solution_lines(nb):
    """Lines of reference solution code that are found nowhere public (:func:`_public`)."""
    return [line for line in _split(nb)[0] if line not in _public()]


def test_the_wheel_holds_every_chapter_and_no_reference_solution(wheel):
    shipped = sorted((wheel / "mlpcourse" / "book").glob("*.ipynb"))
    assert [p.stem for p in shipped] == sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
    everything = "\n".join(p.read_text(errors="replace") for p in wheel.rglob("*") if p.is_file())
    for path in shipped:
        text = path.read_text()
        assert BEGIN not in text and "{solution-start}" not in text, path.name
        lines = _solution_lines(nbformat.read(ROOT / "book" / path.name, 4))
        leaked = [line for line in lines if line in everything or json.dumps(line)[1:-1] in everything]
        assert not leaked, f"{path.name}: the wheel holds reference solution code: {leaked[:2]}"
    assert sum(len(_solution_lines(nbformat.read(p, 4))) for p in (ROOT / "book").glob("*.ipynb")) > 100


def test_the_shipped_chapters_still_say_what_is_checked_and_where_answers_are(wheel):
    for path in sorted((wheel / "mlpcourse" / "book").glob("*.ipynb")):
        ours = course.chapter(path.stem) if path.stem in course.chapters() else None
        found = structure(nbformat.read(path, 4))
        if ours is None:
            continue
        assert [e["label"] for e in found] == ours.exercises, path.name
        assert [e["label"] for e in found if e["check"] is not None] == ours.checked, path.name


def test_an_installed_course_grades_from_the_shipped_chapters_without_solutions(wheel):
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from mlpcourse import course\n"
            "assert course.book_dir() == __import__('pathlib').Path(sys.argv[1]) / 'mlpcourse' / 'book'\n"
            "ch = course.chapter('06_backprop_chain_rule')\n"
            "print(len(ch.checked), len(ch.written), len(ch.solutions), ch.answers['ex-backprop-any-depth'])")
    out = subprocess.run([sys.executable, "-c", code, str(wheel)], capture_output=True, text=True, cwd=wheel)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["6", "1", "0", "backprop"]


def test_a_chapter_released_from_an_installed_course_cites_authors_not_keys(wheel, tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from mlpcourse.__main__ import main\n"
            "sys.exit(main(['release', '06_backprop_chain_rule', '--out', sys.argv[2]]))")
    out = subprocess.run([sys.executable, "-c", code, str(wheel), str(tmp_path / "hw")], capture_output=True,
                         text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "hw" / "06_backprop_chain_rule.ipynb").read_text()
    assert "Seung (2002)" in text and "seung2002`" not in text
