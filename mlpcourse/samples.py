"""Sample submissions made from the released chapters: solved (the book's solutions
pasted back), wrong (every answer replaced by a wrong one) and untouched. The
grader's benchmark and tests use them, and an instructor can try ``grade`` on
such a class before the term starts."""

from pathlib import Path

import nbformat

from . import course, notebook
from .release import student_version


def released(chapter):
    """The student version of a course chapter, as a notebook."""
    return student_version(notebook.read(course.book_dir() / f"{chapter}.ipynb"), name=chapter)


def _reference_cells(chapter):
    nb = notebook.read(course.book_dir() / f"{chapter}.ipynb")
    return {e["label"]: notebook.source(nb.cells[e["solution"]])
            for e in notebook.structure(nb) if e["solution"] is not None}


def _wrong(text, name):
    """A solution cell whose answer is wrong: a function that returns a constant, or a constant."""
    out, inside = [], False
    for line in text.splitlines():
        if line.strip().startswith(notebook.BEGIN):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}return 0.125" if indent else f"{name} = 0.125")
            inside = True
        elif line.strip().startswith(notebook.END):
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def submission(chapter, kind):
    """A released chapter with its solutions ``kind`` = "solved", "wrong" or "untouched"."""
    nb = released(chapter)
    if kind == "untouched":
        return nb
    references, answers = _reference_cells(chapter), course.chapter(chapter).answers
    for cell in nb.cells:
        stamped = notebook.tag(cell)
        if kind == "solved" and stamped and stamped[0] == "written":
            cell.source += f"\n\nA sample answer to {stamped[1]}: the sample student wrote *this*."
        label = stamped[1] if stamped and stamped[0] == "solution" else None
        if label in references:
            text = references[label]
            cell.source = text if kind == "solved" else _wrong(text, answers.get(label, "answer"))
    return nb


def make_class(folder, chapters, students, kinds=("solved", "wrong", "untouched")):
    """``folder/<student>/<chapter>.ipynb`` for ``students`` students, cycling through ``kinds``."""
    folder = Path(folder)
    made = {}
    cache = {}
    for i in range(students):
        student = f"student{i + 1:03d}"
        kind = kinds[i % len(kinds)]
        for chapter in chapters:
            if (chapter, kind) not in cache:
                cache[(chapter, kind)] = nbformat.writes(submission(chapter, kind))
            path = folder / student / "homework" / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(cache[(chapter, kind)])
        made[student] = kind
    return made
