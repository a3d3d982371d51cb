"""Similar solutions: after ``grade``, each exercise's solution cells compared between students
and with the book's reference solution, written to ``GRADES/similarity.html``.

The comparison is copydetect's (Stanford MOSS's winnowing of k-grams over the code's tokens):
the code is tokenized by Pygments with every name replaced by one letter, so renamed
variables do not hide a copy, and the k-grams are compared as sets, so reordered statements
do not either. The scaffold the chapter gives (the solution cell outside its solution block)
is boilerplate: what every student shares counts for nothing. An exercise still at its stub
is left out. A pair is listed when at least ``threshold`` of each side's fingerprinted code
is found in the other.

It is advice for the instructor, never a verdict: no status changes, and the report says so.
"""

__all__ = ["THRESHOLD", "Pair", "compare", "groups", "solutions", "write"]

import html
import io
from dataclasses import dataclass

import nbformat
import numpy as np

from . import course, notebook
from .submission import find_answers

THRESHOLD = 0.7  # the share of each side's code found in the other
NOISE, GUARANTEE = 25, 30  # copydetect's defaults: k-grams of 25 characters, a match of 30 is always found
REFERENCE = "the book's reference solution"


@dataclass
class Pair:
    """Two solutions of one exercise found alike: who, how much of each, and each side highlighted (HTML)."""

    chapter: str
    exercise: str
    first: str
    second: str
    shares: tuple
    highlighted: tuple


def solutions(nb_bytes, chapter):
    """{label: the code of the cell that defines the answer} of a submitted notebook: the exercises it has
    attempted (a cell still at its stub, or no cell, is left out)."""
    try:
        nb = nbformat.reads(nb_bytes.decode("utf-8"), as_version=4)
    except Exception:  # not a notebook: grade says so; nothing to compare
        return {}
    ch = course.chapter(chapter)
    code = [notebook.source(c) for c in nb.cells if c.cell_type == "code"]
    found = {}
    for label, (defines, _) in find_answers(code, ch).items():
        if defines is not None and not notebook.is_stub(code[defines], label):
            found[label] = code[defines]
    return found


