"""How a chapter's exercises sit in its notebook.

An exercise is a markdown cell with a ``{exercise}`` directive and a ``:label:``.
Its reference solution is a code cell whose code stands between the nbgrader
markers ``### BEGIN SOLUTION`` and ``### END SOLUTION``, inside the gated
``{solution-start} <label>`` ... ``{solution-end}`` markdown cells. An exercise
that is checked automatically has a code cell ``check("<label>", answer)``.

Each rule about where things are is defined here once: the stub that ``release``
writes and how a stub is recognised (:func:`stub_line`, :func:`is_stub`), how a
check cell is recognised (:func:`check_calls`), and how a chapter's notebook is
found in a folder (:func:`chapter_notebooks`).
"""

import ast
import re
import threading
import unicodedata
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_PARSE = threading.Lock()


def parse_code(source):
    """``ast.parse(source)``, one thread at a time. The class grader grades notebooks in
    threads, and CPython 3.11 before 3.11.9 can fail two ``ast.parse`` calls that run at
    once with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905),
    as ``grade --jobs 2`` and more would. The lock can go once every Python the course
    supports has the fix."""
    with _PARSE:
        return ast.parse(source)
EXERCISE = re.compile(r"\{exercise\}[^\n]*\n(?:[ \t]*:[\w-]+:[^\n]*\n)*?[ \t]*:label:[ \t]*(\S+)")
TITLED = re.compile(r"\{exercise\}([^\n]*)\n(?:[ \t]*:[\w-]+:[^\n]*\n)*?[ \t]*:label:[ \t]*(\S+)")
STAR = "\u2605"  # an exercise's title ends in its difficulty: one to three stars
SOLUTION_START = re.compile(r"\{solution-start\}[ \t]+(\S+)")
SOLUTION_END = re.compile(r"\{solution-end\}")


def stub_line(label):
    """The line that stands for exercise ``label``'s solution in the student version."""
    return f'raise NotImplementedError("exercise {label}: replace this line with your solution")'


def is_stub(code, label):
    """Whether the code cell ``code`` still holds the stub of exercise ``label``."""
    return f"exercise {label}: replace this line" in code


def may_call_check(code):
    """Whether the text of a code cell can hold a call of ``check`` at all: the name's letters are in
    it, in the NFKC form in which Python reads names (a cell without them needs no syntax tree walked)."""
    return "check" in unicodedata.normalize("NFKC", code)


def check_calls(code):
    """[(label, answer name or None)]: every ``check("<label>", <name>)`` call in a code cell,
    read from its syntax tree (a commented-out call is no call; a cell that does not parse has none).
    ``code`` is the cell's source, or its tree when the caller has parsed it already."""
    if isinstance(code, str):
        if not may_call_check(code):
            return []
        try:
            code = parse_code(code)
        except SyntaxError:
            return []
    calls = []
    for node in ast.walk(code):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            name = node.args[1].id if len(node.args) == 2 and isinstance(node.args[1], ast.Name) else None
            calls.append((node.args[0].value, name))
    return calls


MACOS_FOLDER = "__MACOSX"  # what macOS's zip adds: AppleDouble files "._<name>" of every file, no notebooks
BROWSER_COPY = re.compile(r"^(?P<stem>.+) \((?P<n>\d+)\)$")  # "<stem> (1)": a browser's second download


def is_skipped(path, folder):
    """Whether ``path`` below ``folder`` is never a notebook to check: in a hidden folder (Jupyter's
    checkpoints), in macOS's ``__MACOSX`` folder, or an AppleDouble file ``._<name>``."""
    parts = Path(path).relative_to(folder).parts
    return any(part.startswith(".") or part == MACOS_FOLDER for part in parts)


def chapter_notebooks(folder, chapter):
    """Every ``<chapter>.ipynb`` below ``folder`` at any depth (:func:`is_skipped` files left out), the
    shallowest first: the first is the one that is checked or graded. Where there is none, the copies a
    browser saved as ``<chapter> (N).ipynb``, the shallowest and then the latest (highest N) first; the
    caller tells them by their name and asks for the file to be renamed."""
    folder = Path(folder)
    paths = [p for p in folder.rglob(f"{chapter}.ipynb") if p.is_file() and not is_skipped(p, folder)]
    if paths:
        return sorted(paths, key=lambda p: (len(p.parts), str(p)))
    copies = []
    for p in folder.rglob(f"{chapter} (*).ipynb"):
        match = BROWSER_COPY.match(p.stem)
        if match and match["stem"] == chapter and p.is_file() and not is_skipped(p, folder):
            copies.append((len(p.parts), -int(match["n"]), str(p), p))
    return [p for *_, p in sorted(copies)]


class NotACourseNotebook(ValueError):
    """The file is not a notebook, or holds no exercise of this course."""


