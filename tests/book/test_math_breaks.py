"""Long inline formulas are cut where TeX would break a line (book/_ext/math_breaks.py); the browser
test tests/website/test_site.py::test_long_inline_math_breaks_across_lines measures the pages."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import math_breaks  # noqa: E402
from math_breaks import LONG, split, visible  # noqa: E402


def test_a_short_formula_stays_whole():
    assert split(r"y = \sigma(z)") == [r"y = \sigma(z)"]


def test_a_long_chain_is_cut_after_its_relations_and_a_long_part_after_its_operators():
    tex = r"W^2(W^1x + b^1) + b^2 = (W^2W^1)x + (W^2b^1 + b^2) = W x + b"
    assert split(tex) == [r"W^2(W^1x + b^1) + b^2 =", r" (W^2W^1)x +", r" (W^2b^1 + b^2) =", " W x + b"]
    assert split(r"r = |2n - n| / \max(2|n|, |n|) = 1/2") == ["r =", r" |2n - n| / \max(2|n|, |n|) =", " 1/2"]


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{a + b = c}{d + e = f} \frac{g + h = i}{j + k = l} \frac{m = n}{o = p}",  # braces
        r"\left( a + b = c + d = e + f = g + h = i + j = k + l \right)",  # \left ... \right
        r"f(a + b = c + d = e + f = g + h = i + j = k + l + m)",  # brackets
        r"\begin{cases} a + b = c + d = e + f \\ g + h = i + j = k + l \end{cases}",  # an environment
    ],
)
def test_nothing_is_cut_below_the_top_level(tex):
    assert split(tex) == [tex]


@pytest.mark.parametrize(
    "tex",
    [
        r"a_1 + a_2 + a_3 + a_4 + a_5 + a_6 = -b_1 - b_2 - b_3 - b_4 - b_5 - b_6",
        r"x^{-1} + x^-2 + y_- + z = -\tfrac12 a + b - c + d - e + f - g + h",
        r"\sum_{i=1}^n a_i \approx -\frac{1}{2} \le \eta \cdot \theta \cdot \nabla L + a + b + c + d",
    ],
)
def test_the_parts_are_the_formula_and_no_sign_is_cut_from_its_operand(tex):
    parts = split(tex)
    assert len(parts) > 1 and "".join(parts) == tex
    for left, right in zip(parts, parts[1:]):
        last = re.findall(r"\\[A-Za-z]+|\S", left)[-1]
        assert last in math_breaks.RELATIONS | math_breaks.OPERATORS | math_breaks.SEPARATORS, (left, right)
        # the token before the cut is an operand: the cut one is binary, not a sign
        before = re.findall(r"\\[A-Za-z]+|\S", left)[-2]
        assert before not in math_breaks.RELATIONS | math_breaks.OPERATORS | {"^", "_", "{", "("}, (left, right)


def test_a_list_of_numbers_and_a_product_are_cut_after_commas_and_spaces():
    tex = r"w_1, \dots, w_8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55"
    parts = split(tex)
    assert "".join(parts) == tex and parts[:2] == [r"w_1, \dots, w_8 =", " 0.15,"] and len(parts) == 9
    tex = r"\big((W^{2+})^\top \delta^2\big)_1 \, out_{h1}(1 - out_{h1})\, i_1 = x"
    assert split(tex) == [r"\big((W^{2+})^\top \delta^2\big)_1 \,", r" out_{h1}(1 - out_{h1})\,", " i_1 =", " x"]
    assert all(visible(p) <= LONG for p in parts)


def test_nothing_is_cut_before_a_trailing_relation_or_a_limit():
    # a formula that ends in "=" (the text goes on), and a relation with a limit under it
    assert split(r"\tfrac12(0.01 - 0.015912196)^2 + \tfrac12(0.99 - 0.984065734)^2 =")[-1].endswith("^2 =")
    tex = r"a + b + c + d + e + f + g + h + i \to_{n \to \infty} k + l + m + n + o + p + q"
    assert all(not p.lstrip().startswith("_") for p in split(tex))


def _chapters_inline_math():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                text = re.sub(r"\$\$.*?\$\$", "", "".join(cell["source"]), flags=re.S)
                yield from re.findall(r"(?<![\\$])\$([^$]+)\$", text)


def test_every_cut_of_the_chapters_is_between_two_operands():
    # the cuts that the build makes in the book's own formulas: the parts rejoin to the formula,
    # and none starts with what belongs to the relation before it
    cut = 0
    for tex in _chapters_inline_math():
        parts = split(tex)
        assert "".join(parts) == tex
        for part in parts[1:]:
            assert not part.lstrip().startswith(math_breaks.ATTACHED), (tex, parts)
        cut += len(parts) > 1
    assert cut >= 20  # the chapters hold long formulas: the test reads them


def test_punctuation_after_a_formula_stays_with_it():
    from docutils import nodes

    paragraph = nodes.paragraph()
    paragraph += [nodes.Text("so "), nodes.math("a", "a"), nodes.Text(": the rest, "), nodes.math("b", "b")]
    paragraph += [nodes.Text("."), nodes.math("c", "c"), nodes.Text(" and (x)")]
    document = nodes.document(None, None)
    document += paragraph
    math_breaks._keep_punctuation_with_math(None, document)
    kept = [(n["classes"], n.astext()) for n in paragraph.children if isinstance(n, nodes.inline)]
    assert kept == [(["math-nowrap"], "a:"), (["math-nowrap"], "b.")]  # not c: a space follows it
    assert paragraph.astext() == "so a: the rest, b.c and (x)"  # nothing lost, nothing moved
