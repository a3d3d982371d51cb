r"""A local Sphinx extension: long inline formulas may break across lines after a relation or an
operator, as TeX breaks them in print (registered in _config.yml, sphinx.local_extensions).

MathJax 3.2.2 (as sphinx-mathjax-offline 0.0.2 ships it) typesets an inline formula as one
unbreakable box, so a chain such as
``$W^2(W^1x + b^1) + b^2 = (W^2W^1)x + (W^2b^1 + b^2)$`` is wider than a 390-pixel phone's line
and could only scroll. Here an inline formula wider than ``LONG`` symbols is cut after each
relation (``=``, ``\approx``, ``\le``, ...) at the top level of its TeX, not inside braces,
brackets, ``\left ... \right`` or an environment; where a part is still long, also after its
top-level ``+``, ``-``, ``\cdot`` and ``\times``, then after its commas (a list of numbers), and
last after its ``\,``, ``\;`` and ``\quad`` (between the factors of a product). Nothing is
cut inside ``|...|``. The parts become inline formulas of their own, each but the last ending in
``{}`` so that its relation or operator keeps its spacing on both sides, with a word break
opportunity (``<wbr>``) between them: on a wide screen they stand as one formula, on a phone the
line breaks at the last of them that fits, as TeX breaks a line in print. A part that is still wider than its
line scrolls (site.css, ``span.math.math-wide``).

The punctuation right after an inline formula stays on its line (``span.math-nowrap``).

This works around MathJax 3. Delete the cutting when the site's MathJax breaks inline formulas
itself (MathJax 4 can): the browser test test_long_inline_math_breaks_across_lines then passes
without it. The search snippets of book/_static/site.js join the parts again.
"""

import re

from docutils import nodes

# how wide (in symbols, see visible) a formula may be before it is cut: about 250 px at 16 px
# type, within the 326 to 358 px of a line on a 390-pixel phone and the 260 px of a box in a list
LONG = 20
_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.S)
RELATIONS = {
    "=", "<", ">", "≈", "≤", "≥", "≠", "→", r"\approx", r"\le", r"\leq", r"\ge", r"\geq", r"\ne",
    r"\neq", r"\equiv", r"\sim", r"\simeq", r"\propto", r"\to", r"\rightarrow", r"\Rightarrow",
    r"\implies", r"\iff", r"\mapsto", r"\ll", r"\gg", r"\coloneqq",
}
OPERATORS = {"+", "-", "−", r"\cdot", r"\times", r"\pm"}
SEPARATORS = {",", ";"}
# the spaces that an author puts between the factors of a product or the clauses of a formula
SPACES = {r"\,", r"\;", r"\quad", r"\qquad"}
OPENING, CLOSING = {"{", "(", "[", r"\left", r"\begin"}, {"}", ")", "]", r"\right", r"\end"}
BARS = {"|", r"\|"}
# what may follow a relation or an operator and belongs to it: a limit, a prime, a second relation
ATTACHED = ("^", "_", "'", "=", "{}")


def visible(tex):
    """How wide a formula is, roughly, in symbols: its tokens other than braces, scripts and space,
    a relation or an operator counted twice (for the space around it)."""
    tokens = [t for t in _TOKEN.findall(tex) if not t.isspace() and t not in "{}^_"]
    return len(tokens) + sum(1 for t in tokens if t in RELATIONS or t in OPERATORS)


def _cuts(tex, breaking):
    """The offsets just after each top-level token of ``breaking`` in ``tex`` that stands between
    two operands (not a sign: not first, not after a relation, an operator, a script or an opening)."""
    depth, cuts, previous, bars = 0, [], None, set()
    for match in _TOKEN.finditer(tex):
        token = match.group()
        if token.isspace():
            continue
        if token in BARS and depth == 0:
            bars ^= {token}  # an absolute value |x| or a norm \|x\| opens or closes
        elif bars:
            pass
        elif token in OPENING:
            depth += 1
        elif token in CLOSING:
            depth -= 1
        elif depth == 0 and token in breaking and previous is not None:
            if previous not in RELATIONS | OPERATORS | OPENING and previous not in ("^", "_"):
                cuts.append(match.end())
        previous = token
    return cuts


def _cut(tex, breaking):
    parts, start = [], 0
    for end in _cuts(tex, breaking):
        left, rest = tex[start:end], tex[end:].lstrip()
        # a part must show something before its relation, and something must come after it
        if visible(left) > 1 and rest and not rest.startswith(ATTACHED):
            parts.append(left)
            start = end
    parts.append(tex[start:])
    return parts


def split(tex, tiers=(RELATIONS, OPERATORS, SEPARATORS, SPACES)):
    """The parts of an inline formula, in order ("".join of them is ``tex``); one part if it is short.

    A long formula is cut at the first tier (its relations), and each part that is still long at
    the next tier, and so on: every cut is a place where the line may break, not one where it must.
    """
    if visible(tex) <= LONG or not tiers:
        return [tex]
    return [piece for part in _cut(tex, tiers[0]) for piece in split(part, tiers[1:])]


def _break_inline_math(app, doctree):
    for node in list(doctree.findall(nodes.math)):
        parts = split(node.astext())
        if len(parts) == 1:
            continue
        pieces = []
        for i, part in enumerate(parts):
            tex = part.strip() + ("{}" if i < len(parts) - 1 else "")
            pieces.append(nodes.math(tex, tex, classes=list(node.get("classes", []))))
            if i < len(parts) - 1:
                pieces.append(nodes.raw("", "<wbr>", format="html"))
        node.replace_self(pieces)


# what must not begin a line when it follows a formula: "... $f(z)$: the ..." kept ": the" on the
# formula's line only by chance (a formula is an atomic inline box, with a break opportunity after it)
TRAILING = re.compile(r"^[.,;:!?)\]}’”'…]+")


def _keep_punctuation_with_math(app, doctree):
    """A formula and the punctuation right after it go into one ``span.math-nowrap`` (site.css:
    white-space: nowrap), so that a line never starts with the comma or colon of a formula."""
    for node in list(doctree.findall(nodes.math)):
        parent = node.parent
        i = parent.index(node)
        after = parent[i + 1] if i + 1 < len(parent) else None
        match = TRAILING.match(after.astext()) if isinstance(after, nodes.Text) else None
        if not match:
            continue
        rest = after.astext()[match.end() :]
        parent.remove(after)
        keep = nodes.inline("", "", classes=["math-nowrap"])
        parent.replace(node, keep)
        keep += node
        keep += nodes.Text(match.group())
        if rest:
            parent.insert(i + 1, nodes.Text(rest))


def setup(app):
    # after MyST has parsed the page; glued formulas are pasted later and are short
    app.connect("doctree-read", _break_inline_math, priority=900)
    app.connect("doctree-read", _keep_punctuation_with_math, priority=901)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