def read(path):
    """The notebook at ``path``; NotACourseNotebook if it is not a notebook at all."""
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise NotACourseNotebook(f"{path}: no such file") from None
    except Exception as exc:  # JSON errors, schema errors, binary files
        raise NotACourseNotebook(f"{path} is not a Jupyter notebook ({type(exc).__name__}: {exc})") from None


def source(cell):
    """A cell's source as one string (a notebook may store it as a list of lines)."""
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


ROLES = ("solution", "check", "written", "exercise")
WRITTEN_PLACEHOLDER = "*Write your answer here, in place of this line. It is graded by hand.*"


def tag(cell):
    """The role a released cell was stamped with, or None: ("solution" | "check" | "written" |
    "exercise", label): a stub, a check cell, the Markdown cell of a written answer, or the
    statement of an exercise rendered as plain Markdown."""
    meta = cell.get("metadata", {}).get("mlpcore", {})
    for role in ROLES:
        if isinstance(meta, dict) and role in meta:
            return role, meta[role]
    return None


def exercise_stars(cell):
    """{label: number of stars at the end of its title} of the ``{exercise}`` blocks a Markdown cell states
    (a title without stars gives 0)."""
    if cell.get("cell_type") != "markdown":
        return {}
    return {label: len(title.rstrip()) - len(title.rstrip().rstrip(STAR)) for title, label in
            TITLED.findall(source(cell))}


def exercise_labels(cell):
    """The labels of the exercises a Markdown cell states: ``{exercise}`` directives with a
    ``:label:`` (the book's MyST) or the stamp of a statement that release rendered as Markdown."""
    if cell.get("cell_type") != "markdown":
        return []
    labels = EXERCISE.findall(source(cell))
    stamped = tag(cell)
    if stamped and stamped[0] == "exercise" and stamped[1] not in labels:
        labels.append(stamped[1])
    return labels


def written_cell_source(label, number):
    """The Markdown answer cell that release writes for written exercise ``label`` (its number, "6.7")."""
    return f"**Your answer to Exercise {number}** (`{label}`)\n\n{WRITTEN_PLACEHOLDER}"


def written_answers(nb):
    """{label: the student's text, or None while the released placeholder stands}: every Markdown
    cell stamped as the answer to a written exercise (the heading line release wrote left out)."""
    answers = {}
    for cell in nb.cells:
        stamped = tag(cell)
        if cell.cell_type != "markdown" or not stamped or stamped[0] != "written":
            continue
        lines = source(cell).strip().splitlines()
        if lines and lines[0].startswith("**Your answer to Exercise"):
            lines = lines[1:]
        text = "\n".join(lines).replace(WRITTEN_PLACEHOLDER, "").strip()
        answers[stamped[1]] = answers.get(stamped[1]) or text or None
    return answers


def structure(nb):
    """Exercises of a notebook, in order: a list of dicts with the label, the index of
    its solution cell (or None) and of its check cell (or None)."""
    exercises, by_label, current = [], {}, None
    for i, cell in enumerate(nb.cells):
        text = source(cell)
        if cell.cell_type == "markdown":
            for label in exercise_labels(cell):
                entry = {"label": label, "solution": None, "check": None, "cell": i}
                exercises.append(entry)
                by_label[label] = entry
                current = label
            for label in SOLUTION_START.findall(text):
                current = label
            continue
        if cell.cell_type != "code":
            continue
        stamped = tag(cell)
        if BEGIN in text or (stamped and stamped[0] == "solution"):
            label = stamped[1] if stamped else current
            if label in by_label and by_label[label]["solution"] is None:
                by_label[label]["solution"] = i
        for label, _ in check_calls(text):
            if label in by_label and by_label[label]["check"] is None:
                by_label[label]["check"] = i
            elif label not in by_label:  # a check whose exercise text was deleted
                entry = {"label": label, "solution": None, "check": i, "cell": None}
                exercises.append(entry)
                by_label[label] = entry
    return exercises


def stub(text, label, value_name=None):
    """``text`` with every solution block replaced by a line raising NotImplementedError. For an
    exercise whose answer is a value (``value_name``, the name its check reads), the stub first sets
    that name to ``NotImplemented``: the check cell, run after the stub raised, says "not attempted"
    rather than raising NameError."""
    out, inside = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise ValueError(f"exercise {label}: '{BEGIN}' twice without '{END}'")
            indent = line[: len(line) - len(line.lstrip())]
            if value_name:
                out.append(f"{indent}{value_name} = NotImplemented  # your answer's value goes here")
            out.append(indent + stub_line(label))
            inside = True
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"exercise {label}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"exercise {label}: '{BEGIN}' without '{END}'")
    return "\n".join(out)
