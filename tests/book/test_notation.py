"""One symbol per quantity: the reserved symbols of book/notation.md are not used for anything else.

The table "Reserved symbols" on the notation page lists each reserved symbol, its one meaning
and what it must not be used for. FORBIDDEN below gives, for each symbol of that table, regular
expressions that detect those other uses in the prose and math of a chapter. The test reads the
table, insists that every row has its patterns here (and no pattern belongs to a symbol the
table does not list), and searches every markdown cell of book/*.ipynb and every book/*.md but
the notation page itself.

Quotations may keep a source's symbols: text between quotation marks and blockquote lines is
not searched. So is a symbol written right after a source's name ("the notes' $L$",
"Seung's $H$"), the one sentence in which a chapter translates the source's symbol into ours.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
NOTATION = BOOK / "notation.md"

# A letter that stands alone (not part of a command such as \lambda, a word, or a subscript).
_ALONE = r"(?<![\w\\{^])"
_NOT_MATHCAL = r"(?<!\\mathcal )(?<!\\mathcal)"

# For each reserved symbol (the LaTeX of the table's first column), the forbidden uses.
FORBIDDEN = {
    "L": [
        # the loss written L; the book's loss is \mathcal L (and L the number of layers)
        r"\\partial\s*L\b",
        r"\\nabla\s*L\b",
        _ALONE + _NOT_MATHCAL + r"L\s*\((?!\s*\))",
        _ALONE + _NOT_MATHCAL + r"L\s*=\s*[(\\-]",
        r"\bloss(?:es)?\s+(?:function\s+)?\$L\$",
    ],
    r"\mathcal L": [
        # the number of layers written as the loss symbol
        r"\\mathcal\s*\{?L\}?\$-layer",
        r"layers?\s+of\s+weights[^.$]{0,20}\$\\mathcal\s*\{?L\b",
    ],
    r"\delta^l": [
        # another name for dL/dz^l (e.g. chapter 10's former g^l = dE/dz^l)
        _ALONE
        + r"(?!\\delta)(?!\\mu)(?:[A-Za-z]|\\[a-z]+)\^\{?[lL][^$=]{0,12}=\s*\\partial\s*(?:E|\\mathcal\s*L|\\ell\w*)\s*/\s*\\partial\s*z",
        # a delta with the opposite sign (Seung's) under the book's name
        r"\\delta\^\{?[\w-]+\}?(?:_\w)?\s*=\s*-\s*\\(?:partial|frac\s*\{\s*\\partial)",
    ],
    "H": [
        # the Hessian written H
        r"[Hh]essian(?!\s+of\s+\$\\?\w*\s*H\$)(?:\s+matrix)?[^.$]{0,80}\$[^$]*?" + _ALONE + r"H(?![\w])",
        _ALONE + r"H\s*=\s*\\nabla\^?\s*\{?2",
        r"[Ee]igen\w*\s+of\s+\$H\$",
        # the Heaviside step written H
        _ALONE + r"H\(\s*\w\s*\)\s*=\s*[01]\b",
        r"Heaviside[^.]{0,80}?\$[^$]*?" + _ALONE + r"H(?![\w])",
        # the entropy written H
        r"[Ee]ntropy\**[^.]{0,120}?" + _ALONE + r"H\s*\(",
        _ALONE + r"H\s*\(\s*\\hat",
    ],
    "g": [
        # gradients and deltas written g (g is the gain); Kekulawala's map g(x) is attributed to him
        _ALONE + r"g\^\{?[lL]",
        _ALONE + r"g_",
        r"\\bar\s*\{?g\b",
        r"\\(?:mathbf|boldsymbol|vec)\s*\{?g\b",
    ],
    r"\lambda^l": [
        # eigenvalues (or anything else with a subscript only) written lambda
        r"\\lambda_",
        r"[Ee]igen\w*[^.]{0,60}?\\lambda\b",
    ],
    r"\mu^l": [
        r"\\mu\s*_",
        r"\\nu\s*_",
        r"\bmean\s+\$\\mu\$",
    ],
    r"\nabla^2\mathcal L": [
        # the Hessian under another letter
        r"[Hh]essian\s+\$(?!\\nabla\^2)",
        r"\\mathbf\s*\{?H\b",
    ],
    r"c_\max": [
        # the largest eigenvalue under another name
        r"\\(?:lambda|rho|sigma|mu)_\s*\{?\\?max",
    ],
    r"\operatorname{step}": [
        r"\\Theta\s*\(",
        _ALONE + r"H\(\s*\w\s*\)\s*=\s*[01]\b",
    ],
    r"\nabla\ell_n": [
        _ALONE + r"g_\{?n\b",
        r"\\(?:mathbf|boldsymbol)\s*\{?g\}?_\{?n\b",
    ],
    r"\operatorname{entropy}": [
        r"[Ee]ntropy\**[^.$]{0,120}\$\$?\s*(?!\\operatorname\{entropy\})\\?[A-Za-z]\s*\(",
    ],
}

# "the notes' $L$", "Seung's Hamiltonian $H$": a source's symbol, named as the source's.
ATTRIBUTION = re.compile(r"(?:notes'|Seung's|Keim's|Mazur's|Kekulawala's|Vishwajith's)\s+(?:[\w-]+\s+){0,3}\$*\s*$")


def reserved_table():
    """Rows (symbol, meaning, not to be used for) of the notation page's "Reserved symbols" table."""
    text = NOTATION.read_text()
    section = re.search(r"^## Reserved symbols\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "book/notation.md has no section '## Reserved symbols'"
    rows = []
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 3 or set(cells[0]) <= set("-: ") or cells[0] == "symbol":
            continue
        symbol = re.match(r"\$([^$]+)\$", cells[0])
        assert symbol, f"reserved-symbol row without a $symbol$ in its first column: {line}"
        rows.append((symbol.group(1).strip(), cells[1], cells[2]))
    return rows


def mask(text, pattern, flags=0):
    """Blank out every match of pattern, keeping the length and the line breaks."""
    return re.sub(pattern, lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=flags)


def searchable(text):
    """The text with inline code, quotations and blockquotes blanked out (positions unchanged)."""
    text = mask(text, r"(?<!`)`[^`\n]+`(?!`)")  # inline code and roles' targets
    text = mask(text, r"^\s*>.*$", re.M)  # blockquotes
    text = mask(text, r"“[^”]{0,600}”")
    text = mask(text, r"\"(?:[^\"\n]|\n(?!\s*\n)){0,600}\"")  # "...", not across a blank line
    return text


def math_start(text, pos):
    """Where the math span containing pos starts (pos itself if pos is not in math)."""
    before = text[:pos]
    display = before.count("$$")
    if display % 2:
        return before.rfind("$$")
    inline = before.replace("$$", "").count("$")
    return before.rfind("$") if inline % 2 else pos


def sources():
    """(file, cell label, markdown text) for every chapter's prose, notation.md excepted."""
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield path.name, f"cell {i}", "".join(cell["source"])
    for path in sorted(BOOK.glob("*.md")):
        if path != NOTATION:
            yield path.name, "", path.read_text()


def violations(text, patterns):
    clean = searchable(text)
    found = []
    for symbol, regexes in patterns.items():
        for regex in regexes:
            for m in re.finditer(regex, clean):
                start = math_start(clean, m.start())
                if ATTRIBUTION.search(clean[max(0, start - 60) : start]):
                    continue
                line = text.count("\n", 0, m.start()) + 1
                snippet = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
                found.append(f"line {line}: reserved ${symbol}$ misused (/{regex}/): ...{snippet}...")
    return found


def test_table_lists_the_reserved_symbols():
    symbols = [row[0] for row in reserved_table()]
    for required in [
        "L",
        r"\mathcal L",
        r"\delta^l",
        "H",
        "g",
        r"\lambda^l",
        r"\nabla^2\mathcal L",
        r"\operatorname{step}",
        r"c_\max",
    ]:
        assert required in symbols, f"the reserved-symbol table of book/notation.md lacks ${required}$"
    assert len(symbols) == len(set(symbols)), f"a symbol is listed twice: {symbols}"
    for symbol, meaning, _ in reserved_table():
        assert meaning, f"${symbol}$ has no meaning in the reserved-symbol table"


def test_every_reserved_symbol_has_patterns():
    symbols = {row[0] for row in reserved_table()}
    assert symbols == set(FORBIDDEN), (
        f"the table and FORBIDDEN disagree: only in the table {sorted(symbols - set(FORBIDDEN))}, "
        f"only in the test {sorted(set(FORBIDDEN) - symbols)}"
    )
    for symbol, regexes in FORBIDDEN.items():
        assert regexes, f"${symbol}$ has no forbidden-use patterns"
        for regex in regexes:
            re.compile(regex)


SOURCES = list(sources())


@pytest.mark.parametrize("name,cell,text", SOURCES, ids=[f"{n}:{c}" if c else n for n, c, _ in SOURCES])
def test_reserved_symbols_keep_their_meaning(name, cell, text):
    found = violations(text, FORBIDDEN)
    where = f"{name} {cell}".strip()
    assert not found, f"{where}:\n  " + "\n  ".join(found)


def test_detector_catches_the_known_collisions():
    """The patterns catch the kinds of misuse the reviewer found, and spare the right uses."""
    bad = [
        "the Hessian $H = \\nabla^2 \\mathcal L$",
        "Let $H(x) = 0$ for $x < 0$",
        "Write $g^l_i = \\partial E / \\partial z^l_i$.",
        "$\\eta < 2/\\lambda_\\max$",
        "the loss $L$ of an $L$-layer network, $\\partial L/\\partial u$",
        "Write $g_n = \\nabla \\ell_n(\\theta)$",
        "we use the **entropy** of the ten outputs, $$H(\\hat y) = 1$$",
    ]
    for text in bad:
        assert violations(text, FORBIDDEN), f"not caught: {text}"
    good = [
        "an $L$-layer network has $L = 3$ layers of weights",
        "the notes' $L$ is our $\\mathcal L$",
        "Seung's Hamiltonian $H$ and the multipliers $\\lambda^l$",
        'the notes write "$\\frac{\\partial L}{\\partial u}$"',
        "draw every weight from $N(0, g^2/n_{l-1})$ for a gain $g$",
        "$\\eta < 2/c_\\max$ with $\\nabla^2\\mathcal L$ the Hessian",
    ]
    for text in good:
        assert not violations(text, FORBIDDEN), f"false alarm: {text}: {violations(text, FORBIDDEN)}"
