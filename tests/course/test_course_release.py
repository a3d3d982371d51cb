"""release writes a student version with no trace of a solution; the course knows its
chapters and their checks; the command line answers --help and refuses bad usage."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from markdown_it import MarkdownIt
from nbformat.v4 import new_markdown_cell, new_notebook

import mlpcore
from mlpcourse import course, exercises, submission
from mlpcourse.__main__ import main
from mlpcourse.grade import chapters_present, find_submissions
from mlpcourse.notebook import (
    BEGIN,
    END,
    chapter_notebooks,
    exercise_labels,
    source,
    structure,
    tag,
    written_answers,
    written_cell_source,
)
from mlpcourse.prose import glue
from mlpcourse.release import readable, student_version, toc_chapters

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = toc_chapters(ROOT)
OPTIONAL_CODE = "# (optional) code for exercise "


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
    library = [p.read_text() for p in (ROOT / "mlpcore").rglob("*.py")]  # public, and quoted by {literalinclude}
    public = "\n".join(outside + library)
    return [t for t in tokens if t not in public]


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


def test_release_of_the_whole_book_leaves_no_solution(book_released):
    _, out = book_released
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
            if role and cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            if "solution" in role:
                assert "raise NotImplementedError" in cell.source
        # everything else keeps its outputs
        kept = [c for c in student.cells if c.cell_type == "code" and not c.metadata.get("mlpcore")
                and not c.source.startswith(OPTIONAL_CODE)]
        assert kept and all(c.execution_count is not None for c in kept)


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


# the released notebook reads like the book -----------------------------------------------------

MYST = ["{exercise}", "{solution", "{glue", "{ref}", "{doc}", "{cite", "{numref}", "{eq}", ":label:", "```{",
        'class="language-{']
TARGET_LINE = re.compile(r"^\s*\([^()\s]+\)=\s*$", re.M)


@pytest.fixture(scope="module")
def book_released(tmp_path_factory):
    """The whole book released once: {stem: released notebook}."""
    out = tmp_path_factory.mktemp("released") / "student"
    assert main(["release", "--out", str(out), "--book", str(ROOT)]) == 0
    return {p.stem: nbformat.read(out / p.name, 4) for p in CHAPTERS}, out


def myst_left(nb):
    """The MyST constructs left in a notebook's Markdown, as CommonMark (JupyterLab's family) renders it."""
    md = MarkdownIt("commonmark")
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        html = md.render(source(cell))
        found += [s for s in MYST if s in html or s in source(cell)]
        found += TARGET_LINE.findall(source(cell))
    return sorted(set(found))


def test_released_markdown_holds_no_myst(book_released):
    released_nbs, _ = book_released
    # the book itself is full of it, so the test can fail
    assert {"{exercise}", "{glue", ":label:", "```{", "{cite", "{doc}"} <= set(myst_left(nbformat.read(CHAPTERS[5], 4)))
    for stem, nb in released_nbs.items():
        assert myst_left(nb) == [], stem


def test_released_markdown_has_the_glued_numbers():
    stem = "06_backprop_chain_rule"
    book = nbformat.read(ROOT / "book" / f"{stem}.ipynb", 4)
    stored = {}
    for cell in book.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                stored[name] = {k.rsplit("record/", 1)[-1]: v for k, v in output["data"].items()}
    text = "\n".join(source(c) for c in readable(student_version(book, stem), stem).cells if c.cell_type == "markdown")
    # {glue:text}`vish_printed_out:.2f` and {glue:md}`notes_vs_mlpcore:myst`, from the chapter's own outputs
    assert f"wrong by up to {float(stored['vish_printed_out']['text/plain']):.2f} and" in text
    assert f"differ by less than {stored['seung_vs_mlpcore']['text/markdown']}" in text
    assert f"agree with `mlpcore`'s to {stored['notes_vs_mlpcore']['text/markdown']}." in text
    assert "{glue" not in text


def test_every_exercise_statement_is_stamped_and_numbered(book_released):
    released_nbs, _ = book_released
    for stem, nb in released_nbs.items():
        chapter = course.chapter(stem)
        assert nb.metadata["mlpcore"] == chapter.metadata(), stem
        assert [e["label"] for e in structure(nb)] == chapter.exercises, stem
        stated = [c for c in nb.cells if tag(c) and tag(c)[0] == "exercise"]
        assert [tag(c)[1] for c in stated] == chapter.exercises, stem
        for cell in stated:
            label = tag(cell)[1]
            assert cell.cell_type == "markdown" and exercise_labels(cell) == [label]
            assert source(cell).startswith(f"**Exercise {chapter.number(label)} ("), (stem, source(cell)[:80])
        assert submission.identify(nb, chapter) == [], stem


def test_the_written_exercise_gets_a_markdown_answer_cell_and_no_raising_cell(book_released):
    released_nbs, _ = book_released
    for stem, nb in released_nbs.items():
        chapter = course.chapter(stem)
        [label] = [e for e in chapter.exercises if e not in chapter.checked]
        number = chapter.number(label)
        answers = [i for i, c in enumerate(nb.cells) if tag(c) == ("written", label)]
        assert len(answers) == 1, stem
        cell = nb.cells[answers[0]]
        assert cell.cell_type == "markdown" and source(cell) == written_cell_source(label, number)
        assert written_answers(nb) == {label: None}
        code = [source(c) for c in nb.cells if c.cell_type == "code"]
        assert not any(f"exercise {label}:" in c for c in code), stem
        assert all("Write your answer to exercise" not in source(c) for c in nb.cells)
        # where the book's solution had code, an empty code cell follows, which raises nothing
        book = nbformat.read(ROOT / "book" / f"{stem}.ipynb", 4)
        had_code = _written_solution_has_code(book, label)
        after = nb.cells[answers[0] + 1] if answers[0] + 1 < len(nb.cells) else new_markdown_cell("")
        assert (after.cell_type == "code" and source(after) == f"{OPTIONAL_CODE}{number}") == had_code, stem
        assert sum(source(c).startswith(OPTIONAL_CODE) for c in nb.cells) == had_code, stem
    assert sum(_written_solution_has_code(nbformat.read(p, 4), None) for p in CHAPTERS) > 0


def _written_solution_has_code(nb, label):
    """Whether the solution block of ``label`` (None: of the chapter's written exercise) holds a code cell."""
    if label is None:
        label = next(e["label"] for e in structure(nb) if e["check"] is None)
    inside = False
    for cell in nb.cells:
        text = source(cell)
        if cell.cell_type == "markdown":
            if f"{{solution-start}} {label}" in text:
                inside = "{solution-end}" not in text.split(f"{{solution-start}} {label}", 1)[1]
            elif inside and "{solution-end}" in text:
                inside = False
        elif inside and cell.cell_type == "code":
            return True
    return False


def test_a_value_exercise_stub_sets_its_name_to_not_implemented(book_released):
    released_nbs, _ = book_released
    values = 0
    for stem, nb in released_nbs.items():
        chapter = course.chapter(stem)
        for label in chapter.checked:
            [stub] = [c for c in nb.cells if tag(c) == ("solution", label)]
            name = chapter.answers[label]
            if exercises.find(label).inputs is None:  # the check reads a value
                values += 1
                namespace = {"np": np, "mlpcore": mlpcore}
                with pytest.raises(NotImplementedError, match=label):
                    exec(source(stub), namespace)
                if label == "ex-perceptron-xnor-net":  # the cell's starter network stays, for the answer to set
                    assert isinstance(namespace[name], mlpcore.MLP)
                    continue
                assert namespace[name] is NotImplemented, (stem, label)
            else:  # a function: its body raises when it is called
                assert f"{name} = NotImplemented" not in source(stub)
                assert f'raise NotImplementedError("exercise {label}:' in source(stub)
    assert values >= 10


def test_release_is_idempotent(book_released, tmp_path):
    _, out = book_released
    again = tmp_path / "again"
    assert main(["release", *(str(p) for p in sorted(out.glob("*.ipynb"))), "--out", str(again)]) == 0
    for path in sorted(out.glob("*.ipynb")):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    book = nbformat.read(CHAPTERS[5], 4)
    once = student_version(book, CHAPTERS[5].name)
    assert student_version(once, CHAPTERS[5].name) == once
    readable_once = readable(once, CHAPTERS[5].stem)
    assert readable(readable_once, CHAPTERS[5].stem) == readable_once


def test_release_of_a_stem_from_another_folder(tmp_path):
    run = [sys.executable, "-m", "mlpcourse", "release"]
    result = subprocess.run([*run, "06_backprop_chain_rule", "--out", "hw"], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "hw").iterdir()] == ["06_backprop_chain_rule.ipynb"]
    (tmp_path / "plain").mkdir()  # a folder as the user's umask makes it, not a private temporary one
    assert (tmp_path / "hw").stat().st_mode == (tmp_path / "plain").stat().st_mode
    # a path, relative to the current folder, into a folder that already holds other files
    (tmp_path / "hw2").mkdir()
    (tmp_path / "hw2" / "notes.txt").write_text("mine")
    result = subprocess.run([*run, "hw/06_backprop_chain_rule.ipynb", "--out", "hw2"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "hw2").iterdir()) == ["06_backprop_chain_rule.ipynb", "notes.txt"]
    assert (tmp_path / "hw2" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "hw2" / "06_backprop_chain_rule.ipynb").read_bytes() == \
        (tmp_path / "hw" / "06_backprop_chain_rule.ipynb").read_bytes()


