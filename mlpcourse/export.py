"""``python -m mlpcourse export``: a gradebook's points in the form a learning management
system imports, matched to the roster exported from it.

- ``canvas``: Canvas's gradebook import. The columns ``Student, ID, SIS User ID, SIS Login
  ID, Section`` copied from the roster (Canvas's own export), then one column per chapter,
  named as the roster names that assignment (``<chapter> (<id>)``) or by the chapter, and a
  ``Points Possible`` row under the header.
- ``moodle``: Moodle's grade import. The identity column (the one ``--match`` names), then
  per chapter its points and a feedback column (``<chapter> feedback``) to map to that grade
  item's feedback in Moodle's import form.
- ``csv``: the student's id, the points of each chapter, then ``total`` and ``possible``.

A row is one roster student, in the roster's order; the match is the roster column whose
values are the gradebook's student ids (``--match``). A student of the gradebook who is not in
the roster, or one of the roster who is not in the gradebook, is listed, never dropped
silently: the first is left out of an LMS file (the LMS would refuse the row) and named on
the screen; the second gets empty cells (Canvas and Moodle leave an empty grade unchanged).
The points come from the gradebook's ``summary.csv`` (``grade --points``).
"""

__all__ = ["ExportError", "FORMATS", "MATCH", "export"]

import csv
from pathlib import Path

from .statuses import FAILING, NOT_ATTEMPTED, passes

FORMATS = ("canvas", "moodle", "csv")
MATCH = {"canvas": "SIS Login ID", "moodle": "ID number", "csv": "student"}  # the default --match
CANVAS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class ExportError(ValueError):
    """The gradebook or the roster cannot be exported as asked: the message says why."""


def _read(path, what):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # a spreadsheet's BOM is not a column name
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), list(reader)
    except OSError as exc:
        raise ExportError(f"cannot read {what} {path}: {exc.strerror}") from None


def _gradebook(folder):
    """(students, chapters, {(student, chapter): summary row}, {(student, chapter): [grades rows]})."""
    folder = Path(folder)
    if not (folder / "summary.csv").is_file():
        raise ExportError(f"{folder} holds no summary.csv: is it the --out folder of `grade` or `merge`?")
    columns, summary = _read(folder / "summary.csv", "the summary")
    if not {"points", "possible"} <= set(columns):
        raise ExportError(f"{folder / 'summary.csv'} has no points: it was written by an older grader; run the "
                          "same `grade` command again to export it anew")
    _, grades = _read(folder / "grades.csv", "the grades")
    students = list(dict.fromkeys(r["student"] for r in summary))
    chapters = list(dict.fromkeys(r["chapter"] for r in summary))
    rows = {}
    for r in grades:
        rows.setdefault((r["student"], r["chapter"]), []).append(r)
    return students, chapters, {(r["student"], r["chapter"]): r for r in summary}, rows


def _roster(path, match):
    """The roster's columns and its student rows (Canvas's own ``Points Possible`` and muted rows skipped)."""
    columns, rows = _read(path, "the roster")
    if match not in columns:
        raise ExportError(f"the roster {path} has no column {match!r} to match the gradebook's student ids with; "
                          f"its columns: {', '.join(columns)}. Name one with --match")
    first = columns[0]
    rows = [r for r in rows if not (r.get(first) or "").strip().startswith(("Points Possible", "Muted"))]
    ids = [(r.get(match) or "").strip() for r in rows]
    twice = sorted({i for i in ids if i and ids.count(i) > 1})
    if twice:
        raise ExportError(f"the roster {path} holds {', '.join(twice)} more than once in column {match!r}")
    return columns, rows


def _feedback(rows, summary):
    """One line for the LMS: the chapter's checked exercises passed, the points, what failed."""
    checked = [r for r in rows if r["status"] != "written" and r["exercise"]]
    passed = sum(passes(r["status"]) for r in checked)
    failed = [r["exercise"] for r in checked if r["status"] in FAILING]
    todo = [r["exercise"] for r in checked if r["status"] == NOT_ATTEMPTED]
    text = f"{passed} checked exercises passed; {summary['points']} of {summary['possible']} points"
    if failed:
        text += f"; failed: {', '.join(failed)}"
    if todo:
        text += f"; not attempted: {', '.join(todo)}"
    return text


def export(folder, fmt, roster=None, match=None, out=None):
    """Write the gradebook in ``folder`` as ``fmt`` ("canvas", "moodle" or "csv") to ``out`` (default
    ``folder/export-<fmt>.csv``); return (the path written, the gradebook's students not in the roster,
    the roster's students not in the gradebook)."""
    if fmt not in FORMATS:
        raise ExportError(f"the format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if roster is None and fmt != "csv":
        raise ExportError(f"{fmt} needs the roster exported from it (--roster FILE), to match its students")
    match = match or MATCH[fmt]
    students, chapters, summary, grades = _gradebook(folder)
    if roster is None:
        columns, people = [], [{match: s} for s in students]
    else:
        columns, people = _roster(roster, match)
    by_id = {(p.get(match) or "").strip(): p for p in people}
    not_in_roster = [s for s in students if s not in by_id]
    not_graded = [i for i in by_id if i not in set(students)]

    def points(student, chapter, key="points"):
        return summary[(student, chapter)][key] if (student, chapter) in summary else ""

    if fmt == "canvas":
        names = {c: next((col for col in columns if col == c or col.startswith(f"{c} (")), c) for c in chapters}
        header = CANVAS + [names[c] for c in chapters]
        possible = {c: max((float(summary[(s, c)]["possible"]) for s in students if (s, c) in summary), default=0)
                    for c in chapters}
        table = [header, ["Points Possible", *[""] * (len(CANVAS) - 1), *(f"{possible[c]:g}" for c in chapters)]]
        for i, person in by_id.items():
            table.append([person.get(col, "") for col in CANVAS] + [points(i, c) for c in chapters])
    elif fmt == "moodle":
        header = [match] + [col for c in chapters for col in (c, f"{c} feedback")]
        table = [header]
        for i in by_id:
            row = [i]
            for c in chapters:
                known = (i, c) in summary
                row += [points(i, c), _feedback(grades.get((i, c), []), summary[(i, c)]) if known else ""]
            table.append(row)
    else:
        table = [["student", *chapters, "total", "possible"]]
        for i in by_id:
            known = [c for c in chapters if (i, c) in summary]
            total = sum(float(points(i, c)) for c in known)
            possible = sum(float(points(i, c, "possible")) for c in known)
            table.append([i, *(points(i, c) for c in chapters), f"{total:g}" if known else "",
                          f"{possible:g}" if known else ""])
    out = Path(out) if out else Path(folder) / f"export-{fmt}.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(table)
    return out, not_in_roster, not_graded
