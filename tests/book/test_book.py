"""The book itself: every chapter is in the table of contents, stored executed top to
bottom in one kernel, free of errors, and its citations and glue keys resolve."""

import functools
import json
import re
from pathlib import Path

import pytest

from mlpcourse.release import toc_entries

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"


def toc_files():
    return toc_entries(ROOT)


def resolve(entry):
    matches = [p for p in (ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md", ROOT / entry) if p.is_file()]
    return matches[0] if matches else None


NOTEBOOKS = sorted(p for p in BOOK.glob("**/*.ipynb") if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def test_every_toc_entry_exists():
    missing = [entry for entry in toc_files() if resolve(entry) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_notebook_is_in_the_toc():
    listed = {resolve(entry) for entry in toc_files()}
    orphans = [str(p.relative_to(ROOT)) for p in NOTEBOOKS if p not in listed]
    assert not orphans, f"notebooks in book/ missing from _toc.yml (nbval and the build would disagree): {orphans}"


def code_cells(path):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_execution_is_complete_and_in_order(path):
    counts = [c["execution_count"] for c in code_cells(path)]
    assert None not in counts, f"{path.name}: code cell {counts.index(None) + 1} has no stored execution"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, ...: run the notebook top to bottom in a fresh "
        "kernel (python tools/execute_chapters.py) and save it"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_errors_or_warnings(path):
    for i, cell in enumerate(code_cells(path), 1):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: code cell {i} stored an error"
            assert out.get("name") != "stderr", f"{path.name}: code cell {i} wrote to stderr: {''.join(out['text'])[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_states_goals_has_exercises_and_glued_numbers(path):
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "You will be able to" in text or "you will be able to" in text, f"{path.name}: no learning goals"
    assert len(re.findall(r"```\{exercise\}", text)) >= 3, f"{path.name}: fewer than three exercises"
    sources = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    glued = set(re.findall(r"glue\(\s*f?\"([\w{}]+)\"", sources))
    used = set(re.findall(r"\{glue:(?:text|md)?\}`([\w]+)", text))
    unknown = {k for k in used if k not in glued and not any("{" in g and k.startswith(g.split("{")[0]) for g in glued)}
    assert not unknown, f"{path.name}: the text pastes glue keys that no cell defines: {sorted(unknown)}"


def test_citations_resolve_to_the_bibliography():
    bib = (BOOK / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    assert {"kekulawala2024", "mlpnotes", "keim2019", "vishwajith", "seung2002", "mazur2015", "rumelhart1986"} <= keys
    pages = [*BOOK.glob("*.md"), *NOTEBOOKS]
    cited = {k for p in pages for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", p.read_text()) for k in group.split(",")}
    assert cited - keys == set(), f"citations without a bibliography entry: {sorted(cited - keys)}"


def test_errata_cover_the_known_problems_and_link_to_proofs():
    """Each known problem of the sources (``known``: what the errata page says of it) has an
    entry, and every entry but a typo or a flaw of the copy links to the chapter that decides it."""
    errata = (BOOK / "errata.md").read_text()
    known = {
        "notes' output delta sign": r"output delta has the wrong sign",
        "notes' dL/dW orientation": r"is transposed",
        "notes' dL/dV quantity": r"wrong quantity",
        "Vishwajith's hidden-node rule": r"weight\$_k\$ − error\$_j\$",
        "Vishwajith's sigmoid derivative": r"1 \* \(1-output\)",
        "Seung's eq. 13 range": r"eq\. 13 sums \$i = 1\$ to \$n_\{l-1\}\$",
        "Seung's x and y": r"stationary with respect to \$x\$ and \$y\$",
    }
    missing = [name for name, pattern in known.items() if not re.search(pattern, errata)]
    assert not missing, f"errata page lacks: {missing}"
    for entry in re.split(r"\n\d+\. ", errata)[1:]:
        if "(this copy)" in entry or "optical" in entry or "Typo" in entry:
            continue
        assert re.search(r"\]\(\d\d_\w+\.ipynb#[\w-]+\)|\{ref\}", entry), f"entry without a link to its proof: {entry[:80]}"



def _code_lines(text):
    """Lines of code with comments and all white space taken out (so that rewrapping a line
    does not hide it), the short ones (``return x``) dropped."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"\s+", "", line.split("#", 1)[0])
        if len(line) >= 12:
            lines.append(line)
    return lines


@functools.cache
def _library_bodies():
    """(qualified name, body lines without the docstring) of every function and method of mlpcore
    (parsed once per test run: every chapter is compared with the same library)."""
    import ast

    bodies = []
    for path in sorted((ROOT / "mlpcore").glob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                if body:
                    text = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in body)
                    bodies.append((f"{path.stem}.{node.name}", tuple(_code_lines(text))))
    return tuple(bodies)


def _chapter_code(path):
    """Every piece of code a chapter shows, its code cells and the code blocks of its text,
    as one string without comments or white space."""
    text = []
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            text.append(source)
        else:
            text += re.findall(r"^```(?:python|py|ipython3)?\n(.*?)^```", source, re.S | re.M)
    return "".join(_code_lines("\n".join(text)))


def copies_in(code):
    """The library functions two consecutive lines of whose body (50 characters or more
    between them, white space aside) stand in ``code``."""
    return sorted({name for name, body in _library_bodies() for a, b in zip(body, body[1:])
                   if len(a + b) >= 50 and a + b in code})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_chapter_holds_a_copy_of_library_code(path):
    """Where a chapter shows mlpcore's code it quotes the source (a literalinclude with
    :pyobject:, or inspect.getsource), so that it cannot drift."""
    copies = copies_in(_chapter_code(path))
    assert not copies, f"{path.name} holds a copy of the body of {copies}; quote it from the source instead"


def test_a_pasted_copy_is_found_even_rewrapped(tmp_path):
    pasted = '''```python
nabla_w[l - 1] = delta.T @ fp.a[l - 1]  # shortened comment
nabla_b[l - 1] = delta.sum(axis=0)
```'''
    cell = {"cells": [{"cell_type": "markdown", "source": pasted}]}
    path = tmp_path / "pasted.ipynb"
    path.write_text(json.dumps(cell))
    assert copies_in(_chapter_code(path)) == ["network._backward"]


def _exercise_titles(path):
    """(label, title) of every exercise of a notebook, in order."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            for title, label in re.findall(r"^`{3,}\{exercise\}[ \t]*([^\n]*)\n:label: (\S+)", source, re.M):
                yield label, title


def test_every_exercise_title_ends_with_its_difficulty():
    """One to three stars at the end of the title, nothing else: the reader's only guide
    to what an exercise asks before opening it."""
    titles = [(p.name, label, title) for p in NOTEBOOKS for label, title in _exercise_titles(p)]
    assert len(titles) > 60  # the parser found the exercises at all
    wrong = [t for t in titles if not re.fullmatch(r"\S.*\S (★|★★|★★★)", t[2])]
    assert not wrong, f"exercise titles without a difficulty of one to three stars at the end: {wrong}"


def test_exercises_are_numbered_per_chapter():
    """book/_ext/exercise_numbers.py numbers a chapter's exercises from its file name: chapter 3
    has Exercise 3.1, 3.2, ...; the appendix A.1, ...; a page that is no chapter is left alone."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("exercise_numbers", BOOK / "_ext" / "exercise_numbers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.chapter_number("book/03_activation_functions") == 3
    assert module.chapter_number("book/16_computational_graph") == 16
    assert module.chapter_number("book/appendix_performance") == "A"
    assert module.chapter_number("book/errata") is None and module.chapter_number("book/intro") is None

    class Env:  # what Sphinx's toctree collector leaves: figure numbers counted across the book
        toc_fignumbers = {
            "book/03_activation_functions": {"exercise": {"ex-a": (7,), "ex-b": (8,)}, "figure": {"f": (2,)}},
            "book/appendix_performance": {"exercise": {"ex-c": (9,)}},
            "book/teaching": {"exercise": {"ex-d": (10,)}},
        }

    env = Env()
    module._renumber(None, env)
    assert env.toc_fignumbers["book/03_activation_functions"] == {"exercise": {"ex-a": (3, 1), "ex-b": (3, 2)},
                                                                 "figure": {"f": (2,)}}
    assert env.toc_fignumbers["book/appendix_performance"]["exercise"] == {"ex-c": ("A", 1)}
    assert env.toc_fignumbers["book/teaching"]["exercise"] == {"ex-d": (10,)}


def test_errata_separate_errors_from_imprecisions():
    """Errors (false, shown false) apart from imprecisions (true on one reading, but loose), slips
    (typos, slips of hand arithmetic nothing depends on) and claims a computation confirmed: each
    entry of ``where`` stands under its heading, as the page's own definitions place it; Keim's
    article, in which the page finds no error, has no heading among the errors; and the page
    shows decisions, not its own revision history."""
    errata = (BOOK / "errata.md").read_text()
    parts = re.split(r"^## ", errata, flags=re.M)
    sections = {part.split("\n", 1)[0].strip(): part for part in parts[1:]}
    assert list(sections) == ["Errors", "Imprecisions", "Slips", "Confirmed"], list(sections)
    where = {
        "Errors": [r"output delta has the wrong sign", r"eq\. 13 sums", r"Backpropagation algorithm was invented"],
        "Imprecisions": [r"Overshooting", r"Small random values", r"order of evaluation doesn't matter",
                         r"Zero initialisation, understated", r"The ½ of the error", r"contribution of a given weight",
                         r"Layers of TLUs", r"between 0 \(signal off\) and 1", r"Easy to train",
                         r"neurons closest to the output", r"generally using the\s+Stone-Weierstrass"],
        "Slips": [r"A dash for a minus sign", r"Postactiviation", r"optical control", r"Initizalization",
                  r"-0\.019049119", r"\$w_3\$ for \$w_2\$", r"Parameteric", r"map the to the", r"are both implicitly"],
        "Confirmed": [r"bounce around", r"learning rate \"if necessary\""],
    }
    misplaced = [(heading, p) for heading, patterns in where.items() for p in patterns
                 if not re.search(p, sections[heading])]
    assert not misplaced, f"entries missing from their section: {misplaced}"
    assert "Keim" not in "".join(re.findall(r"^### (.*)$", sections["Errors"], re.M))
    assert not re.search(r"[Mm]oved from|earlier version", errata), "the page shows its own revision history"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_glued_values_are_plain_numbers(path):
    """A glued numpy scalar is stored as its repr, "np.float64(0.29)" under numpy 2, which a
    format spec in the prose and the student release (which pastes the value) cannot read: glue
    float(x) or int(n)."""
    numpy_reprs = []
    for cell in json.loads(path.read_text())["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            text = out.get("data", {}).get("application/papermill.record/text/plain", "")
            if name and re.match(r"np\.\w+\(|np\.(?:True|False)_", text):
                numpy_reprs.append(f"{name} = {text}")
    assert not numpy_reprs, f"{path.name} glues numpy scalars: {numpy_reprs}"


def test_glue_from_another_page_names_a_format():
    """MyST-NB reads `{glue:text}` as key:format, splitting at the last colon, so a
    `path.ipynb::key` without a format is read as the key 'path.ipynb:' and fails to resolve;
    every such role on a page or in a chapter must end in a format, and name a key stored in
    that chapter's outputs."""
    pages = [*BOOK.glob("*.md"), *NOTEBOOKS]
    bare, unknown = [], []
    for page in pages:
        for _role, path, rest in re.findall(r"\{glue:(text|md)?\}`([\w.]+\.ipynb)::([^`]+)`", page.read_text()):
            key, _, fmt = rest.partition(":")
            if not fmt:
                bare.append(f"{page.name}: {path}::{rest}")
            source = BOOK / path
            stored = set()  # the keys the chapter's stored outputs hold, which the build reads
            if source.is_file():
                for cell in json.loads(source.read_text())["cells"]:
                    for out in cell.get("outputs", []):
                        stored.add(out.get("metadata", {}).get("scrapbook", {}).get("name"))
            if key not in stored:
                unknown.append(f"{page.name}: {path}::{key}")
    assert not bare, f"glue roles from another page without a format (write ::key:d or ::key:.3f): {bare}"
    assert not unknown, f"glue roles naming a key the chapter does not glue: {unknown}"


# chapter 17's accuracy is chapter 13's train_accuracy; a library accuracy would give away the
# answer of chapter 13's exercise ex-accuracy, which asks the reader to write it
SHARED_ON_PURPOSE = {frozenset({("13_nonlinear_boundaries", "train_accuracy"), ("17_optimizers", "accuracy")})}


def _chapter_functions(path):
    """(name, body as an AST dump: comments, layout and the docstring aside) of every function
    that a chapter's code cells define."""
    import ast

    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                yield node.name, ast.dump(ast.Module(body=body, type_ignores=[]))


def test_no_helper_is_written_out_in_two_chapters():
    """A helper that two chapters need belongs in the package (mlpcore, or mlpcourse.prose for
    the numbers in the prose), with a test, not in two copies that can drift apart."""
    where = {}
    for path in NOTEBOOKS:
        for name, body in _chapter_functions(path):
            where.setdefault(body, set()).add((path.stem, name))
    repeated = [sorted(places) for places in where.values()
                if len({chapter for chapter, _ in places}) > 1 and frozenset(places) not in SHARED_ON_PURPOSE]
    assert not repeated, f"the same function is defined in several chapters: {repeated}"
