"""The book's exercises counted by difficulty (stars) and by the length of their reference solution.

    python tools/exercise_inventory.py            # the counts
    python tools/exercise_inventory.py --list     # and every exercise, one line each

The stars are the end of the exercise's title (★, ★★ or ★★★; tests/book/test_book.py requires
them). A solution's length is its code lines between ``### BEGIN SOLUTION`` and ``### END
SOLUTION``, blank lines and comments left out; a written exercise (no checked code) counts as
"written". The counts say where the exercises are thin: an exercise whose reference solution is
two lines asks the reader to apply a formula, not to build or to experiment.
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mlpcourse.notebook import BEGIN, END, source, structure  # noqa: E402

TITLE = re.compile(r"^`{3,}\{exercise\}[ \t]*([^\n]*)\n:label: (\S+)", re.M)
BUCKETS = [(2, "1-2 lines"), (5, "3-5 lines"), (15, "6-15 lines"), (10**9, "16 lines or more")]


def solution_lines(code):
    """Code lines between the solution markers, without blank lines and comments."""
    lines, inside = [], False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            inside = True
        elif stripped.startswith(END):
            inside = False
        elif inside and stripped and not stripped.startswith("#"):
            lines.append(line)
    return len(lines)


def inventory(book=ROOT / "book"):
    """(chapter, label, stars, solution lines or None for a written exercise) for every exercise."""
    rows = []
    for path in sorted(book.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        stars = {label: title.count("★") for cell in nb.cells for title, label in TITLE.findall(source(cell))}
        for entry in structure(nb):
            if entry["cell"] is None:
                continue
            cell = entry["solution"]
            length = solution_lines(source(nb.cells[cell])) if cell is not None and entry["check"] is not None else None
            rows.append((path.stem, entry["label"], stars.get(entry["label"], 0), length))
    return rows


def bucket(length):
    if length is None:
        return "written"
    return next(name for top, name in BUCKETS if length <= top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="every exercise, one line each")
    args = parser.parse_args(argv)
    rows = inventory()
    if args.list:
        for chapter, label, stars, length in rows:
            print(f"{chapter:32} {label:36} {'★' * stars:4} {bucket(length):17} {'' if length is None else length}")
    by_stars = Counter("★" * stars for _, _, stars, _ in rows)
    by_length = Counter(bucket(length) for *_, length in rows)
    print(f"{len(rows)} exercises, {sum(length is not None for *_, length in rows)} checked with code")
    print("by stars:  " + ", ".join(f"{s} {by_stars[s]}" for s in ("★", "★★", "★★★")))
    order = [name for _, name in BUCKETS] + ["written"]
    print("by length: " + ", ".join(f"{name} {by_length[name]}" for name in order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
