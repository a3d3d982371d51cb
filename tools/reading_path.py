"""Keep the chapters' checks out of the reader's way, and measure how much code a reader sees.

A chapter checks every formula, but a reader of the website should meet prose, the code that
teaches, and results. This tool gives every code cell that only checks, glues or sets up the
``hide-input`` tag (MyST-NB shows such a cell's source behind a "Show code cell source"
toggle), and splits the checks off the end of a cell that computes something first into a
cell of their own with that tag:

    python tools/reading_path.py --collapse                  # every chapter in book/
    python tools/reading_path.py --collapse book/05_loss_functions.ipynb
    python tools/reading_path.py --measure _build/html       # visible code per page, built site

A collapsed chapter must be executed again (tools/execute_chapters.py): a split moves outputs.
tests/book/test_reading_path.py holds every chapter to the rule, with ``bookkeeping`` below.
Exercise cells (solutions, stubs and ``check(...)`` cells) are left as they are: a student
must see them.
"""

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIDE = "hide-input"
HIDDEN = {HIDE, "hide-cell", "remove-input", "remove-cell"}

# calls that check or glue (their results go to the page through glue, not through the code)
_CHECKS = re.compile(r"^(?:glue|np\.testing\.\w+|numpy\.testing\.\w+|assert_\w+|sp\.simplify)$")
# calls that only set up (printing options, figure style)
_SETUP = re.compile(r"^(?:np\.set_printoptions|plt\.rcParams\.update|warnings\.\w+|mpmath\.mp\.\w+)$")
# a last expression that shows nothing (others display their value once they end a cell)
_SILENT = re.compile(r"^(?:print|display|plt\.show|glue|np\.testing\.\w+)$")


def _name(node):
    """'np.testing.assert_allclose' for the function of a call, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return ""


def _call(stmt, pattern):
    """A statement that is only a call of a function whose name matches pattern."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    return bool(pattern.match(_name(stmt.value.func)))


def is_check(stmt):
    """An assert, a numpy.testing call, a glue call, or a loop or block made only of those."""
    if isinstance(stmt, ast.Assert) or _call(stmt, _CHECKS):
        return True
    if isinstance(stmt, (ast.For, ast.With)) and not getattr(stmt, "orelse", None):
        return all(is_check(s) for s in stmt.body)
    return False


def is_setup(stmt):
    return isinstance(stmt, (ast.Import, ast.ImportFrom)) or _call(stmt, _SETUP)


def is_exercise(cell):
    source = "".join(cell["source"])
    return "BEGIN SOLUTION" in source or re.search(r"^\s*check\(", source, re.M) or "mlpcourse" in cell["metadata"]


def _statements(cell):
    source = "".join(cell["source"])
    if cell["cell_type"] != "code" or not source.strip() or re.search(r"^\s*[%!]", source, re.M):
        return None, source
    try:
        return ast.parse(source).body, source
    except SyntaxError:
        return None, source


def bookkeeping(cell):
    """'hide' if the cell only checks, glues or sets up; 'split' if it ends with checks after
    code that teaches (the checks can move to a cell of their own); None otherwise."""
    if cell["cell_type"] != "code" or is_exercise(cell):
        return None
    body, _ = _statements(cell)
    if not body:
        return None
    if all(is_check(s) or is_setup(s) for s in body):
        return "hide"
    tail = 0
    while tail < len(body) and is_check(body[len(body) - 1 - tail]):
        tail += 1
    if not tail:
        return None
    last = body[len(body) - 1 - tail]
    # the code left behind must not start showing a value it did not show before
    if isinstance(last, ast.Expr) and not (isinstance(last.value, ast.Call) and _SILENT.match(_name(last.value.func))):
        return None
    return "split"


def split(cell):
    """The cell cut in two before its trailing checks (with the comment lines just above them)."""
    body, source = _statements(cell)
    first = len(body)
    while first and is_check(body[first - 1]):
        first -= 1
    lines = source.splitlines(keepends=True)
    cut = body[first].lineno - 1
    while cut and lines[cut - 1].lstrip().startswith("#"):
        cut -= 1
    teach = "".join(lines[:cut]).rstrip("\n")
    checks = "".join(lines[cut:]).strip("\n")
    # nbval's markers (a timing cell's NBVAL_IGNORE_OUTPUT) hold for the checks' outputs too
    markers = [line for line in lines[:cut] if re.match(r"\s*#\s*NBVAL_", line)]
    checks = "".join(markers) + checks
    head = dict(cell, source=teach, outputs=[], execution_count=None)
    tail = {
        "id": f"{cell.get('id', 'cell')}-checks"[:64],
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": [HIDE]},
        "outputs": [],
        "source": checks,
    }
    return head, tail


def collapse(path):
    """Tag and split the bookkeeping cells of one chapter; how many cells were hidden and split."""
    nb = json.loads(path.read_text())
    cells, hidden, splits = [], 0, 0
    for cell in nb["cells"]:
        kind = bookkeeping(cell)
        if kind == "hide" and not HIDDEN & set(cell["metadata"].get("tags", [])):
            cell["metadata"].setdefault("tags", []).append(HIDE)
            hidden += 1
        if kind == "split":
            head, tail = split(cell)
            cells += [head, tail]
            splits += 1
        else:
            cells.append(cell)
    nb["cells"] = cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return hidden, splits


def measure(html_root):
    """Per chapter page: characters of prose, of code a reader sees, and of code behind a toggle."""
    from bs4 import BeautifulSoup

    rows = []
    for page in sorted((Path(html_root) / "book").glob("*.html")):
        if not re.match(r"\d\d_|appendix", page.name):
            continue
        soup = BeautifulSoup(page.read_text(), "html.parser")
        article = soup.find("article") or soup
        shown = hidden = 0
        for code in article.select("div.cell_input"):
            n = len(code.get_text())
            if code.find_parent("details"):
                hidden += n
            else:
                shown += n
        for cell in article.select("div.cell"):
            cell.decompose()
        prose = len(article.get_text(" ", strip=True))
        rows.append((page.stem, prose, shown, hidden))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collapse", nargs="*", type=Path, metavar="NOTEBOOK")
    parser.add_argument("--measure", type=Path, metavar="HTML_ROOT")
    args = parser.parse_args(argv)
    if args.collapse is not None:
        for path in args.collapse or sorted((ROOT / "book").glob("*.ipynb")):
            hidden, splits = collapse(path)
            print(f"{path.name}: {hidden} cells hidden, {splits} split")
    if args.measure:
        rows = measure(args.measure)
        print(f"{'page':32} {'prose':>7} {'code shown':>10} {'hidden':>7} {'shown share':>11}")
        for name, prose, shown, hidden in rows:
            print(f"{name:32} {prose:7} {shown:10} {hidden:7} {shown / (prose + shown):11.0%}")
        prose, shown, hidden = (sum(r[i] for r in rows) for i in (1, 2, 3))
        print(f"{'all chapters':32} {prose:7} {shown:10} {hidden:7} {shown / (prose + shown):11.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
