r"""One symbol per quantity: the reserved symbols of book/notation.md are used for nothing else.

The table "Reserved symbols" on the notation page lists each reserved symbol, its one meaning,
the pages where it appears and what it must not be used for. The test reads the table and
checks two things everywhere a reader meets math: the markdown of every chapter and page
(book/*.ipynb, book/*.md but the notation page itself), the chapters' printed output, and the
docstrings the API page renders (mlpcore's modules).

- Where: a symbol whose row names its pages ("chapter 10, the errata") may not appear, as a
  symbol of its own, on any other page: the letter is found in the math (or as a name in
  printed output) with subscripts, ``\text{}`` and the like blanked out, so that Keim's
  ``S_{\text{preA},H}`` is not a use of $H$ but chapter 16's ``H_k`` is. This rule comes from
  the table alone.
- Not to be used for: a symbol that appears everywhere ($L$, $\delta^l$) can still be misused;
  FORBIDDEN below gives, for the table's rows, regular expressions that detect the uses its last
  column forbids (the loss written $L$, a gradient written $g_n$, ...).

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
        # a second name for the delta, such as Seung's delta written delta_S
        r"\\delta_\{?\\?(?:S|\\text\{S|\\mathrm\{S)",
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
    "s_f": [
        # on the pages where s is Adam's s_t or the slope bound s_f, no other subscripted s (s_rms)
        _ALONE + r"s_\{?(?:\\(?:text|mathrm|operatorname)\b|(?![ft](?![A-Za-z]))[A-Za-z])",
    ],
    r"\operatorname{entropy}": [
        r"[Ee]ntropy\**[^.$]{0,120}\$\$?\s*(?!\\operatorname\{entropy\})\\?[A-Za-z]\s*\(",
    ],
}

# "the notes' $L$", "Seung's Hamiltonian $H$": a source's symbol, named as the source's.
ATTRIBUTION = re.compile(r"(?:notes'|Seung's|Keim's|Mazur's|Kekulawala's|Vishwajith's)\s+(?:[\w-]+\s+){0,3}\$*\s*$")

EVERYWHERE = None  # the "where" of a symbol that may appear on every page


class Row:
    """One row of the reserved-symbol table: its forms, meaning, pages and forbidden uses."""

    def __init__(self, forms, meaning, where, not_for):
        self.forms, self.meaning, self.not_for = forms, meaning, not_for
        self.key = forms[0]
        self.pages = parse_where(where)
        self.where = where

    def __str__(self):
        return self.key


def parse_where(where):
    """'every page' -> EVERYWHERE; 'chapters 5 and 9, the errata' -> {'chapter 5', 'chapter 9', 'errata'}."""
    if re.search(r"\bevery\b", where):
        return EVERYWHERE
    pages = {f"chapter {int(n)}" for n in re.findall(r"\b(\d{1,2})\b", where)}
    pages |= {page for page in ("errata", "appendix", "api") if page in where.lower()}
    assert pages, f"cannot read the pages of the reserved-symbol row: {where!r}"
    return pages


def reserved_table():
    """The rows of the notation page's "Reserved symbols" table."""
    text = NOTATION.read_text()
    section = re.search(r"^## Reserved symbols\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "book/notation.md has no section '## Reserved symbols'"
    rows = []
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 4 or set(cells[0]) <= set("-: ") or cells[0] == "symbol":
            continue
        forms = [f.strip() for f in re.findall(r"\$([^$]+)\$", cells[0])]
        assert forms, f"reserved-symbol row without a $symbol$ in its first column: {line}"
        rows.append(Row(forms, cells[1], cells[2], cells[3]))
    return rows


def page_of(path):
    """The page name a file's text is shown on: 'chapter 16', 'errata', 'appendix', ..."""
    number = re.match(r"(\d+)_", path.name)
    if number:
        return f"chapter {int(number.group(1))}"
    return "appendix" if path.stem.startswith("appendix") else path.stem


# --- the "where" rule: which letter a form stands on, and where that letter occurs -----------

_DECORATION = r"\\(?:hat|bar|tilde|dot|mathbf|boldsymbol|vec)\s*"
_TEXTLIKE = r"\\(?:text\w*|math(?:rm|it|sf|tt|cal|bb|frak)|operatorname|begin|end|label|tag|color)\s*\{[^{}]*\}"


def base_of(form):
    """The letter (or command) a form stands on: 's' for '\\hat s_t', 'H' for '\\tilde H'."""
    bare = re.sub(_DECORATION, "", form).strip()
    m = re.match(r"(\\[A-Za-z]+|[A-Za-z])(?![A-Za-z])", bare)
    return m.group(1) if m else None


def letter_pattern(base):
    """The base as a symbol of its own: not inside a word or a command, not a command's prefix."""
    if base.startswith("\\"):
        return re.escape(base) + r"(?![A-Za-z])"
    return r"(?<![A-Za-z\\])" + base + r"(?![A-Za-z])"


def blank(text, pattern, flags=0):
    """Blank out every match of pattern, keeping the length and the line breaks."""
    return re.sub(pattern, lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=flags)


def symbols_only(math):
    """Math with words (\\text{...}, \\mathcal L, ...) and subscripts blanked: what is left are symbols."""
    previous = None
    while previous != math:
        previous = math
        math = blank(math, _TEXTLIKE)
        math = blank(math, r"\\mathcal\s*[A-Za-z]")
        math = blank(math, r"_\s*\{[^{}]*\}")
    return blank(math, r"_\s*(?:\\[A-Za-z]+|[A-Za-z0-9])")


def compound_forms(rows):
    """Forms with a subscript whose letter is another row's letter (T_c beside T): their own symbols."""
    bases = {base_of(f) for row in rows for f in row.forms if "_" not in f}
    return [(row, f) for row in rows for f in row.forms if "_" in f and base_of(f) in bases]


def where_violations(math, page, rows):
    """Uses of a reserved symbol in math shown on page, where its row does not allow it."""
    found = []
    for row, form in compound_forms(rows):
        literal = re.sub(r"\\ ", r"\\s*", re.escape(form)).replace("_", r"_\{?") + r"\}?"
        for m in re.finditer(literal, math):
            if row.pages is not EVERYWHERE and page not in row.pages:
                found.append((row, m.start(), m.end()))
        math = blank(math, literal)
    clean = symbols_only(math)
    for row in rows:
        if row.pages is EVERYWHERE or page in row.pages:
            continue
        for base in {base_of(f) for f in row.forms if "_" not in f or (row, f) not in compound_forms(rows)}:
            if base is None:
                continue
            for m in re.finditer(letter_pattern(base), clean):
                found.append((row, m.start(), m.end()))
    return found


def math_spans(text):
    """(start, end) of every math span of markdown: $$...$$, $...$ and {math} blocks."""
    spans = []
    for m in re.finditer(r"\$\$.+?\$\$|(?<![\\$])\$(?!\$)[^$\n]+?\$|```\{math\}.*?```", text, re.S):
        spans.append((m.start(), m.end()))
    return spans


# --- what a reader sees: markdown, printed output, docstrings --------------------------------


def searchable(text):
    """The text with inline code, quotations and blockquotes blanked out (positions unchanged)."""
    text = blank(text, r"(?<!`)`[^`\n]+`(?!`)")  # inline code and roles' targets
    text = blank(text, r"^\s*>.*$", re.M)  # blockquotes
    text = blank(text, r"“[^”]{0,600}”")
    text = blank(text, r"\"(?:[^\"\n]|\n(?!\s*\n)){0,600}\"")  # "...", not across a blank line
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
    """(page, where, markdown text) for every chapter's prose and every page but notation.md."""
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield page_of(path), f"{path.name} cell {i}", "".join(cell["source"])
    for path in sorted(BOOK.glob("*.md")):
        if path != NOTATION:
            yield page_of(path), path.name, path.read_text()


def printed_outputs():
    """(page, where, text) for the stored printed output of every code cell of every chapter."""
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells):
            for out in cell.get("outputs", []):
                text = out.get("text") or out.get("data", {}).get("text/plain") or ""
                text = "".join(text)
                if text.strip():
                    yield page_of(path), f"{path.name} cell {i} output", text


