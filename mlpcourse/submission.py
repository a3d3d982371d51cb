"""Grade one submitted notebook, in four steps, each a function below:

1. :func:`find_answers`: where each checked answer is complete in the submission's
   code cells (after the last cell that defines its name or calls its check);
2. :func:`run_in_sandbox`: run the cells one by one in a sandboxed kernel
   (:mod:`mlpcourse.kernel`), and at each answer's place
3. :func:`collect_answer`: ask the kernel to call the answer on the grader's inputs
   (fixed cases and random ones from the run's seed) and write what came out as
   plain JSON (:mod:`mlpcourse.harness`);
4. :func:`judge_answers`: decide each exercise's status here, from that data, with
   :func:`mlpcourse.exercises.judge`.

A written exercise is not run: :func:`written_rows` reads the student's answer from its
Markdown cell, for the instructor to grade by hand (status ``written``).

A notebook whose code cells are the released chapter's, unchanged (:func:`is_untouched`), is not
run: every checked exercise is ``not attempted``, as running it would give.

:func:`grade_notebook` does the four in order. The course says what a chapter holds
(:mod:`mlpcourse.course`); the submission only supplies code to run. Nothing the
notebook prints is read, and nothing from the kernel is unpickled or evaluated.
The statuses are those of :mod:`mlpcourse.statuses`.
"""

__all__ = ["Limits", "Row", "Result", "Run", "grade_notebook", "find_answers", "run_in_sandbox",
           "collect_answer", "judge_answers", "written_rows", "identify", "is_untouched", "new_seed"]

import ast
import functools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import course, exercises, harness, notebook, release
from .kernel import Sandbox

HARNESS_SOURCE = Path(harness.__file__).read_text()  # read once: the file on disk is not trusted later
MAX_RECORD_BYTES = 256 * 2**20


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
    seed: int = None  # the seed of the random inputs it was graded with

    def count(self, status):
        """How many rows have ``status``."""
        return sum(r.status == status for r in self.rows)


@dataclass
class Run:
    """What running a submission gave: how each cell ran, how each answer's collection ran and what it
    wrote, and why the kernel stopped early (cell index, status, reason), if it did."""

    outcomes: dict = field(default_factory=dict)
    collected: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)
    stopped: tuple = None


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


def _locate(code_cells, parsed, label, name):
    """(index of the cell that last defines ``name``, index after which to collect the answer);
    ``parsed``: each cell's (syntax tree or None where it does not parse, its check calls)."""
    defines, checks, stub = None, None, None
    for i, (src, (tree, calls)) in enumerate(zip(code_cells, parsed)):
        if notebook.is_stub(src, label):
            stub = i
        if tree is None:
            if re.search(rf"^\s*(def\s+{re.escape(name)}\b|{re.escape(name)}\s*=)", src, re.M):
                defines = i  # a solution cell with a syntax error still is the solution cell
            continue
        if _binds(tree, name):
            defines = i
        if any(lab == label for lab, _ in calls):
            checks = i
    defines = stub if defines is None else defines
    points = [i for i in (defines, checks) if i is not None]
    return defines, (max(points) if points else len(code_cells) - 1)


def _parsed(src):
    try:
        tree = notebook.parse_code(src)
    except SyntaxError:
        return None, []
    return tree, (notebook.check_calls(tree) if notebook.may_call_check(src) else [])


def find_answers(code_cells, chapter):
    """Step 1: {label: (index of the cell that defines the answer, index after which to collect it)}."""
    parsed = [_parsed(src) for src in code_cells]  # each cell parsed once, for every exercise
    return {label: _locate(code_cells, parsed, label, chapter.answers[label]) for label in chapter.checked}


def identify(nb, chapter):
    """Problems that make the notebook not this chapter's (a list; empty when it is)."""
    labels = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            labels.update(notebook.exercise_labels(cell))
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
            present.update(notebook.exercise_labels(cell))
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


def collect_answer(sandbox, label, name, inputs, timeout):
    """Step 3: call the answer ``name`` in the kernel on ``inputs`` (None: take its value), and read back
    the JSON record it wrote. Returns (outcome of the call, record or None)."""
    in_path = None
    if inputs is not None:
        in_path = sandbox.dir / f"{label}.inputs.json"
        in_path.write_text(json.dumps([harness.encode(args) for args in inputs]))
    out_path = sandbox.dir / f"{label}.answer.json"
    out = sandbox.run(_collect_code(name, in_path and str(in_path), str(out_path)), timeout, silent=True)
    return out, (_read_record(out_path) if out.status == "ok" else None)


def _stopped(i, out):
    return (i, "timed out" if out.status == "timed out" else "error", out.why)


