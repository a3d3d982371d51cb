"""The reading path: the chapters' checks stay in the notebooks, out of the reader's way.

A code cell that only checks, glues or sets up is collapsed on the website (the ``hide-input``
tag), and no cell that a reader sees ends with checks that could sit in a collapsed cell of
their own (tools/reading_path.py does both; its ``bookkeeping`` decides).
"""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("reading_path", ROOT / "tools" / "reading_path.py")
reading_path = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reading_path)

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_checks_are_collapsed(path):
    cells = json.loads(path.read_text())["cells"]
    shown = []
    for i, cell in enumerate(cells):
        kind = reading_path.bookkeeping(cell)
        tags = set(cell["metadata"].get("tags", []))
        if kind == "split" or (kind == "hide" and not tags & reading_path.HIDDEN):
            shown.append(f"cell {i} ({kind}): {''.join(cell['source'])[:80]!r}")
    assert not shown, (
        f"{path.name}: checks shown to the reader (python tools/reading_path.py --collapse {path.relative_to(ROOT)}, "
        "then execute the chapter again):\n  " + "\n  ".join(shown)
    )


def test_the_rule_sees_checks_and_spares_teaching_code():
    def cell(source, tags=()):
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source, "outputs": []}

    assert reading_path.bookkeeping(cell("import numpy as np\nfrom myst_nb import glue\n")) == "hide"
    assert reading_path.bookkeeping(cell('glue("a", 1, display=False)\nassert a == 1\n')) == "hide"
    ends_with_checks = 'y = f(x)\nprint(y)\n# the printed value\nnp.testing.assert_allclose(y, 0.5)\nglue("y", y)\n'
    assert reading_path.bookkeeping(cell(ends_with_checks)) == "split"
    head, tail = reading_path.split(cell(ends_with_checks))
    assert head["source"] == "y = f(x)\nprint(y)"
    assert tail["source"].startswith("# the printed value\nnp.testing") and tail["metadata"]["tags"] == ["hide-input"]
    # a value that would start to display once its cell ends there stays with its checks
    assert reading_path.bookkeeping(cell("history = net.fit(X, Y)\nhistory.loss[-1]\nassert ok\n")) is None
    assert reading_path.bookkeeping(cell("y = f(x)\nprint(y)\n")) is None
    assert reading_path.bookkeeping(cell('check("ex-1", answer)\n')) is None  # an exercise's check stays
    assert reading_path.bookkeeping(cell("### BEGIN SOLUTION\nassert True\n### END SOLUTION\n")) is None