def docstrings():
    """(where, text) for every docstring of the modules book/api.md renders."""
    import importlib
    import inspect

    for name in re.findall(r"\.\. automodule::\s+([\w.]+)", (BOOK / "api.md").read_text()):
        module = importlib.import_module(name)
        yield name, inspect.getdoc(module) or ""
        for attr, obj in vars(module).items():
            if getattr(obj, "__module__", None) != name or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            yield f"{name}.{attr}", inspect.getdoc(obj) or ""
            for member, method in vars(obj).items() if inspect.isclass(obj) else ():
                doc = getattr(getattr(method, "__func__", method), "__doc__", None)
                if doc and (callable(method) or isinstance(method, (property, staticmethod, classmethod))):
                    yield f"{name}.{attr}.{member}", inspect.cleandoc(doc)


def rst_math(doc):
    """The math of a docstring: :math:`...` roles and the indented body of .. math:: blocks."""
    spans = [m.group(1) for m in re.finditer(r":math:`([^`]+)`", doc)]
    for m in re.finditer(r"^(\s*)\.\. math::\s*\n((?:\1\s+\S.*\n|\s*\n)+)", doc + "\n", re.M):
        spans.append(m.group(2))
    return spans


def attributed(text, pos):
    """A source's symbol, named as the source's ("Seung's $H$")."""
    start = math_start(text, pos)
    return bool(ATTRIBUTION.search(text[max(0, start - 60) : start]))