def _kgram_hashes(string, k):
    """The hash of every k-gram of ``string`` (k characters from each offset), the same in every process:
    a polynomial in the characters' code points, modulo 2**64. copydetect's own ``hashed_kgrams`` uses
    Python's ``hash``, which is salted per process (PYTHONHASHSEED), so that winnowing kept other k-grams
    in each run and a pair near the threshold came and went between two runs on the same class."""
    codes = np.frombuffer(string.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        return np.zeros(0, dtype=np.int64)
    powers = np.uint64(1_099_511_628_211) ** np.arange(k - 1, -1, -1, dtype=np.uint64)  # wraps modulo 2**64
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    return (windows * powers).sum(axis=1, dtype=np.uint64).view(np.int64)


def _fingerprint(code, boilerplate=None):
    import copydetect.utils
    from copydetect.detector import CodeFingerprint

    copydetect.utils.hashed_kgrams = _kgram_hashes  # what its fingerprints call (see _kgram_hashes)

    return CodeFingerprint("solution.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(code))


def compare(chapter, label, codes, threshold=THRESHOLD):
    """The pairs of ``codes`` ({who: code}; the reference is added) at or above ``threshold``."""
    from copydetect.detector import compare_files
    from copydetect.utils import highlight_overlap

    scaffold = course.chapter(chapter).scaffolds.get(label, "")  # what the chapter gives everyone
    boilerplate = np.array(sorted(_fingerprint(scaffold).hashes)) if scaffold.strip() else None
    reference = course.chapter(chapter).solutions.get(label)
    codes = {**codes, **({REFERENCE: reference} if reference else {})}
    prints = {who: _fingerprint(code, boilerplate) for who, code in codes.items()}
    names = sorted(prints, key=lambda who: (who == REFERENCE, who))
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared = len(prints[a].hashes & prints[b].hashes)  # a quick bound first: most pairs share little
            if not shared or shared < threshold / 2 * min(len(prints[a].hashes), len(prints[b].hashes)):
                continue
            _, shares, slices = compare_files(prints[a], prints[b])
            if min(shares) >= threshold and slices[0].size:
                marked = tuple(highlight_overlap(prints[w].raw_code, s, "<mark>", "</mark>", escape_html=True)[0]
                               for w, s in ((a, slices[0]), (b, slices[1])))
                pairs.append(Pair(chapter, label, a, b, tuple(float(s) for s in shares), marked))
    return pairs


MISSING = ("similarity.html not written: the comparison needs copydetect (pip install copydetect, or "
           "pip install -r requirements.txt)")


def write(out, data, chapters, threshold=THRESHOLD):
    """Compare every exercise of ``chapters`` across ``data`` ({(student, chapter): notebook bytes}) and
    write ``out/similarity.html``; return the pairs listed, or None (and write nothing) where copydetect is
    not installed: a course installed for checking (``mlpcore[check]``) can still grade."""
    try:
        import copydetect  # noqa: F401
    except ImportError:
        return None
    found = {}
    for (student, chapter), nb_bytes in sorted(data.items()):
        for label, code in solutions(nb_bytes, chapter).items():
            found.setdefault((chapter, label), {})[student] = code
    pairs = []
    for chapter in chapters:
        for label in course.chapter(chapter).checked:
            pairs += compare(chapter, label, found.get((chapter, label), {}), threshold)
    (out / "similarity.html").write_text(_page(pairs, threshold), encoding="utf-8")
    return pairs


def _root(parent, who):
    """The representative of ``who``'s group in the union-find forest ``parent``."""
    while parent.setdefault(who, who) != who:
        who = parent[who]
    return who


def groups(pairs):
    """The pairs of each exercise joined into groups of solutions alike (a copy of a copy belongs with
    both): a list of (chapter, exercise, members, pairs), the largest groups first."""
    found = []
    for key in dict.fromkeys((p.chapter, p.exercise) for p in pairs):
        mine = [p for p in pairs if (p.chapter, p.exercise) == key]
        parent = {}
        for p in mine:
            parent[_root(parent, p.first)] = _root(parent, p.second)
        members = {}
        for who in parent:
            members.setdefault(_root(parent, who), []).append(who)
        for group in members.values():
            inside = [p for p in mine if p.first in group]
            found.append((*key, sorted(group, key=lambda w: (w == REFERENCE, w)), inside))
    return sorted(found, key=lambda g: -len(g[2]))


def _page(pairs, threshold):
    e = html.escape
    rows = []
    for chapter, exercise, members, inside in groups(pairs):
        best = max(inside, key=lambda p: min(p.shares))
        table = "".join(f"<tr><td>{e(p.first)}</td><td>{e(p.second)}</td><td>{p.shares[0]:.0%}</td>"
                        f"<td>{p.shares[1]:.0%}</td></tr>" for p in inside)
        rows.append(f"<section><h2>{e(chapter)}, <code>{e(exercise)}</code>: {len(members)} solutions alike</h2>"
                    f"<p>{e(', '.join(members))}</p>"
                    "<table><thead><tr><th>first</th><th>second</th><th>of the first's code in the second's</th>"
                    f"<th>of the second's in the first's</th></tr></thead><tbody>{table}</tbody></table>"
                    f"<p>The closest pair, side by side:</p><div class=\"pair\">"
                    + "".join(f"<figure><figcaption>{e(who)}</figcaption><pre><code>{code}</code></pre></figure>"
                              for who, code in zip((best.first, best.second), best.highlighted))
                    + "</div></section>")
    body = "\n".join(rows) or "<p>No two solutions are this alike.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Similar solutions</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; max-width: 80rem; }}
.pair {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
figure {{ flex: 1 1 22rem; margin: 0; min-width: 0; }}
pre {{ background: #f6f6f6; padding: 0.75rem; overflow-x: auto; }}
mark {{ background: #ffe08a; }}
table {{ border-collapse: collapse; margin: 0.5rem 0; display: block; max-width: 100%; overflow-x: auto; }}
td, th {{ border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }}
</style></head><body>
<h1>Similar solutions</h1>
<p>Advice, not a verdict: no grade changed. Each pair listed shares at least {threshold:.0%} of each side's
code (names and order aside; what the chapter gives everyone left out), as found by copydetect's
winnowing. Look at the code before you conclude anything: short exercises have few ways to be solved.</p>
{body}
</body></html>
"""
