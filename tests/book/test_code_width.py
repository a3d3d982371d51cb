"""The chapters' code fits the website's code column: no line of a code cell is longer than the
line length of book/ruff.toml (what the column holds at 1280 px; `ruff format book/` formats to it)."""

import json
import re
from pathlib import Path

import pytest

from mlpcourse.release import toc_entries

ROOT = Path(__file__).resolve().parents[2]
# (read with a pattern: tomllib is Python 3.11+, the course supports 3.10)
LIMIT = int(re.search(r"^line-length\s*=\s*(\d+)", (ROOT / "book" / "ruff.toml").read_text(), re.M)[1])
CHAPTERS = [ROOT / f"{entry}.ipynb" for entry in toc_entries(ROOT) if (ROOT / f"{entry}.ipynb").is_file()]


def long_lines(notebook):
    """[(cell number, line number, length)] for every code line longer than LIMIT."""
    cells = json.loads(notebook.read_text())["cells"]
    found = []
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line_number, line in enumerate(source.split("\n"), 1):
            if len(line) > LIMIT:
                found.append((number, line_number, len(line)))
    return found


def test_the_limit_is_read_from_ruff_toml():
    assert 60 <= LIMIT <= 100


def test_a_long_line_is_found(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    cells = [{"cell_type": "code", "source": ["x = 1\n", "y = '" + "a" * LIMIT + "'"]},
             {"cell_type": "markdown", "source": "b" * (LIMIT + 10)}]
    notebook.write_text(json.dumps({"cells": cells}))
    assert long_lines(notebook) == [(0, 2, LIMIT + 6)]


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_code_lines_fit_the_column(notebook):
    found = long_lines(notebook)
    where = ", ".join(f"cell {c} line {n} ({length})" for c, n, length in found[:12])
    assert not found, (f"{notebook.name}: {len(found)} code lines longer than {LIMIT} characters "
                       f"(ruff format {notebook.relative_to(ROOT)}): {where}")
