"""What the course says a chapter holds: its exercises, which are checked, the name
each check reads the answer from, and the reference solutions.

All of it is read from the course's own copy of the chapters (the book), never
from a submission. In a checkout the book is the ``book/`` folder beside this
package; an installed course carries the chapters as the package data
``mlpcourse.book``.
"""

import ast
import functools
import hashlib
import re
import textwrap
from pathlib import Path

from . import notebook
from .exercises import has_checks

__all__ = ["HERE", "UnknownChapter", "book_dir", "chapters", "answer_name", "Chapter", "chapter", "chapter_of_label"]

HERE = Path(__file__).resolve().parent


class UnknownChapter(KeyError):
    """A name that is not a chapter of the course with checked exercises."""


def book_dir():
    """The folder that holds the course's chapter notebooks."""
    installed = HERE / "book"  # the package data mlpcourse.book of an installed course
    return installed if installed.is_dir() else HERE.parent / "book"


def chapters():
    """Stems of the chapters that have checked exercises, in book order (their numbers)."""
    return [p.stem for p in sorted(book_dir().glob("*.ipynb")) if has_checks(p.stem)]


def _normalise(code):
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def answer_name(cell_source, label):
    """The name that ``check("<label>", name)`` in a cell reads the answer from, or None."""
    return next((name for lab, name in notebook.check_calls(cell_source) if lab == label and name), None)


class Chapter:
    """One chapter as the course defines it."""

    def __init__(self, stem, path):
        self.stem, self.path = stem, Path(path)
        nb = notebook.read(self.path)
        found = notebook.structure(nb)
        self.exercises = [e["label"] for e in found]
        self.stars = {}  # label -> its difficulty, 1 to 3 stars (0 where the title has none)
        for cell in nb.cells:
            self.stars.update(notebook.exercise_stars(cell))
        self.checked, self.answers, self.solutions, self._statements = [], {}, {}, {}
        self.scaffolds = {}  # label -> its solution cell without the solution block: what everyone is given
        for e in found:
            if e["check"] is None:
                continue
            name = answer_name(notebook.source(nb.cells[e["check"]]), e["label"])
            if name is None:
                raise ValueError(f"{stem}: the check cell of {e['label']} must read check({e['label']!r}, <name>)")
            self.checked.append(e["label"])
            self.answers[e["label"]] = name
            if e["solution"] is not None:
                text = notebook.source(nb.cells[e["solution"]])
                if notebook.BEGIN in text and notebook.END in text:
                    head, rest = text.split(notebook.BEGIN, 1)
                    block, tail = rest.split(notebook.END, 1)
                    self.scaffolds[e["label"]] = head + tail
                    self.solutions[e["label"]] = _normalise(block)
                    self._statements[e["label"]] = _statements(block.split("\n", 1)[-1])
        self.written = [label for label in self.exercises if label not in self.checked]  # graded by hand
        self.fingerprint = hashlib.sha256(self.path.read_bytes()).hexdigest()

    def number(self, label):
        """The exercise's number as the website shows it: "3.1" for the first of chapter 3, "A.2" in the appendix."""
        prefix = str(int(self.stem[:2])) if self.stem[:2].isdigit() else "A"
        return f"{prefix}.{self.exercises.index(label) + 1}"

    def metadata(self):
        """What ``release`` stamps into the student version's metadata."""
        return {"exercises": list(self.exercises), "checked": list(self.checked)}

    def is_reference_solution(self, label, cells):
        """Whether one of ``cells`` (code sources) holds this exercise's reference solution, statement
        for statement: compared as syntax trees, so that comments, blank lines, spacing, quotes and
        parentheses do not hide a copy (renamed variables do). Only a solution long enough that writing
        it independently is unlikely counts."""
        block = self.solutions.get(label, "")
        if len(re.sub(r"\s", "", block)) < 40:
            return False
        wanted = self._statements.get(label)
        if not wanted:
            return any(block in _normalise(code) for code in cells)  # not Python the parser reads
        n = len(wanted)
        for code in cells:
            for body in _bodies(code):
                if any(body[i:i + n] == wanted for i in range(len(body) - n + 1)):
                    return True
        return False


def _statements(code):
    """The top-level statements of ``code`` (dedented) as ``ast.dump`` strings, or [] if it does not parse."""
    try:
        tree = notebook.parse_code(textwrap.dedent(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [ast.dump(node) for node in tree.body]


def _bodies(code):
    """Every list of statements in ``code`` (the module's, each function's, loop's, branch's ...), as dumps."""
    try:
        tree = notebook.parse_code(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [[ast.dump(node) for node in value] for node in ast.walk(tree) for value in vars(node).values()
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt)]


@functools.lru_cache(maxsize=None)
def chapter(stem):
    """The chapter called ``stem`` (its notebook's file name without ``.ipynb``)."""
    path = book_dir() / f"{stem}.ipynb"
    if not path.is_file() or not has_checks(stem):
        known = ", ".join(chapters())
        raise UnknownChapter(f"{stem!r} is not a chapter of this course with checked exercises; "
                             f"the chapters are: {known}")
    return Chapter(stem, path)


def chapter_of_label(label):
    """The stem of the chapter that holds exercise ``label``, or None."""
    for stem in chapters():
        if label in chapter(stem).exercises:
            return stem
    return None
