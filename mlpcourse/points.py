"""What each exercise is worth: by default its stars (★ = 1, ★★ = 2, ★★★ = 3), or what a
points file says (``grade --points FILE``: a CSV with the columns ``exercise,points``, one
row per exercise to change; the others keep their stars' worth).

A student earns an exercise's points when its status passes (:func:`mlpcourse.statuses.passes`).
Written exercises are graded by hand, so they are in neither the points earned nor the
points possible: the instructor adds them (``written.html`` lists the answers).
"""

__all__ = ["PointsFileError", "table", "score"]

import csv
import math
from pathlib import Path

from . import course
from .statuses import passes


class PointsFileError(ValueError):
    """The points file cannot be read, or names an exercise the chapters do not have."""


def table(chapters, path=None):
    """{(chapter, label): points} for every exercise of ``chapters``: its stars, or the points file's."""
    points = {(c, label): float(stars) for c in chapters for label, stars in course.chapter(c).stars.items()}
    if path is None:
        return points
    where = {label: c for c, label in points}
    try:
        with open(Path(path), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise PointsFileError(f"cannot read the points file {path}: {exc.strerror}") from None
    if not rows or {"exercise", "points"} - set(rows[0]):
        raise PointsFileError(f"the points file {path} needs the columns exercise,points (a header line, then "
                              "one exercise label and its points per line)")
    unknown = []
    for n, row in enumerate(rows, start=2):
        label = (row["exercise"] or "").strip()
        try:
            value = float(row["points"])
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise PointsFileError(f"{path}, line {n}: the points of {label} must be a number >= 0, "
                                  f"got {row['points']!r}")
        if label not in where:
            unknown.append(label)
        else:
            points[(where[label], label)] = value
    if unknown:
        raise PointsFileError(f"{path} names exercises that the graded chapters do not have: "
                              f"{', '.join(unknown)}")
    return points


def score(chapter, result, points):
    """(points earned, points possible) of one chapter's :class:`mlpcourse.submission.Result`: the checked
    exercises only (a written one is graded by hand)."""
    checked = set(course.chapter(chapter).checked)
    rows = [row for row in result.rows if row.exercise in checked]
    earned = sum(points[(chapter, row.exercise)] for row in rows if passes(row.status))
    return earned, sum(points[(chapter, label)] for label in checked)