def violations(text, rows, page, patterns=None):
    """Every misuse of a reserved symbol in the markdown text shown on page."""
    patterns = FORBIDDEN if patterns is None else patterns
    clean = searchable(text)
    found = []

    def report(row, start, end, why):
        line = text.count("\n", 0, start) + 1
        snippet = text[max(0, start - 40) : end + 40].replace("\n", " ")
        found.append(f"line {line}: reserved ${row}$ {why}: ...{snippet}...")

    for key, regexes in patterns.items():
        for regex in regexes:
            for m in re.finditer(regex, clean):
                if not attributed(clean, m.start()):
                    report(key, m.start(), m.end(), f"misused (/{regex}/)")
    for start, end in math_spans(clean):
        for row, s, e in where_violations(clean[start:end], page, rows):
            if not attributed(clean, start + s):
                report(row, start + s, start + e, f"used on {page}; its pages are: {row.where}")
    return found


# a letter as a name in printed output: |g_bar|, g =, H[0], T^2 (not the s of "3.2 s", nor "e.g.")
def printed_name(base):
    return r"(?<![\w.'^])" + base + r"(?:_\w|\s?[=(\[^|])"


def printed_violations(text, page, rows):
    found = []
    for row, form in compound_forms(rows):  # T_c is not a use of T
        if row.pages is not EVERYWHERE and page not in row.pages:
            found += re.findall(re.escape(form), text)
        text = blank(text, re.escape(form))
    for row in rows:
        if row.pages is EVERYWHERE or page in row.pages:
            continue
        for base in {base_of(f) for f in row.forms}:
            if base and not base.startswith("\\"):
                found += [m.group(0) for m in re.finditer(printed_name(base), text)]
    return found


ROWS = reserved_table()
SOURCES = list(sources())


def test_table_lists_the_reserved_symbols():
    keys = [row.key for row in ROWS]
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
        "T",
        "q",
        r"\epsilon",
        r"\varepsilon",
        "s_f",
    ]:
        assert required in keys, f"the reserved-symbol table of book/notation.md lacks ${required}$"
    assert len(keys) == len(set(keys)), f"a symbol is listed twice: {keys}"
    compound = compound_forms(ROWS)
    letters = [
        b
        for row in ROWS
        if row.pages is not EVERYWHERE
        for b in {base_of(f) for f in row.forms if (row, f) not in compound}
    ]
    assert len(letters) == len(set(letters)), f"two rows restrict the same letter to their pages: {letters}"
    for row in ROWS:
        assert row.meaning, f"${row}$ has no meaning in the reserved-symbol table"


def test_every_reserved_symbol_is_checked():
    """Each row restricts its pages, or has patterns for what it must not be used for."""
    keys = {row.key for row in ROWS}
    assert set(FORBIDDEN) <= keys, f"patterns for symbols the table does not list: {sorted(set(FORBIDDEN) - keys)}"
    for row in ROWS:
        assert row.pages is not EVERYWHERE or FORBIDDEN.get(row.key), (
            f"${row}$ may appear everywhere and has no forbidden-use patterns"
        )
    for regexes in FORBIDDEN.values():
        for regex in regexes:
            re.compile(regex)


@pytest.mark.parametrize("page,where,text", SOURCES, ids=[where for _, where, _ in SOURCES])
def test_reserved_symbols_keep_their_meaning(page, where, text):
    found = violations(text, ROWS, page)
    assert not found, f"{where}:\n  " + "\n  ".join(found)


