"""The cheat suite: forgeries built from the released chapter 4 (no exercise solved),
graded as a class with ``grade`` and one by one with ``check``. None may ever give
``passed`` for a wrong answer, honest submissions keep their verdicts, and no
forgery changes another submission's row."""

import csv
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from mlpcourse import course
from mlpcourse.__main__ import main
from mlpcourse.samples import submission
from mlpcourse.statuses import passes

# chapter 4: the forgeries are about the grader, not the chapter, and chapter 4 runs in under a second
CH = "04_forward_pass"
LABELS = course.chapter(CH).checked
HEAD = "def forward(W_list, b_list, x):\n"
FORWARD = HEAD + ("    a = x\n    for W, b in zip(W_list, b_list):\n        a = 1.0 / (1.0 + np.exp(-(a @ W.T + b)))\n"
                  "    return a")  # right, and not the book's reference solution (which would be flagged)


def _cells(nb, role):
    return [i for i, c in enumerate(nb.cells) if role in c.get("metadata", {}).get("mlpcore", {})]


def _insert_top(nb, code):
    nb.cells.insert(1, new_code_cell(code))
    return nb


def forgeries():
    """name -> (notebook, the labels whose answer is right in it)."""
    made = {}

    def add(name, nb, right=()):
        made[name] = (nb, set(right))

    passes = "; ".join(f"print('{label}: passed')" for label in LABELS)
    add("pre_run_cell hook", _insert_top(submission(CH, "untouched"),
        f"get_ipython().events.register('pre_run_cell', lambda *a: [{passes.replace('; ', ', ')}])"))
    nb = submission(CH, "untouched")
    for i in _cells(nb, "check"):
        label = nb.cells[i].metadata["mlpcore"]["check"]
        nb.cells[i].source = f'# check("{label}", x)\nprint("{label}: passed")'
    add("check cell commented out, pass line printed", nb)
    nb = submission(CH, "untouched")
    for i in reversed(_cells(nb, "check")):
        label = nb.cells[i].metadata["mlpcore"]["check"]
        nb.cells.insert(i, new_code_cell(f'check = print\ncheck("{label}: passed")'))
    add("forged check cell before the real one", nb)
    add("check redefined", _insert_top(submission(CH, "untouched"),
        'check = lambda label, a: print(f"{label}: passed")\nimport mlpcourse\nmlpcourse.check = check'))
    add("run_check and judge patched", _insert_top(submission(CH, "untouched"),
        "import mlpcourse, mlpcourse.exercises as E\n"
        "E.run_check = mlpcourse.run_check = lambda *a, **k: ('passed', '')\nE.judge = lambda *a, **k: ('passed', '')"))
    add("every entry of CHECKS replaced", _insert_top(submission(CH, "untouched"),
        "from mlpcourse import exercises as E\n" + "".join(f"E.find({lab!r})\n" for lab in LABELS)
        + "for ex in E.CHECKS.values():\n    ex.fn = lambda *a: None"))
    add("numpy's comparisons patched", _insert_top(submission(CH, "untouched"),
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None"))
    nb = submission(CH, "untouched")
    nb.cells[_cells(nb, "solution")[0]].source = FORWARD
    nb.metadata["mlpcore"] = {"exercises": [LABELS[0]], "checked": [LABELS[0]]}
    add("metadata lists only the solved exercise", nb, [LABELS[0]])
    nb = submission(CH, "untouched")
    nb.cells, nb.metadata["mlpcore"] = [], {"exercises": [], "checked": []}
    add("empty notebook, empty metadata", nb)
    nb = submission(CH, "untouched")
    nb.cells[_cells(nb, "solution")[0]].source = (
        HEAD + "".join(f"    print('{lab}: passed')\n" for lab in LABELS) + "    return 0")
    add("answer prints the pass line", nb)
    add("another chapter's notebook", submission("07_worked_example_2_2_1", "untouched"))
    add("os._exit", _insert_top(submission(CH, "untouched"), "import os\nos._exit(0)"))
    add("sys.exit", _insert_top(submission(CH, "untouched"), "import sys\nsys.exit(0)"))
    nb = submission(CH, "untouched")
    nb.cells = [c for c in nb.cells if not c.get("metadata", {}).get("mlpcore")]
    add("solution and check cells deleted", nb)
    nb = submission(CH, "untouched")
    s, c = _cells(nb, "solution")[0], _cells(nb, "check")[0]
    nb.cells[s], nb.cells[c] = nb.cells[c], nb.cells[s]
    nb.cells[c].source = FORWARD.replace("a = 1.0 /", "a = 2.0 /")  # moved, and wrong
    add("cells reordered", nb)
    nb = submission(CH, "untouched")
    nb.cells[_cells(nb, "solution")[0]].source = HEAD + "    return (1 +"
    add("syntax error", nb)
    nb = submission(CH, "untouched")
    nb.cells[_cells(nb, "solution")[0]].source = (
        HEAD + "    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    while True:\n        pass")
    add("SIGINT-proof loop", nb)
    nb = submission(CH, "untouched")
    nb.cells[_cells(nb, "solution")[0]].source = HEAD + "    raise KeyboardInterrupt"
    add("KeyboardInterrupt raised", nb)
    add("allocates without bound", _insert_top(submission(CH, "untouched"),
        "hoard = []\nwhile True:\n    hoard.append(bytearray(2**27))"))
    return made


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class (every forgery, an honest solved and an honest untouched notebook), graded together."""
    root = tmp_path_factory.mktemp("cheats")
    made = forgeries()
    names = {}
    for k, (name, (nb, _)) in enumerate(made.items()):
        student = f"forger{k:02d}"
        names[student] = name
        (root / "class" / student).mkdir(parents=True)
        nbformat.write(nb, root / "class" / student / f"{CH}.ipynb")
    for student, kind in [("honest-solved", "solved"), ("honest-untouched", "untouched")]:
        for where in ("class", "alone"):
            (root / where / student).mkdir(parents=True)
            nbformat.write(submission(CH, kind), root / where / student / f"{CH}.ipynb")
    (root / "class" / "forger-shadow" / "mlpcourse").mkdir(parents=True)
    (root / "class" / "forger-shadow" / "mlpcourse" / "__main__.py").write_text("print('99 passed, 0 failed')")
    (root / "class" / "forger-shadow" / "mlpcourse" / "__init__.py").write_text("")
    nbformat.write(submission(CH, "untouched"), root / "class" / "forger-shadow" / f"{CH}.ipynb")
    names["forger-shadow"] = "package shadowed in the student's folder"
    limits = ["--timeout", "5", "--total-timeout", "120", "--memory", "1.5", "--seed", "7", "--no-progress"]
    for where in ("class", "alone"):
        assert main(["grade", str(root / where), "--out", str(root / f"grades-{where}"), "--jobs", "2", *limits]) == 0
    rows = {}
    for where in ("class", "alone"):
        with open(root / f"grades-{where}" / "grades.csv") as f:
            rows[where] = list(csv.DictReader(f))
    return root, made, names, rows


def test_no_forgery_passes_a_wrong_answer(graded):
    _, made, names, rows = graded
    seen = set()
    for row in rows["class"]:
        if not row["student"].startswith("forger"):
            continue
        name = names[row["student"]]
        right = made[name][1] if name in made else set()
        seen.add(name)
        if row["exercise"] in right:
            assert row["status"] == "passed", (name, row)
        else:
            assert row["status"] not in ("passed", "flagged"), (name, row)
    assert seen == set(names.values())


def test_forgeries_are_reported_for_what_they_are(graded):
    _, _, names, rows = graded
    by = {}
    for row in rows["class"]:  # the checked exercises; the written one is read from the file, never run
        if row["exercise"] in LABELS:
            by.setdefault(names.get(row["student"], row["student"]), {})[row["exercise"]] = (row["status"],
                                                                                             row["detail"])
    first = LABELS[0]
    assert all(s == "missing" and "chapter 07_worked_example_2_2_1" in d
               for s, d in by["another chapter's notebook"].values())
    assert all(s == "error" and "died" in d for s, d in by["os._exit"].values())
    assert by["sys.exit"][first] == ("not attempted", "")
    assert by["syntax error"][first][0] == "error" and "SyntaxError" in by["syntax error"][first][1]
    assert by["SIGINT-proof loop"][first][0] == "timed out" and "did not stop" in by["SIGINT-proof loop"][first][1]
    assert all(s == "timed out" for s, _ in list(by["SIGINT-proof loop"].values())[1:])
    # chapter 4's check names the input a raising forward failed on (failed); elsewhere it is an error
    assert by["KeyboardInterrupt raised"][first][0] in ("error", "failed")
    assert "KeyboardInterrupt" in by["KeyboardInterrupt raised"][first][1]
    assert by["metadata lists only the solved exercise"][first] == ("passed", "")
    assert [s for s, _ in by["metadata lists only the solved exercise"].values()][1:] == ["not attempted"] * 2
    assert all(s == "missing" for s, _ in by["empty notebook, empty metadata"].values())
    assert by["cells reordered"][first][0] == "failed"
    # the allocation fails (MemoryError, then maybe the next cells too, the kernel being at its limit), takes
    # the kernel down with it, or, on a loaded machine, runs out of time: either way nothing passes, and it says why
    hoard = by["allocates without bound"]
    assert all(s == "not attempted" or s == "timed out" or (s == "error" and ("died" in d or "MemoryError" in d))
               for s, d in hoard.values()), hoard
    assert all(s == "not attempted" for s, _ in by["package shadowed in the student's folder"].values())


def test_honest_verdicts_are_unchanged_by_the_forgers_beside_them(graded):
    _, _, _, rows = graded
    honest = {w: sorted((r["student"], r["exercise"], r["status"], r["detail"]) for r in rows[w]
                        if r["student"].startswith("honest")) for w in ("class", "alone")}
    assert honest["class"] == honest["alone"]
    statuses = {(s, "passed" if passes(st) else st) for s, label, st, _ in honest["alone"] if label in LABELS}
    assert statuses == {("honest-solved", "passed"), ("honest-untouched", "not attempted")}  # or flagged
    written = {(s, st) for s, label, st, _ in honest["alone"] if label not in LABELS}
    assert written == {("honest-solved", "written"), ("honest-untouched", "not attempted")}


def test_check_never_passes_a_forgery(graded, capsys):
    root, made, names, _ = graded
    for student, name in names.items():
        if name in ("SIGINT-proof loop", "allocates without bound"):
            continue  # graded above; slow to repeat
        path = root / "class" / student / f"{CH}.ipynb"
        capsys.readouterr()
        status = main(["check", str(path), "--timeout", "8", "--memory", "1.5"])
        out = capsys.readouterr().out
        right = made[name][1] if name in made else set()
        assert status == 1 or (status == 0 and right == set(LABELS)), (name, out)
        for label in set(LABELS) - right:
            assert f"{label}  passed" not in out and f"{label}  flagged" not in out, (name, out)


def test_a_folder_of_the_students_cannot_stand_in_for_the_course(graded):
    root = graded[0]
    repo = root / "class" / "forger-shadow"
    result = subprocess.run([sys.executable, "-I", "-m", "mlpcourse", "check", "--in", str(repo), "--chapters", CH,
                             "--timeout", "30"], cwd=repo, capture_output=True, text=True)
    assert "99 passed" not in result.stdout and result.returncode == 1, result.stdout + result.stderr
    assert "0 passed, 0 failed, 4 not attempted" in result.stdout  # three checked, one written
