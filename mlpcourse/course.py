"""What the course says a chapter holds: its exercises, which are checked, the name
each check reads the answer from, and the reference solutions.

All of it is read from the course's own copy of the chapters (the book), never
from a submission. In a checkout the book is the ``book/`` folder beside this
package; an installed course carries the chapters as the package data
``mlpcourse.book``.
"""

import functools
import hashlib
import re
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
        self.checked, self.answers, self.solutions = [], {}, {}
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
                    block = text.split(notebook.BEGIN, 1)[1].split(notebook.END, 1)[0]
                    self.solutions[e["label"]] = _normalise(block)
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
        """Whether one of ``cells`` (code sources) holds this exercise's reference solution
        character for character (long enough that writing it independently is unlikely)."""
        block = self.solutions.get(label, "")
        if len(re.sub(r"\s", "", block)) < 40:
            return False
        return any(block in _normalise(code) for code in cells)


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
