"""Grade a notebook: run it in a sandboxed kernel, collect each checked answer as
data, and judge it here.

The course says what a chapter holds (:mod:`mlpcourse.course`); the submission
only supplies code to run. For each checked exercise the grader finds where the
answer is complete (after the last cell that defines its name or calls its
check), asks the kernel to call the answer on the grader's inputs (fixed cases
and random ones from this run's seed), reads back plain data and decides the
verdict with :func:`mlpcourse.exercises.judge`. Nothing the notebook prints is
read, and nothing from the kernel is unpickled or evaluated.

Statuses: passed, failed, not attempted, error, timed out, missing, and flagged
(passed, with the book's reference solution character for character).
"""

import ast
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import course, exercises, harness, notebook
from .kernel import Sandbox

HARNESS_SOURCE = Path(harness.__file__).read_text()  # read once: the file on disk is not trusted later
MAX_RECORD_BYTES = 256 * 2**20
STATUSES = ("passed", "failed", "not attempted", "error", "timed out", "missing", "flagged")


@dataclass
class Limits:
    cell: float = 60.0  # seconds per cell (and per collected answer)
    total: float = 900.0  # seconds per submission
    memory: float = 4.0  # GiB per kernel


@dataclass
class Row:
    exercise: str
    status: str
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Result:
    """The grade of one notebook: a row per checked exercise, and what is wrong with the notebook itself."""

    chapter: str
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    kernel_trouble: bool = False  # a kernel died or was stopped: worth a second run on a quiet machine

    def count(self, status):
        """How many rows have ``status``."""
        return sum(r.status == status for r in self.rows)


def new_seed():
    """A fresh seed for a grading run's random cases."""
    return secrets.randbits(32)


# where things are in a submission ---------------------------------------------------------


def _binds(tree, name):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
                return True
        for target in targets:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                return True
    return False


def _calls_check(tree, label):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "check"
               and n.args and isinstance(n.args[0], ast.Constant) and n.args[0].value == label
               for n in ast.walk(tree))


def locate(code_cells, label, name):
    """(index of the cell that last defines ``name``, index after which to collect the answer)."""
    defines, checks, stub = None, None, None
    for i, src in enumerate(code_cells):
        if f"exercise {label}: replace this line" in src:
            stub = i
        try:
            tree = notebook.parse_code(src)
        except SyntaxError:
            if re.search(rf"^\s*(def\s+{re.escape(name)}\b|{re.escape(name)}\s*=)", src, re.M):
                defines = i  # a solution cell with a syntax error still is the solution cell
            continue
        if _binds(tree, name):
            defines = i
        if _calls_check(tree, label):
            checks = i
    defines = stub if defines is None else defines
    points = [i for i in (defines, checks) if i is not None]
    return defines, (max(points) if points else len(code_cells) - 1)


def identify(nb, chapter):
    """Problems that make the notebook not this chapter's (a list; empty when it is)."""
    labels = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            labels.update(notebook.EXERCISE.findall(notebook.source(cell)))
    own = set(chapter.exercises)
    if labels & own or not labels:
        return []
    for stem in course.chapters():
        if labels & set(course.chapter(stem).exercises):
            return [f"this is the notebook of chapter {stem}, saved under the name of {chapter.stem}"]
    return [f"its exercises {sorted(labels)[:4]} are not those of {chapter.stem}: a notebook of another course?"]


def _notebook_problems(nb, chapter):
    problems = []
    meta = nb.metadata.get("mlpcore")
    if meta is not None and meta != chapter.metadata():
        problems.append("its mlpcore metadata differs from the course's (edited?); the exercises graded are the "
                        f"course's: {', '.join(chapter.checked)}")
    present = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            present.update(notebook.EXERCISE.findall(notebook.source(cell)))
    missing = [label for label in chapter.exercises if label not in present]
    if missing:
        problems.append(f"the text of exercises {', '.join(missing)} was deleted")
    return problems


# running it ---------------------------------------------------------------------------------


def _collect_code(name, inputs_path, out_path):
    fn = f"_mlpcourse_collect_{secrets.token_hex(4)}"
    return (f"def {fn}():\n"
            f"    ns = {{'__name__': 'mlpcourse_harness'}}\n"
            f"    exec(compile({HARNESS_SOURCE!r}, 'mlpcourse-harness', 'exec'), ns)\n"
            f"    import IPython\n"
            f"    ns['collect_to_file'](IPython.get_ipython().user_ns, {name!r}, {inputs_path!r}, {out_path!r})\n"
            f"{fn}()\ndel {fn}\n")


