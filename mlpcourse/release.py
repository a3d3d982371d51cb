"""Write the student version of chapters: solutions out, stubs in.

For each exercise the written solution (the markdown between ``{solution-start}``
and ``{solution-end}``) is removed, the solution code between the nbgrader
markers becomes ``raise NotImplementedError("exercise <label>: ...")``, and the
outputs of solution and check cells are cleared. Other code cells inside a
solution block are removed. Everything else, outputs included, is kept. The
notebook's metadata records its exercises, so that the checker can tell when
exercise cells were deleted or moved.
"""

import re
from pathlib import Path

import nbformat
import yaml

from .notebook import BEGIN, EXERCISE, check_calls, read, source, structure, stub

START_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{solution-start\}\s+(\S+)")
END_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{solution-end\}")
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*$")


def _strip_written_solutions(text, inside):
    """Remove solution blocks from one markdown cell; ``inside`` carries the state
    across cells. Returns (kept text, inside, labels whose block starts here)."""
    kept, started, skip_fence = [], [], False
    for line in text.splitlines():
        if skip_fence:
            skip_fence = False
            if FENCE.match(line):
                continue
        start = START_LINE.match(line)
        if start and not inside:
            inside = True
            started.append(start.group(2))
            continue
        if END_LINE.match(line) and inside:
            inside, skip_fence = False, True
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept).strip("\n"), inside, started


def student_version(nb, name="notebook"):
    """A copy of ``nb`` with every solution replaced by a stub."""
    nb = nbformat.from_dict(nb)  # a deep copy
    exercises = structure(nb)
    solution_of = {e["solution"]: e["label"] for e in exercises if e["solution"] is not None}
    check_of = {e["check"]: e["label"] for e in exercises if e["check"] is not None}
    cells, inside, current = [], False, None
    for i, cell in enumerate(nb.cells):
        text = source(cell)
        if cell.cell_type == "markdown":
            labels = EXERCISE.findall(text)
            current = labels[-1] if labels else current
            kept, inside, started = _strip_written_solutions(text, inside)
            for label in started:
                kept += f"\n\n*Write your answer to exercise `{label}` in the cell below.*"
            if kept.strip():
                cell.source = kept
                cell.pop("attachments", None)
                cells.append(cell)
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        label = solution_of.get(i)
        if label is None and BEGIN in text:
            label = current or "unlabelled"
        if label is not None:
            cell.source = stub(text, label)
            cell.metadata["mlpcore"] = {"solution": label}
        elif inside:
            continue  # a code cell that is part of a written solution: leave it out
        if label is not None or i in check_of or check_calls(text):
            cell.outputs, cell.execution_count = [], None
            if i in check_of:
                cell.metadata["mlpcore"] = {"check": check_of[i]}
        cells.append(cell)
    if inside:
        raise ValueError(f"{name}: a {{solution-start}} block is never closed by {{solution-end}}")
    nb.cells = cells
    nb.metadata["mlpcore"] = {
        "exercises": [e["label"] for e in exercises],
        "checked": [e["label"] for e in exercises if e["check"] is not None],
    }
    return nb


def toc_entries(book):
    """The file entries of ``book``/_toc.yml (root first), without extensions, in order."""
    toc = yaml.safe_load((Path(book) / "_toc.yml").read_text())
    entries = [toc["root"]]
    for part in toc.get("parts", []):
        stack = list(part.get("chapters", []))
        while stack:
            entry = stack.pop(0)
            entries.append(entry["file"])
            stack.extend(entry.get("sections", []))
    return entries


def toc_chapters(book):
    """The notebooks listed in ``book``/_toc.yml, in order."""
    paths = [Path(book) / f"{entry}.ipynb" for entry in toc_entries(book)]
    return [p for p in paths if p.is_file()]


def release(notebooks, out):
    """Write the student version of each notebook into ``out``; return the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = student_version(read(path), name=str(path))
        target = out / Path(path).name
        nbformat.write(nb, str(target))
        written.append(target)
    return written
