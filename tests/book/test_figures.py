"""Every figure of the book has alt text: a screen reader must read a description, not the hashed
file name of the image ("../_images/91677....png"), which is what the site shows without one.

MyST-NB takes the alt text of a code cell's image outputs from the cell's metadata,
``"mystnb": {"image": {"alt": "..."}}``; one alt serves every image output of the cell. The test
is parametrized by notebook, so ``-k`` can select or leave out chapters by name or number."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

NOTEBOOKS = sorted(p for p in BOOK.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "image/gif")
MIN_LENGTH = 40
# what an alt that is really a file name or path looks like
PATH_LIKE = re.compile(r"\.(png|svg|jpe?g|gif)\b|/_images/", re.IGNORECASE)


def figure_cells(path):
    """(index, number of image outputs, alt or None) of each code cell that outputs an image."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        images = sum(1 for out in cell.get("outputs", []) for kind in IMAGE_TYPES if kind in out.get("data", {}))
        if images:
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
            cells.append((index, images, alt))
    return cells


def alt_problem(alt):
    """Why an alt text is not a description, or None if it is one."""
    if not isinstance(alt, str) or not alt.strip():
        return 'no metadata "mystnb": {"image": {"alt": ...}}'
    if len(alt.strip()) < MIN_LENGTH:
        return f"alt text shorter than {MIN_LENGTH} characters: {alt!r}"
    if PATH_LIKE.search(alt) or not re.search(r"\s", alt.strip()):
        return f"alt text looks like a file path: {alt!r}"
    return None


def test_the_book_has_figures():
    # guards the test below against finding nothing at all (a renamed folder, a changed format)
    assert sum(len(figure_cells(p)) for p in NOTEBOOKS) > 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_has_a_description(path):
    problems = []
    seen = {}
    for index, images, alt in figure_cells(path):
        where = f"cell {index} ({images} image{'s' if images > 1 else ''})"
        problem = alt_problem(alt)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        key = " ".join(alt.split()).casefold()
        if key in seen:
            problems.append(f"{where}: same alt text as cell {seen[key]}")
        else:
            seen[key] = index
    assert not problems, f"{path.name}: figures without a real description:\n  " + "\n  ".join(problems)
