"""Check a student's notebook: run it in a fresh kernel and report every exercise.

Each cell runs under a time limit; a cell that exceeds it is interrupted and
the run goes on. Each exercise that has a check cell ends up as one of

- ``passed`` / ``failed: <why>``: what the check printed;
- ``not attempted``: the solution is still the stub that raises NotImplementedError;
- ``error: <exception>``: the solution cell or the check raised;
- ``timed out``: the solution or the check ran past the limit;
- ``missing: <what>``: its solution or check cell was deleted or moved.
"""

import logging
import re
import subprocess
import time
from pathlib import Path

from nbclient import NotebookClient

from .checks import CHECKS
from .notebook import NotACourseNotebook, read, structure

VERDICT = re.compile(r"^([\w.-]+): (passed|failed|not attempted|error)(?:: (.*))?$", re.M)


class Report:
    """The result of checking one notebook."""

    def __init__(self, path):
        self.path, self.results, self.problems, self.unchecked = Path(path), {}, [], []

    @property
    def passed(self):
        return sum(status == "passed" for status, _ in self.results.values())

    @property
    def failed(self):
        return len(self.results) - self.passed

    @property
    def ok(self):
        return self.failed == 0 and not self.problems

    def lines(self):
        yield str(self.path)
        for problem in self.problems:
            yield f"  ! {problem}"
        width = max([len(label) for label in [*self.results, *self.unchecked]] + [10])
        for label, (status, detail) in self.results.items():
            yield f"  {label:{width}s}  {status}{': ' + detail if detail else ''}"
        for label in self.unchecked:
            yield f"  {label:{width}s}  not checked automatically (a written answer)"


def _error_of(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), out.get("evalue", "")
    return None


def _stdout(cell):
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def _execute(nb, path, timeout, kernel_name):
    """Run every code cell in order; return {cell index: (error or None, timed out)}."""
    quiet = logging.getLogger("mlpcore.homework.kernel")
    quiet.setLevel(logging.CRITICAL)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True, interrupt_on_timeout=True,
        resources={"metadata": {"path": str(Path(path).resolve().parent)}}, log=quiet,
    )
    outcome = {}
    # the kernel process's own log (not the notebook's output) is of no use to a student
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.monotonic()
            client.execute_cell(cell, i)
            error = _error_of(cell)
            interrupted = error is not None and error[0] == "KeyboardInterrupt"
            timed_out = interrupted or time.monotonic() - start >= 0.98 * timeout
            outcome[i] = (error, timed_out)
    return outcome


def check_notebook(path, timeout=60, kernel_name="python3"):
    """Execute ``path`` and return a :class:`Report` of its exercises.

    Raises NotACourseNotebook for a file that is not a notebook of this course.
    """
    nb = read(path)
    exercises = structure(nb)
    meta = nb.metadata.get("mlpcore", {})
    expected = meta.get("exercises") or [e["label"] for e in exercises]
    checked = meta.get("checked") or [e["label"] for e in exercises if e["check"] is not None]
    if not exercises and not meta:
        raise NotACourseNotebook(f"{path}: no exercises of this course in it (is it a notebook from another course?)")
    if not meta and not any(label in CHECKS for label in checked):
        raise NotACourseNotebook(f"{path}: none of its exercises {checked} is known to this course's checker")
    report = Report(path)
    found = {e["label"]: e for e in exercises}

    # structure first: deleted or reordered exercise cells
    order = [label for label in expected if label in found]
    positions = [found[label]["cell"] if found[label]["cell"] is not None else found[label]["check"] for label in order]
    if positions != sorted(positions):
        moved = [a for a, pa, pb in zip(order, positions, positions[1:]) if pa > pb]
        report.problems.append(f"exercises are out of order (expected {expected}); moved: {moved}")
    for label in expected:
        if label not in found:
            report.problems.append(f"exercise {label}: its cells were deleted")

    outcome = _execute(nb, path, timeout, kernel_name)

    for label in checked:
        e = found.get(label)
        if e is None:
            report.results[label] = ("missing", "the exercise's cells were deleted")
            continue
        if e["check"] is None:
            report.results[label] = ("missing", "its check cell was deleted")
            continue
        if e["solution"] is not None and e["solution"] > e["check"]:
            report.results[label] = ("missing", "its check cell comes before its solution cell (cells moved?)")
            continue
        report.results[label] = _verdict(label, nb, e, outcome, timeout)
    report.unchecked = [e["label"] for e in exercises if e["label"] not in checked]
    return report


def _verdict(label, nb, e, outcome, timeout):
    if e["solution"] is not None:
        error, timed_out = outcome[e["solution"]]
        if timed_out:
            return "timed out", f"the solution cell ran past the {timeout} s limit"
        if error and error[0] == "NotImplementedError":
            return "not attempted", ""
        if error:
            return "error", f"{error[0]}: {error[1]} (in the solution cell)"
    error, timed_out = outcome[e["check"]]
    if timed_out:
        return "timed out", f"the check ran past the {timeout} s limit"
    for found_label, status, detail in VERDICT.findall(_stdout(nb.cells[e["check"]])):
        if found_label == label:
            return status, detail
    if error:
        return "error", f"{error[0]}: {error[1]} (in the check cell)"
    return "error", "the check cell printed no verdict"