def run_in_sandbox(code_cells, chapter, where, inputs, limits, fontcache=None, isolation="bubblewrap", stop=None):
    """Step 2: run the cells one by one in a fresh sandboxed kernel, collecting each answer right after
    the cell where it is complete (step 3), within the limits; return a :class:`Run`."""
    run = Run()
    started = time.monotonic()

    def collect(label):
        left = max(limits.total - (time.monotonic() - started), 1.0)
        out, record = collect_answer(sandbox, label, chapter.answers[label], inputs[label], min(limits.cell, left))
        run.collected[label], run.records[label] = out, record
        return out

    with Sandbox(memory_gib=limits.memory, fontcache=fontcache, isolation=isolation, stop=stop) as sandbox:
        for i, src in enumerate(code_cells):
            left = limits.total - (time.monotonic() - started)
            if left <= 0:
                run.stopped = (i, "timed out", f"the notebook ran past the {limits.total:g} s limit per submission")
                break
            run.outcomes[i] = out = sandbox.run(src, min(limits.cell, left))
            if out.stopped:
                run.stopped = _stopped(i, out)
                break
            for label in [lab for lab in chapter.checked if where[lab][1] == i]:
                out = collect(label)
                if out.stopped:
                    run.stopped = _stopped(i, out)
                    break
            if run.stopped:
                break
        if not run.stopped:  # answers whose place could not be found: collected at the end
            for label in [lab for lab in chapter.checked if lab not in run.collected]:
                if collect(label).stopped:
                    break
    return run


def judge_answers(chapter, code_cells, where, run, inputs):
    """Step 4: a :class:`Row` per checked exercise, decided here from what :func:`run_in_sandbox` gave."""
    return [_row(label, chapter, where[label], run.outcomes, run.collected.get(label), run.records.get(label),
                 inputs[label], run.stopped, code_cells) for label in chapter.checked]


@functools.lru_cache(maxsize=None)
def _released_code(stem, fingerprint):
    """The code cells of chapter ``stem``'s student version as ``release`` writes them (``fingerprint``, the
    chapter's, keys the cache: a changed chapter is read again)."""
    nb = release.student_version(notebook.read(course.chapter(stem).path), name=stem)
    return tuple(release.released_code(notebook.source(c)) for c in nb.cells if c.cell_type == "code")


def is_untouched(code_cells, chapter, where):
    """Whether a submission's code cells are the released chapter's, unchanged (its Markdown may differ:
    written exercises are read, never run), with every checked answer defined by its stub. Running such a
    notebook gives ``not attempted`` for every checked exercise and nothing else, so the grader does not
    run it: a class where many never start costs a kernel only per notebook with something to run."""
    return (tuple(release.released_code(src) for src in code_cells) == _released_code(chapter.stem, chapter.fingerprint)
            and all(where[label][0] is not None and notebook.is_stub(code_cells[where[label][0]], label)
                    for label in chapter.checked))


def grade_notebook(nb_bytes, chapter_stem, seed, limits=None, fontcache=None, isolation="bubblewrap", stop=None):
    """Grade one submitted notebook (its bytes) as chapter ``chapter_stem``; return a :class:`Result`.
    ``isolation`` is "bubblewrap" (the sandbox) or "none"; setting the event ``stop`` ends the kernel
    and raises :class:`mlpcourse.kernel.Stopped`."""
    limits = limits or Limits()
    chapter = course.chapter(chapter_stem)
    result = Result(chapter_stem, seed=seed)
    checks = exercises.load_chapter(chapter_stem)
    try:
        nb = nbformat.reads(nb_bytes.decode("utf-8"), as_version=4)
    except Exception as exc:  # not JSON, not a notebook, not UTF-8
        result.problems.append(f"the file is not a Jupyter notebook ({type(exc).__name__})")
    else:
        result.problems += identify(nb, chapter)
    if result.problems:
        result.rows = [Row(label, "missing", result.problems[0]) for label in chapter.exercises]
        return result
    result.problems += _notebook_problems(nb, chapter)

    code = [notebook.source(c) for c in nb.cells if c.cell_type == "code"]
    where = find_answers(code, chapter)
    if is_untouched(code, chapter, where):  # nothing of the student's to run: every answer is its stub
        rows = {label: Row(label, "not attempted") for label in chapter.checked}
    else:
        inputs = {label: checks[label].inputs_for(seed) for label in chapter.checked}
        run = run_in_sandbox(code, chapter, where, inputs, limits, fontcache, isolation, stop)
        result.kernel_trouble = run.stopped is not None
        rows = {row.exercise: row for row in judge_answers(chapter, code, where, run, inputs)}
    rows.update((row.exercise, row) for row in written_rows(nb, chapter))
    result.rows = [rows[label] for label in chapter.exercises]
    return result


def written_rows(nb, chapter):
    """A :class:`Row` per written exercise, read from its Markdown answer cell (nothing runs): status
    ``written`` with the student's text as the detail, or ``not attempted``."""
    answers = notebook.written_answers(nb)
    rows = []
    for label in chapter.written:
        if label not in answers:
            rows.append(Row(label, "not attempted", "its answer cell (a Markdown cell that release marks) is not in "
                            "the notebook; if the answer was written elsewhere, read the notebook"))
        elif answers[label] is None:
            rows.append(Row(label, "not attempted"))
        else:
            rows.append(Row(label, "written", answers[label][:20_000]))
    return rows


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
    stub_left = defines is not None and notebook.is_stub(code[defines], label)
    if status != "passed" and stub_left and solution is not None and solution.ename == "NotImplementedError":
        return Row(label, "not attempted", "", seconds)  # e.g. the stub's half-built network, never finished
    if status == "passed" and chapter.is_reference_solution(label, code):
        status = "flagged"
        detail = "passed, with the book's reference solution (the same statements, comments and spacing aside)"
    return Row(label, status, detail, seconds)