def _read_record(path):
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_RECORD_BYTES:
        return {"kind": "unavailable", "raised": ["TooLarge", "the answer's data is larger than the grader accepts"]}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def grade_notebook(nb_bytes, chapter_stem, seed, limits=None, fontcache=None):
    """Grade one submitted notebook (its bytes) as chapter ``chapter_stem``; return a :class:`Result`."""
    limits = limits or Limits()
    chapter = course.chapter(chapter_stem)
    result = Result(chapter_stem)
    checks = exercises.load_chapter(chapter_stem)

    def all_rows(status, detail):
        result.rows = [Row(label, status, detail) for label in chapter.checked]
        return result

    try:
        nb = nbformat.reads(nb_bytes.decode("utf-8"), as_version=4)
    except Exception as exc:  # not JSON, not a notebook, not UTF-8
        return all_rows("missing", f"the file is not a Jupyter notebook ({type(exc).__name__})")
    wrong = identify(nb, chapter)
    if wrong:
        result.problems += wrong
        return all_rows("missing", wrong[0])
    result.problems += _notebook_problems(nb, chapter)

    code = [notebook.source(c) for c in nb.cells if c.cell_type == "code"]
    where = {label: locate(code, label, chapter.answers[label]) for label in chapter.checked}
    inputs = {label: checks[label].inputs_for(seed) for label in chapter.checked}
    outcomes, records, collect_outcome = {}, {}, {}
    started = time.monotonic()
    stopped = None  # why the kernel stopped, and at which cell

    with Sandbox(memory_gib=limits.memory, fontcache=fontcache) as sandbox:
        for label in chapter.checked:
            if inputs[label] is not None:
                path = sandbox.dir / f"{label}.inputs.json"
                path.write_text(json.dumps([harness.encode(args) for args in inputs[label]]))
        def collect(label):
            left = max(limits.total - (time.monotonic() - started), 1.0)
            in_path = sandbox.dir / f"{label}.inputs.json" if inputs[label] is not None else None
            out_path = sandbox.dir / f"{label}.answer.json"
            out = sandbox.run(_collect_code(chapter.answers[label], in_path and str(in_path), str(out_path)),
                              min(limits.cell, left), silent=True)
            collect_outcome[label] = out
            records[label] = _read_record(out_path) if out.status == "ok" else None
            return out

        for i, src in enumerate(code):
            left = limits.total - (time.monotonic() - started)
            if left <= 0:
                stopped = (i, "timed out", f"the notebook ran past the {limits.total:g} s limit per submission")
                break
            outcomes[i] = out = sandbox.run(src, min(limits.cell, left))
            if out.stopped:
                stopped = (i, "timed out" if out.status == "timed out" else "error", out.why)
                break
            for label in [lab for lab in chapter.checked if where[lab][1] == i]:
                out = collect(label)
                if out.stopped:
                    stopped = (i, "timed out" if out.status == "timed out" else "error", out.why)
                    break
            if stopped:
                break
        if not stopped:  # answers whose place could not be found: collected at the end
            for label in [lab for lab in chapter.checked if lab not in collect_outcome]:
                if collect(label).stopped:
                    break
        result.kernel_trouble = stopped is not None

    for label in chapter.checked:
        result.rows.append(_row(label, chapter, where[label], outcomes, collect_outcome.get(label),
                                records.get(label), inputs[label], stopped, code))
    return result


def _cell_name(i):
    return f"code cell {i + 1}"


def _row(label, chapter, where, outcomes, collected, record, inputs, stopped, code):
    defines, point = where
    solution = outcomes.get(defines) if defines is not None else None
    seconds = (solution.seconds if solution else 0.0) + (collected.seconds if collected else 0.0)
    if collected is None:  # the kernel stopped before this answer could be collected
        at, status, why = stopped or (0, "error", "the notebook could not be run")
        after = "; this exercise comes after it" if at < point else ""
        return Row(label, status, f"{_cell_name(at)}: {why}{after}", seconds)
    if collected.status == "timed out":
        return Row(label, "timed out", f"calling your answer on the grader's inputs: {collected.why}", seconds)
    if collected.status != "ok" or record is None:
        why = collected.why or f"{collected.ename}: {collected.evalue}"
        return Row(label, "error", f"the answer could not be collected ({why})", seconds)
    if record.get("kind") == "unavailable" and record["raised"][0] == "NameError":
        if solution is not None and solution.status == "timed out":
            return Row(label, "timed out", f"the solution cell ({_cell_name(defines)}): {solution.why}", seconds)
        if solution is not None and solution.status == "error":
            if solution.ename == "NotImplementedError":
                return Row(label, "not attempted", "", seconds)
            return Row(label, "error", f"{solution.ename}: {solution.evalue} (in the solution cell)", seconds)
        if defines is None:
            return Row(label, "missing", f"no cell defines {chapter.answers[label]}, the answer this exercise reads",
                       seconds)
    status, detail = exercises.judge(label, record, inputs)
    stub_left = defines is not None and f"exercise {label}: replace this line" in code[defines]
    if status != "passed" and stub_left and solution is not None and solution.ename == "NotImplementedError":
        return Row(label, "not attempted", "", seconds)  # e.g. the stub's half-built network, never finished
    if status == "passed" and chapter.is_reference_solution(label, code):
        status, detail = "flagged", "passed, with the book's reference solution character for character"
    return Row(label, status, detail, seconds)