def test_printed_output_keeps_the_reserved_names():
    found = [
        f"{where}: {names}"
        for page, where, text in printed_outputs()
        if (names := printed_violations(text, page, ROWS))
    ]
    assert not found, "reserved symbols printed as names on pages they do not belong to:\n  " + "\n  ".join(found)


def test_the_api_pages_docstrings_keep_the_notation():
    found = []
    for where, doc in docstrings():
        found += [f"{where}: the loss written L: {m.group(0)}" for m in re.finditer(r"\bdL/d\S*", doc)]
        for math in rst_math(doc):
            found += [f"{where}: {v}" for v in violations(f"${math}$", ROWS, "api")]
    assert not found, "\n  ".join(["the API page's docstrings:"] + found)


def test_detector_catches_the_known_collisions():
    """The rule catches the kinds of misuse the reviewers found, and spares the right uses."""
    bad = [
        ("chapter 11", "the Hessian $H = \\nabla^2 \\mathcal L$"),
        ("chapter 3", "Let $H(x) = 0$ for $x < 0$"),
        ("chapter 10", "Write $g^l_i = \\partial E / \\partial z^l_i$."),
        ("chapter 11", "$\\eta < 2/\\lambda_\\max$"),
        ("chapter 6", "the loss $L$ of an $L$-layer network, $\\partial L/\\partial u$"),
        ("chapter 11", "Write $g_n = \\nabla \\ell_n(\\theta)$"),
        ("chapter 14", "we use the **entropy** of the ten outputs, $$H(\\hat y) = 1$$"),
        # chapter 16 before the fix: the residual block's output and the autoencoder's hidden layer
        ("chapter 16", "the block computes $H = X + \\tanh(X W^\\top + \\mathbf 1 b^\\top)$"),
        ("chapter 16", "$H_k = H_{k-1} + \\tanh(H_{k-1} W_k^\\top)$"),
        ("chapter 16", "$\\big(\\bar H \\odot (1 - T^2)\\big) W$"),
        ("chapter 6", "Seung's error signal, $\\delta_S = -\\delta$"),
        ("chapter 16", "the node $q = d\\,d$"),
        ("chapter 15", "$s_\\text{rms} = \\lVert W^l \\rVert_F / \\sqrt{n_l}$ is not the slope bound"),
        ("chapter 7", "$\\big(\\mathcal L(p + \\epsilon) - \\mathcal L(p - \\epsilon)\\big)/2\\epsilon$"),
        ("chapter 11", "$\\eta = (1 + \\varepsilon)\\, 2/c_\\max$ and $e^{4\\varepsilon T} > 1/s$"),
        ("api", "$\\Delta^l = \\partial L / \\partial Z^l$"),
    ]
    for page, text in bad:
        assert violations(text, ROWS, page), f"not caught on {page}: {text}"
    good = [
        ("chapter 4", "an $L$-layer network has $L = 3$ layers of weights"),
        ("chapter 7", "the notes' $L$ is our $\\mathcal L$"),
        ("chapter 10", "Seung's Hamiltonian $H$ and the multipliers $\\lambda^l$, $\\tilde H(z, a)$"),
        ("chapter 7", 'the notes write "$\\frac{\\partial L}{\\partial u}$"'),
        ("chapter 15", "draw every weight from $N(0, g^2/n_{l-1})$ for a gain $g$; $s_f = 1$"),
        ("chapter 11", "$\\eta < 2/c_\\max$ with $\\nabla^2\\mathcal L$ the Hessian, within $\\varepsilon$"),
        ("chapter 9", "Keim's $S_{\\text{preA},H}$ and $FE = S_{\\text{postA},O} - T$"),
        ("chapter 17", "$\\det(q I - T_c) = 0$ and $\\hat m_t / (\\sqrt{\\hat s_t} + \\epsilon)$"),
        ("chapter 6", "$\\sin z$, $\\sqrt{\\sigma}$, $\\operatorname{step}(z)$ and $W^\\top$"),
    ]
    for page, text in good:
        assert not violations(text, ROWS, page), f"false alarm on {page}: {text}: {violations(text, ROWS, page)}"
    assert printed_violations("|g_bar|^2 = 0.31", "chapter 11", ROWS)
    assert not printed_violations("took 3.2 s, e.g. the fit; gain g = 1", "chapter 15", ROWS)