def test_a_failing_release_leaves_no_folder(tmp_path, capsys):
    nb = new_notebook(cells=[new_markdown_cell("```{exercise} X\n:label: ex-x\n```\n```{solution-start} ex-x\n```\nsecret")])
    nbformat.write(nb, tmp_path / "broken.ipynb")
    good = str(ROOT / "book" / "06_backprop_chain_rule.ipynb")
    # the good chapter first: it is not written either
    assert main(["release", good, str(tmp_path / "broken.ipynb"), "--out", str(tmp_path / "a" / "b" / "out")]) == 2
    assert "never closed" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb"]
    # a bad stem: the message lists the chapters
    assert main(["release", "06_backprop", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "'06_backprop'" in err and "06_backprop_chain_rule" in err and "17_optimizers" in err
    assert not (tmp_path / "out").exists()
    # into a folder that exists: it is left as it was
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "notes.txt").write_text("mine")
    assert main(["release", good, str(tmp_path / "broken.ipynb"), "--out", str(tmp_path / "hw")]) == 2
    assert [p.name for p in (tmp_path / "hw").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb", "hw"]


def test_release_refuses_to_overwrite_a_chapter_with_its_solutions(tmp_path, capsys):
    chapter = tmp_path / "06_backprop_chain_rule.ipynb"
    chapter.write_bytes((ROOT / "book" / chapter.name).read_bytes())
    assert main(["release", str(chapter), "--out", str(tmp_path)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert chapter.read_bytes() == (ROOT / "book" / chapter.name).read_bytes()


def test_the_released_notebook_runs_without_myst_nb(book_released, tmp_path):
    released_nbs, out = book_released
    for stem, nb in released_nbs.items():
        code = "\n".join(source(c) for c in nb.cells if c.cell_type == "code")
        assert "myst_nb" not in code, stem
        book = "\n".join(source(c) for c in nbformat.read(ROOT / "book" / f"{stem}.ipynb", 4).cells)
        assert ("from myst_nb import glue" in book) == ("from mlpcourse.prose import glue" in code), stem
    # chapter 6 runs, with myst_nb not importable, up to its first stub, which raises NotImplementedError
    runner = (
        "import json, sys\n"
        "sys.modules['myst_nb'] = None  # import myst_nb raises ImportError\n"
        "nb = json.load(open(sys.argv[1]))\n"
        "ns = {'__name__': '__main__'}\n"
        "for i, cell in enumerate(nb['cells']):\n"
        "    if cell['cell_type'] != 'code':\n"
        "        continue\n"
        "    try:\n"
        "        exec(compile(''.join(cell['source']), f'cell {i}', 'exec'), ns)\n"
        "    except NotImplementedError as exc:\n"
        "        print('stub', cell['metadata'].get('mlpcore'), exc)\n"
        "        break\n"
    )
    result = subprocess.run([sys.executable, "-c", runner, str(out / "06_backprop_chain_rule.ipynb")],
                            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "MPLBACKEND": "Agg"},
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # the function exercises' stubs raise when called (their check cells say so and go on); the first value
    # exercise's stub raises where it stands
    assert result.stdout.strip().splitlines()[-1].startswith(
        "stub {'solution': 'ex-backprop-seung-update'} exercise ex-backprop-seung-update:")


def test_prose_glue_shows_a_value_only_when_asked(capsys):
    glue("x", 1.25, display=False)
    assert capsys.readouterr().out == ""
    glue("x", 1.25)
    assert capsys.readouterr().out == "1.25\n"
    with pytest.raises(TypeError, match="name must be a string"):
        glue(3, 1.25)


def test_release_works_from_chapters_without_solutions(book_released, tmp_path):
    """An installed course ships the chapters after student_version only (no solutions, no bibliography,
    no _config.yml beside them): releasing those gives the same notebooks as releasing the book."""
    released_nbs, out = book_released
    shipped = tmp_path / "book"
    shipped.mkdir()
    for path in CHAPTERS:
        nb = student_version(nbformat.read(path, 4), path.name)
        text = nbformat.writes(nb)
        assert BEGIN not in text and "{solution-start}" not in text
        leaked = [t for t in solution_tokens(nbformat.read(path, 4)) if t in text or json.dumps(t)[1:-1] in text]
        assert not leaked, path.name
        nbformat.write(nb, shipped / path.name)
    assert main(["release", *(str(shipped / p.name) for p in CHAPTERS), "--out", str(tmp_path / "hw")]) == 0
    for path in CHAPTERS:
        assert (tmp_path / "hw" / path.name).read_bytes() == (out / path.name).read_bytes(), path.name


# finding the notebooks of a class: browsers' copies and macOS's zip metadata ----------------------


def test_discovery_grades_a_browser_copy_and_skips_macos_metadata(tmp_path):
    stem = "06_backprop_chain_rule"
    root = tmp_path / "submissions"
    files = [f"alice/{stem} (1).ipynb",  # a browser's second download, the only copy
             f"bob/{stem}.ipynb", f"bob/{stem} (1).ipynb", f"bob/._{stem}.ipynb",
             f"carol/hw/{stem} (1).ipynb", f"carol/hw/{stem} (2).ipynb", f"carol/hw/{stem}-copy.ipynb",
             f"__MACOSX/alice/._{stem} (1).ipynb", f"__MACOSX/bob/._{stem}.ipynb", "__MACOSX/._alice",
             f"dan/__MACOSX/._{stem}.ipynb", f"dan/.ipynb_checkpoints/{stem}-checkpoint.ipynb"]
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")
    students, found, problems = find_submissions(root, [stem])
    assert students == ["alice", "bob", "carol", "dan"]  # no __MACOSX student
    assert found == {("alice", stem): root / f"alice/{stem} (1).ipynb", ("bob", stem): root / f"bob/{stem}.ipynb",
                     ("carol", stem): root / f"carol/hw/{stem} (2).ipynb", ("dan", stem): None}
    assert "skipped __MACOSX/: macOS's zip metadata, not a student" in problems
    assert f"alice: no {stem}.ipynb; graded alice/{stem} (1).ipynb, a browser's copy of it: rename it to " \
           f"{stem}.ipynb" in problems
    assert any(p.startswith(f"carol: no {stem}.ipynb; graded carol/hw/{stem} (2).ipynb") for p in problems)
    assert any(p.startswith("bob: skipped 1 macOS metadata file") for p in problems)
    assert any(p.startswith("dan: skipped 1 macOS metadata file") for p in problems)
    assert not any(p.startswith("bob: 2 copies") for p in problems)  # bob's own file wins, no note
    assert len(problems) == 5
    # check --in uses the same rules
    assert chapter_notebooks(root / "alice", stem) == [root / f"alice/{stem} (1).ipynb"]
    assert chapter_notebooks(root / "dan", stem) == []
    assert chapters_present(root / "alice") == [stem]
    assert chapters_present(root / "dan") == []


def test_student_version_needs_no_numpy_as_the_wheels_build_hook_runs_it(tmp_path):
    """tools/hatch_student_book.py imports release.py in a build environment with nbformat and PyYAML only:
    there, which exercises read a value comes from the checks' source, and the stubs come out the same."""
    code = ("import sys, types, importlib, nbformat\n"
            "sys.modules['numpy'] = None\n"
            "package = types.ModuleType('_bare'); package.__path__ = [sys.argv[1]]; sys.modules['_bare'] = package\n"
            "release = importlib.import_module('_bare.release')\n"
            "for path in sys.argv[3:]:\n"
            "    nb = release.student_version(release.read(path), name=path)\n"
            "    nbformat.write(nb, sys.argv[2] + '/' + path.rsplit('/', 1)[-1])\n")
    paths = [str(p) for p in CHAPTERS]
    subprocess.run([sys.executable, "-c", code, str(ROOT / "mlpcourse"), str(tmp_path), *paths], check=True)
    for path in CHAPTERS:
        expected = student_version(nbformat.read(path, 4), path.name)
        assert nbformat.read(tmp_path / path.name, 4) == expected, path.name
