"""Submissions as a learning management system hands them out, read as ``grade`` reads a class.

- **Canvas**'s bulk download ("Download Submissions") is one flat folder of files named
  ``<name>_<user id>_<submission id>_<file>``, with ``LATE_`` before the user id for a late one
  and ``-1``, ``-2``, ... before the extension for a resubmitted file. The student is the Canvas
  user id, the ``ID`` column of Canvas's gradebook export (``export --match ID``); of several
  copies of a chapter, the latest resubmission is graded.
- **Moodle**'s download ("Download all submissions", unzipped) is a folder per participant,
  ``<Full name>_<participant id>_assignsubmission_file_``. The student is ``Participant <id>``,
  the ``Identifier`` column of Moodle's grading worksheet (``export --match Identifier``).

Anything else is the course's own layout: a folder per student, named by the student's id.
"""

__all__ = ["CANVAS", "MOODLE", "layout", "canvas_submissions", "moodle_student", "stem"]

import re
from pathlib import Path

CANVAS = re.compile(r"^(?P<name>[^_/]+)_(?:LATE_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?:file|onlinetext)_?$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)$")  # Canvas's "<stem>-1": the second upload


def _visible(path):
    return not path.name.startswith((".", "__MACOSX"))


def layout(root):
    """"canvas", "moodle" or None (the course's own layout) for the folder ``root``."""
    root = Path(root)
    entries = [p for p in root.iterdir() if _visible(p)]
    files = [p for p in entries if p.is_file() and p.suffix == ".ipynb"]
    folders = [p for p in entries if p.is_dir()]
    if files and not folders and all(CANVAS.match(p.name) for p in files):
        return "canvas"
    if folders and all(MOODLE.match(p.name) for p in folders):
        return "moodle"
    return None


def stem(name):
    """The chapter stem a file's name stands for, Canvas's prefix and resubmission suffix taken off."""
    match = CANVAS.match(name)
    base = Path(match["file"] if match else name).stem
    again = RESUBMITTED.match(base)
    return again["stem"] if again and match else base


def canvas_submissions(root, chapters):
    """({user id: {chapter: path of the latest upload}}, problems) of a Canvas bulk download."""
    found, problems, others = {}, [], []
    for path in sorted(p for p in Path(root).iterdir() if p.is_file() and _visible(p)):
        match = CANVAS.match(path.name)
        if not match or path.suffix != ".ipynb":
            others.append(path.name)
            continue
        chapter = stem(path.name)
        base = Path(match["file"]).stem
        again = RESUBMITTED.match(base)
        upload = int(again["n"]) if again and again["stem"] == chapter else 0
        mine = found.setdefault(match["user"], {})
        if chapter not in chapters:
            others.append(path.name)
        elif chapter not in mine or upload > mine[chapter][0]:
            mine[chapter] = (upload, path)
    if others:
        problems.append(f"Canvas download: skipped {len(others)} file{'s' * (len(others) > 1)} that are no chapter "
                        f"notebook ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})")
    return {user: {c: path for c, (_, path) in mine.items()} for user, mine in found.items()}, problems


def moodle_student(folder_name):
    """``Participant <id>`` for a Moodle download's folder, as its grading worksheet names the student."""
    return f"Participant {MOODLE.match(folder_name)['participant']}"
