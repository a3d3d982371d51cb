"""Write the student version of chapters, in two stages.

1. :func:`student_version`: solutions out, stubs in. For each exercise the written
   solution (the markdown between ``{solution-start}`` and ``{solution-end}``) is
   removed, the solution code between the nbgrader markers becomes
   ``raise NotImplementedError("exercise <label>: ...")`` (an exercise whose check
   reads a value first sets that name to ``NotImplemented``), and the outputs of
   solution and check cells are cleared. Other code cells inside a solution block
   are removed. A written exercise (one without a check) gets, where its solution
   stood, a Markdown cell for the answer (:func:`mlpcourse.notebook.written_cell_source`,
   stamped ``{"mlpcore": {"written": label}}``), and, if its solution had code, an
   empty code cell for optional code. Everything else, outputs included, is kept.
   The notebook's metadata records its exercises, so that the checker can tell when
   exercise cells were deleted or moved. The output still is the book's MyST.
2. :func:`readable`: the MyST becomes Markdown that any CommonMark front end
   (JupyterLab, VS Code) reads like the website: exercise directives become a bold
   heading with the exercise's number and title (the cell stamped
   ``{"mlpcore": {"exercise": label}}``), other directives their plain equivalents,
   glued numbers the values stored in the notebook's outputs, and roles (``{ref}``,
   ``{doc}``, ``{cite}``, ...) text or links to the website. Dollar math stays.
   ``from myst_nb import glue`` becomes ``from mlpcourse.prose import glue``, so
   that the notebook runs without myst-nb.

:func:`release` applies both and writes the notebooks; both stages are idempotent, so
a released notebook released again comes out the same.
"""

import ast
import os
import re
import secrets
import shutil
import textwrap
from ast import literal_eval
from pathlib import Path

import nbformat
import yaml

from .notebook import BEGIN, EXERCISE, check_calls, read, source, structure, stub, tag, written_cell_source

__all__ = ["DEFAULT_SITE_URL", "student_version", "readable", "released_code", "release", "site_url", "exercise_number",
           "toc_entries", "toc_chapters", "BookInfo"]

DEFAULT_SITE_URL = "https://mlp-course.github.io/mlps-verified/"
START_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{solution-start\}\s+(\S+)")
END_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{solution-end\}")
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*$")


def exercise_number(stem, k):
    """The number the website gives the ``k``-th exercise (from 1) of the chapter ``stem``:
    "6.7" for the 7th of ``06_backprop_chain_rule``, "A.2" in the appendix (no number in front)."""
    digits = re.match(r"\d+", stem)
    return f"{int(digits.group()) if digits else 'A'}.{k}"


# stage 1: solutions out, stubs in ------------------------------------------------------------


def _solution_segments(text, inside):
    """Split one markdown cell at the solution blocks; ``inside`` carries the state across cells.
    Returns (segments, inside): a segment is ("text", kept text), ("start", label) or ("end", None)."""
    segments, kept, skip_fence = [], [], False

    def flush():
        if "\n".join(kept).strip():
            segments.append(("text", "\n".join(kept).strip("\n")))
        kept.clear()

    for line in text.splitlines():
        if skip_fence:
            skip_fence = False
            if FENCE.match(line):
                continue
        start = START_LINE.match(line)
        if start and not inside:
            flush()
            inside = True
            segments.append(("start", start.group(2)))
            continue
        if END_LINE.match(line) and inside:
            inside, skip_fence = False, True
            segments.append(("end", None))
            continue
        if not inside:
            kept.append(line)
    flush()
    return segments, inside


def _value_name(label, check_source):
    """The name a value exercise's check reads (``check("<label>", name)``), or None for an
    exercise whose answer is a function (or that has no registered check)."""
    try:
        from .exercises import find
    except ImportError:  # the wheel's build hook imports this module without numpy: read the checks' source
        inputs = _declared_inputs(label)
    else:
        try:
            inputs = find(label).inputs
        except KeyError:
            return None
    if inputs is not None:
        return None
    return next((name for lab, name in check_calls(check_source) if lab == label and name), None)


def _declared_inputs(label):
    """What ``@exercise("<label>", inputs=...)`` in ``checks/*.py`` gives as inputs, read from the source:
    None for a value exercise, the expression's text for a function's, "unknown" for no such check."""
    for path in sorted((Path(__file__).resolve().parent / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "exercise" and node.args
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value == label):
                given = [k.value for k in node.keywords if k.arg == "inputs"] + node.args[1:2]
                if not given or (isinstance(given[0], ast.Constant) and given[0].value is None):
                    return None
                return ast.unparse(given[0])
    return "unknown"


def _binds_before_solution(code, name):
    """Whether the code above a cell's solution block already gives ``name`` a value (a starter the
    solution completes, such as a network whose weights the student sets): the stub keeps it."""
    head = code.split(BEGIN, 1)[0]
    return re.search(rf"^[ \t]*{re.escape(name)}\b(\s*,\s*\w+)*\s*(:[^=]*)?=(?!=)", head, re.M) is not None


def _new_cell(kind, text, cell_id):
    """A new cell with an id made from ``cell_id`` (so that releasing twice gives the same notebook),
    not random as nbformat's."""
    cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(text)
    cell["id"] = re.sub(r"[^A-Za-z0-9_-]", "-", cell_id)[-64:]
    return cell


def _answer_cell(label, number):
    cell = _new_cell("markdown", written_cell_source(label, number), f"written-{label}")
    cell.metadata["mlpcore"] = {"written": label}
    return cell


def _optional_code_cell(label, number):
    return _new_cell("code", f"# (optional) code for exercise {number}", f"code-{label}")


def student_version(nb, name="notebook", stem=None):
    """A copy of ``nb`` with every solution replaced by a stub, and every written exercise given a
    Markdown answer cell. ``stem`` (default: the file name in ``name``) numbers the exercises."""
    nb = nbformat.from_dict(nb)  # a deep copy
    stem = stem or Path(str(name)).stem
    exercises = structure(nb)
    labels = [e["label"] for e in exercises]
    number = {label: exercise_number(stem, k) for k, label in enumerate(labels, start=1)}
    stated = {e["label"] for e in exercises if e["cell"] is not None}
    written = {e["label"] for e in exercises if e["check"] is None and e["label"] in stated}
    solution_of = {e["solution"]: e["label"] for e in exercises if e["solution"] is not None}
    check_of = {e["check"]: e["label"] for e in exercises if e["check"] is not None}
    value_name = {e["label"]: _value_name(e["label"], source(nb.cells[e["check"]]))
                  for e in exercises if e["check"] is not None and e["solution"] is not None}
    cells, inside, block, current = [], False, None, None
    had_code = set()  # written exercises whose solution had code cells
    for i, cell in enumerate(nb.cells):
        text = source(cell)
        if cell.cell_type == "markdown":
            found = EXERCISE.findall(text)
            current = found[-1] if found else current
            segments, inside = _solution_segments(text, inside)
            first = True
            for kind, value in segments:
                if kind == "text":
                    if first:
                        cell.source = value
                        cell.pop("attachments", None)
                        cells.append(cell)
                        first = False
                    else:  # text after a solution block, in the same cell
                        cells.append(_new_cell("markdown", value, f"{cell.get('id', 'cell')}-{len(cells)}"))
                elif kind == "start":
                    block = value
                    if value in written:
                        cells.append(_answer_cell(value, number[value]))
                elif block in had_code:  # the end of a written solution that had code
                    cells.append(_optional_code_cell(block, number[block]))
                    had_code.discard(block)
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        label = solution_of.get(i)
        if label is None and BEGIN in text:
            label = (block if inside else None) or current or "unlabelled"
        if label in written or (inside and block in written):
            had_code.add(label if label in written else block)
            continue  # the code of a written solution: the student writes their own
        if label is not None:
            name = value_name.get(label)
            cell.source = stub(text, label, value_name=None if name and _binds_before_solution(text, name) else name)
            cell.metadata["mlpcore"] = {"solution": label}
        elif inside:
            continue  # a code cell that is part of a written solution: leave it out
        if label is not None or i in check_of or check_calls(text):
            cell.outputs, cell.execution_count = [], None
            if i in check_of:
                cell.metadata["mlpcore"] = {"check": check_of[i]}
        cells.append(cell)
    if inside:
        raise ValueError(f"{name}: a {{solution-start}} block is never closed by {{solution-end}}")
    nb.cells = _answer_cells_for_every_written_exercise(cells, written, number, had_code)
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):  # cell ids came with nbformat 4.5
        for cell in nb.cells:
            cell.pop("id", None)
    nb.metadata["mlpcore"] = {
        "exercises": labels,
        "checked": [e["label"] for e in exercises if e["check"] is not None],
    }
    return nb


def _answer_cells_for_every_written_exercise(cells, written, number, had_code):
    """A written exercise without a solution block (or whose code stood outside it) still gets its
    answer cell, after its statement, and its optional code cell after that."""
    answered = {tag(c)[1] for c in cells if c.cell_type == "markdown" and tag(c) and tag(c)[0] == "written"}
    for label in sorted(written - answered):
        at = next(k for k, c in enumerate(cells) if c.cell_type == "markdown" and label in _labels(c)) + 1
        cells.insert(at, _answer_cell(label, number[label]))
    for label in sorted(had_code):  # code of a written exercise that stood outside its solution block
        at = next(k for k, c in enumerate(cells) if tag(c) == ("written", label)) + 1
        cells.insert(at, _optional_code_cell(label, number[label]))
    return cells


def _labels(cell):
    stamped = tag(cell)
    return EXERCISE.findall(source(cell)) + ([stamped[1]] if stamped and stamped[0] == "exercise" else [])


# stage 2: MyST -> Markdown that any front end reads ----------------------------------------------

OPEN_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}[ \t]*(?P<arg>.*)$")
OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^[ \t]*\((?P<label>[^()\s]+)\)=[ \t]*$")
COMMENT = re.compile(r"^[ \t]*%")
# a role {name}`content`, or a code span (left alone); the leftmost wins, as in CommonMark
INLINE = re.compile(r"(?P<role>\{[A-Za-z][\w:.+-]*\})?(?P<ticks>`+)(?P<body>.+?)(?<!`)(?P=ticks)(?!`)", re.S)
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
MYST_GLUE_IMPORT = re.compile(r"^(?P<indent>[ \t]*)from[ \t]+myst_nb[ \t]+import[ \t]+glue\b", re.M)
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
               "seealso", "admonition", "margin", "sidebar", "topic", "dropdown", "card", "epigraph")
TEX_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327",
               "v": "\u030c", "=": "\u0304", ".": "\u0307", "u": "\u0306", "H": "\u030b"}


def site_url(config=None):
    """The website's address (``html.baseurl`` of ``_config.yml``, ending in "/"): the course's
    ``_config.yml`` by default, :data:`DEFAULT_SITE_URL` where there is none (an installed course)."""
    from . import course

    config = Path(config) if config else course.book_dir().parent / "_config.yml"
    url = None
    if config.is_file():
        data = yaml.safe_load(config.read_text()) or {}
        url = (data.get("html") or {}).get("baseurl")
    url = url or DEFAULT_SITE_URL
    return url if url.endswith("/") else url + "/"


def _detex(text):
    """Bib text as plain text: accents (``{\\"u}`` -> ü), braces and ``~`` taken out."""
    text = re.sub(r"\\([\"'`^~=.]|[cvuH](?=[\s{]))\s*\{?\\?([A-Za-z])\}?",
                  lambda m: m.group(2) + TEX_ACCENTS[m.group(1)], text)
    text = text.replace("~", " ").replace("{", "").replace("}", "").replace("\\&", "&")
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def parse_bib(text):
    """{key: {field: value}} of a BibTeX file, read minimally: ``@type{key, field = {...} or "..." or bare}``."""
    entries = {}
    for match in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        if match.group(1).lower() in ("comment", "string", "preamble"):
            continue
        fields, pos = {}, match.end()
        while True:
            field = re.compile(r"\s*(\w+)\s*=\s*").match(text, pos)
            if not field:
                break
            pos = field.end()
            if text[pos] == "{":  # a braced value, braces nested
                depth, start = 0, pos
                while pos < len(text):
                    depth += {"{": 1, "}": -1}.get(text[pos], 0)
                    pos += 1
                    if depth == 0:
                        break
                value = text[start + 1:pos - 1]
            elif text[pos] == '"':  # a quoted value; braces inside may hold a quote
                depth, start = 0, pos + 1
                pos += 1
                while pos < len(text) and not (text[pos] == '"' and depth == 0):
                    depth += {"{": 1, "}": -1}.get(text[pos], 0)
                    pos += 1
                value = text[start:pos]
                pos += 1
            else:  # a number or a macro name
                bare = re.compile(r"[^,}\s]*").match(text, pos)
                value, pos = bare.group(), bare.end()
            fields[field.group(1).lower()] = value
            comma = re.compile(r"\s*,").match(text, pos)
            if not comma:
                break
            pos = comma.end()
        entries[match.group(2)] = fields
    return entries


def _cite_text(entry, key):
    """"Author (year)": Seung (2002), Glorot and Bengio (2010), Rumelhart et al. (1986)."""
    people = entry.get("author") or entry.get("editor")
    if people:
        names = []
        for person in re.split(r"\s+and\s+", people.strip()):
            person = person.strip()
            if person.startswith("{") and person.endswith("}"):
                names.append(_detex(person))
            elif "," in person:
                names.append(_detex(person.split(",", 1)[0]))
            else:
                names.append(_detex(person).split(" ")[-1])
        who = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
    else:
        who = _detex(entry.get("key") or entry.get("title") or key)  # BibTeX's label for an entry without author
    year = _detex(entry.get("year", ""))
    return f"{who} ({year})" if year else who


class BookInfo:
    """What the readable stage needs to know about the other pages of a book folder: each page's title,
    the number of every exercise, the bibliography, and files that a ``{literalinclude}`` quotes."""

    def __init__(self, folder=None, site=None, page_prefix="book/"):
        from . import course

        self.folder = Path(folder) if folder is not None else course.book_dir()
        self.site = site or site_url()
        self.page_prefix = page_prefix
        self._titles, self._numbers, self._bib = None, None, None

    def page(self, docname, anchor=None):
        """The website's address of page ``docname`` (relative to the chapters' folder, or from the site's root
        with a leading "/"), at ``anchor``."""
        docname = docname.lstrip("/") if docname.startswith("/") else self.page_prefix + docname
        return f"{self.site}{docname}.html" + (f"#{anchor}" if anchor else "")

    def title(self, docname):
        """The title of page ``docname`` (its first heading), or its name where the page is not in the folder."""
        if self._titles is None:
            self._titles = {}
            for path in sorted(self.folder.glob("*.ipynb")) + sorted(self.folder.glob("*.md")):
                try:
                    if path.suffix == ".md":
                        text = path.read_text()
                    else:
                        cells = read(path).cells
                        text = next((source(c) for c in cells if c.cell_type == "markdown"), "")
                except (OSError, ValueError):
                    continue
                heading = re.search(r"^#\s+(.+?)\s*$", text, re.M)
                if heading:
                    self._titles[path.stem] = heading.group(1)
        stem = docname.rstrip("/").rsplit("/", 1)[-1]
        return self._titles.get(stem) or stem.replace("_", " ").strip().capitalize()

    def exercise(self, label):
        """(page stem, number) of exercise ``label`` in the book folder, or None."""
        if self._numbers is None:
            self._numbers = {}
            for path in sorted(self.folder.glob("*.ipynb")):
                try:
                    found = structure(read(path))
                except (OSError, ValueError):
                    continue
                for k, e in enumerate(found, start=1):
                    self._numbers.setdefault(e["label"], (path.stem, exercise_number(path.stem, k)))
        return self._numbers.get(label)

    def cite(self, key):
        """"Author (year)" of the bibliography's entry ``key`` (the key itself if the entry is unknown)."""
        if self._bib is None:
            from . import course

            self._bib = {}
            for folder in (self.folder, course.book_dir()):
                path = folder / "references.bib"
                if path.is_file():
                    self._bib = parse_bib(path.read_text())
                    break
        entry = self._bib.get(key)
        return _cite_text(entry, key) if entry is not None else key

    def include(self, path):
        """The text of a file that a ``{literalinclude}`` names (relative to the book folder), or None.
        Outside a checkout, a path into an installed package (``../mlpcore/network.py``) is found there."""
        candidate = (self.folder / path).resolve()
        if candidate.is_file():
            return candidate.read_text()
        parts = [p for p in Path(path).parts if p not in ("..", ".")]
        if len(parts) > 1:
            import importlib.util

            try:
                spec = importlib.util.find_spec(parts[0])
            except (ImportError, ValueError):
                spec = None
            for root in (spec.submodule_search_locations or []) if spec else []:
                candidate = Path(root).joinpath(*parts[1:])
                if candidate.is_file():
                    return candidate.read_text()
        return None


def glue_values(nb):
    """{name: {mime type: data}}: what each ``glue(name, ...)`` call of the notebook stored in its output."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            scrap = output.get("metadata", {}).get("scrapbook", {})
            if output.get("output_type") != "display_data" or "name" not in scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            data = {mime[len(prefix):] if prefix and mime.startswith(prefix) else mime: value
                    for mime, value in output.get("data", {}).items()}
            values[scrap["name"]] = {m: v if isinstance(v, str) else "".join(v) for m, v in data.items()}
    return values


def _format_plain(text, spec):
    """MyST-NB's ``{glue:text}`name:spec``` formatting of a stored text/plain value."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


class _Readable:
    """The conversion of one notebook's Markdown, with what it needs: its exercises' numbers,
    its glued values and the book around it."""

    def __init__(self, nb, stem, book):
        self.stem, self.book = stem, book
        self.glued = glue_values(nb)
        self.numbers = {e["label"]: exercise_number(stem, k) for k, e in enumerate(structure(nb), start=1)}
        self.stated = []  # the labels of exercises stated in the cell being converted

    # blocks

    def markdown(self, text):
        lines, out, plain = text.split("\n"), [], []

        def flush():
            if plain:
                out.append(self.inline("\n".join(plain).strip("\n")))
                plain.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            opened = OPEN_FENCE.match(line)
            if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
                flush()
                close = re.compile(rf"^[ \t]*{re.escape(opened['fence'][0])}{{{len(opened['fence'])},}}[ \t]*$")
                j = next((k for k in range(i + 1, len(lines)) if close.match(lines[k])), len(lines))
                body = lines[i + 1:j]
                directive = DIRECTIVE.match(opened["info"].strip())
                if directive:
                    out.append(self.directive(directive["name"], directive["arg"].strip(), body).strip("\n"))
                else:  # a code block: verbatim
                    out.append("\n".join(lines[i:j + 1]))
                i = j + 1
                continue
            if line.strip().startswith("$$"):  # display math: verbatim, no roles inside
                flush()
                rest = line.strip()[2:]
                one_line = "$$" in rest  # $$ x $$ on one line (perhaps with a label after it)
                j = i if one_line else next((k for k in range(i + 1, len(lines)) if "$$" in lines[k]), len(lines) - 1)
                out.append("\n".join(self.math_block(lines[i:j + 1])))
                i = j + 1
                continue
            if TARGET.match(line) or COMMENT.match(line):
                i += 1  # a target (label)= or a MyST comment: nothing to show
                continue
            plain.append(line)
            i += 1
        flush()
        # blocks apart by one blank line (a code block's own blank lines stay)
        return "\n\n".join(part for part in out if part.strip())

    @staticmethod
    def math_block(lines):
        """A ``$$ ... $$`` block, without MyST's equation label ``$$ (label)``."""
        last = re.sub(r"(\$\$)[ \t]*\([^()]*\)[ \t]*$", r"\1", lines[-1])
        return lines[:-1] + [last]

    def directive(self, name, arg, body):
        options, k = {}, 0
        if body and body[0].strip() == "---":  # options as a YAML block
            end = next((n for n in range(1, len(body)) if body[n].strip() == "---"), None)
            if end is not None:
                try:
                    options = {str(a): str(b) for a, b in (yaml.safe_load("\n".join(body[1:end])) or {}).items()}
                except (yaml.YAMLError, AttributeError):
                    options = {}
                k = end + 1
        while k < len(body) and OPTION.match(body[k]):
            option = OPTION.match(body[k])
            options[option["key"]] = option["value"].strip()
            k += 1
        content = "\n".join(body[k:]).strip("\n")
        kind = name.split(":", 1)[0]
        if name == "exercise":
            label = options.get("label")
            if label:
                self.stated.append(label)
            number = self.numbers.get(label) or (self.book.exercise(label) or (None, "?"))[1]
            title = self.inline(arg)
            heading = f"**Exercise {number}" + (f" ({title})**" if title else "**")
            return heading + "\n\n" + self.markdown(content)
        if name in ("solution", "solution-start"):
            target = options.get("label") or arg
            number = self.numbers.get(target) or (self.book.exercise(target) or (None, ""))[1]
            heading = f"**Solution to Exercise {number}**" if number else "**Solution**"
            return heading + "\n\n" + self.markdown(content)
        if name == "solution-end":
            return ""
        if name == "math":
            return "$$\n" + content + "\n$$"
        if name in ("figure", "image"):
            alt = options.get("alt") or (self.markdown(content) if name == "figure" else "") or arg
            caption = self.markdown(content) if name == "figure" and content else ""
            return f"![{alt}]({arg})" + (f"\n\n*{caption}*" if caption else "")
        if kind == "glue":
            return self.glue(name, arg, options.get("format", ""), block=True)
        if name == "literalinclude":
            return self.literalinclude(arg, options)
        if name in ("code-cell", "code", "code-block", "sourcecode"):
            language = arg or options.get("language", "")
            return f"```{language}\n{content}\n```"
        if name in ("raw", "toctree", "tableofcontents", "only", "bibliography"):
            return ""
        if name in ("glossary", "table", "list-table", "tab-set", "tab-item", "div", "container", "grid", "grid-item"):
            return (f"**{self.inline(arg)}**\n\n" if arg else "") + self.markdown(content)
        if kind == "prf":
            title = name.split(":", 1)[1].capitalize() + (f" ({self.inline(arg)})" if arg else "")
            return self.quote(title, content)
        if name == "admonition":
            return self.quote(self.inline(arg) or "Note", content)
        title = self.inline(arg) if arg else (name.capitalize() if name in ADMONITIONS else "")
        if name == "seealso" and not arg:
            title = "See also"
        return self.quote(title, content)

    def quote(self, title, content):
        """A blockquote with a bold title: how an admonition reads in plain Markdown."""
        text = (f"**{title}**\n\n" if title else "") + self.markdown(content)
        return "\n".join("> " + line if line.strip() else ">" for line in text.split("\n"))

    def literalinclude(self, path, options):
        text = self.book.include(path)
        if text is None:
            return f"*(the code of `{path}`{', `' + options['pyobject'] + '`' if 'pyobject' in options else ''})*"
        lines = text.splitlines()
        if "pyobject" in options:
            node, scope = ast.parse(text), None
            for part in options["pyobject"].split("."):
                scope = next((n for n in ast.iter_child_nodes(node)
                              if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                              and n.name == part), None)
                if scope is None:
                    break
                node = scope
            if scope is not None:
                first = min([scope.lineno] + [d.lineno for d in scope.decorator_list])
                lines = lines[first - 1:scope.end_lineno]
        if "lines" in options:
            chosen = []
            for piece in options["lines"].split(","):
                a, _, b = piece.strip().partition("-")
                chosen += lines[int(a) - 1:int(b or a)]
            lines = chosen
        if "dedent" in options:
            n = int(options["dedent"] or 0)
            if n:  # Sphinx's dedent: n characters off every line
                lines = [line[n:] if not line[:n].strip() else line.lstrip() for line in lines]
            else:
                lines = textwrap.dedent("\n".join(lines)).split("\n")
        language = options.get("language", "python" if path.endswith(".py") else "")
        return f"```{language}\n" + "\n".join(lines) + "\n```"

    # inline

    def inline(self, text):
        return INLINE.sub(lambda m: self.role(m["role"][1:-1], m["body"]) if m["role"] else m.group(), text)

    def role(self, name, body):
        explicit = EXPLICIT.match(body)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, body.strip())
        kind = name.split(":", 1)[0]
        if kind == "glue":
            key, _, spec = target.partition(":") if name in ("glue:text", "glue:md") else (target, "", "")
            if name == "glue:md":
                spec = ""
            return self.glue(name, key, spec)
        if kind == "cite":
            keys = [k.strip() for k in target.split(",") if k.strip()]
            return "; ".join(f"[{self.book.cite(k)}]({self.book.page('references')})" for k in keys)
        if name in ("ref", "numref"):
            found = (self.stem, self.numbers[target]) if target in self.numbers else self.book.exercise(target)
            if found:
                default = f"Exercise {found[1]}"
                shown = text.replace("%s", found[1]).replace("{number}", found[1]) if text else default
                return f"[{shown}]({self.book.page(found[0], target)})"
            return text or target
        if name == "doc":
            return f"[{text or self.book.title(target)}]({self.book.page(target)})"
        if name == "eq":
            return text or f"({target})"
        if name == "math":
            return f"${body}$"
        if name in ("code", "kbd", "file", "samp", "command", "literal"):
            return f"`{body}`"
        if name == "abbr":
            return re.sub(r"\s*\([^()]*\)\s*$", "", body)
        if name == "sub":
            return f"<sub>{body}</sub>"
        if name == "sup":
            return f"<sup>{body}</sup>"
        if name == "download" and explicit:
            return f"[{text}]({target})"
        return text or target  # {term}, {index}, {sup}, ...: the text

    def glue(self, name, key, spec="", block=False):
        data = self.glued.get(key)
        if data is None:
            return f"`{key}`"  # not computed in this copy of the notebook: its name, not MyST
        if name == "glue:text":
            return _format_plain(data.get("text/plain", ""), spec)
        if name == "glue:math":
            latex = data.get("text/latex", data.get("text/plain", "")).strip().strip("$")
            return f"$$\n{latex}\n$$" if block else f"${latex}$"
        for mime in ("text/markdown", "text/latex", "text/plain"):
            if mime in data:
                value = data[mime].strip() if block else data[mime].strip().replace("\n", " ")
                return _format_plain(value, "") if mime == "text/plain" else value
        return f"`{key}`"


def released_code(text):
    """A code cell's source as :func:`readable` writes it: the myst-nb glue import becomes mlpcourse.prose's."""
    return MYST_GLUE_IMPORT.sub(r"\g<indent>from mlpcourse.prose import glue", text)


def readable(nb, stem, site_url=None, book=None):
    """A copy of ``nb`` whose Markdown reads like the website in any CommonMark front end, and whose code
    runs without myst-nb. ``stem`` numbers the exercises ("6.3"), ``site_url`` is the website that links
    point to (default: :func:`site_url`), ``book`` the folder of the book's other pages, for their titles,
    exercise numbers and bibliography (a :class:`BookInfo`, a folder, or None for the course's book)."""
    nb = nbformat.from_dict(nb)
    info = book if isinstance(book, BookInfo) else BookInfo(book, site_url)
    if site_url:
        info.site = site_url if site_url.endswith("/") else site_url + "/"
    converter = _Readable(nb, stem, info)
    for cell in nb.cells:
        text = source(cell)
        if cell.cell_type == "code":
            cell.source = released_code(text)
            continue
        if cell.cell_type != "markdown":
            continue
        converter.stated = []
        cell.source = converter.markdown(text)
        stamped = tag(cell)
        if converter.stated and not stamped:
            cell.metadata["mlpcore"] = {"exercise": converter.stated[0]}
    return nb


# the books and the command ------------------------------------------------------------------


def toc_entries(book):
    """The file entries of ``book``/_toc.yml (root first), without extensions, in order."""
    toc = yaml.safe_load((Path(book) / "_toc.yml").read_text())
    entries = [toc["root"]]
    for part in toc.get("parts", []):
        stack = list(part.get("chapters", []))
        while stack:
            entry = stack.pop(0)
            entries.append(entry["file"])
            stack.extend(entry.get("sections", []))
    return entries


def toc_chapters(book):
    """The notebooks listed in ``book``/_toc.yml, in order."""
    paths = [Path(book) / f"{entry}.ipynb" for entry in toc_entries(book)]
    return [p for p in paths if p.is_file()]


def _site_for(path):
    """The website of the book that ``path`` belongs to: the ``_config.yml`` beside its folder, else the course's."""
    for folder in (Path(path).resolve().parent, Path(path).resolve().parent.parent):
        if (folder / "_config.yml").is_file():
            return site_url(folder / "_config.yml")
    return site_url()


def _has_solutions(nb):
    return any(BEGIN in source(c) or "{solution-start}" in source(c) for c in nb.cells)


def release(notebooks, out):
    """Write the student version of each notebook, readable, into ``out``; return the paths written.
    Nothing is written unless every notebook could be released: the notebooks are written into a
    temporary folder beside ``out`` and moved in at the end (other files in ``out`` are left alone)."""
    out = Path(out)
    done, books = [], {}
    for path in notebooks:
        path = Path(path)
        nb = student_version(read(path), name=str(path))
        folder = path.resolve().parent
        if folder not in books:
            books[folder] = BookInfo(folder, _site_for(path))
        nb = readable(nb, path.stem, book=books[folder])
        target = out / path.name
        if target.resolve() == path.resolve() and _has_solutions(read(path)):
            raise ValueError(f"{path}: releasing it into {out} would overwrite it, solutions and all; "
                             "choose another --out")
        done.append((target, nb))
    created = None  # the first folder that release creates, to remove again if writing fails
    for parent in reversed([out, *out.parents]):
        if not parent.exists():
            created = parent
            break
    out.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkdtemp: its folder is private (0700), and it becomes ``out``
    temporary = out.parent / f".{out.name}.release-{os.getpid()}-{secrets.token_hex(4)}"
    temporary.mkdir()
    try:
        for target, nb in done:
            nbformat.write(nb, str(temporary / target.name))
        if not out.exists():
            os.replace(temporary, out)
        else:
            for target, _ in done:
                os.replace(temporary / target.name, target)
    except BaseException:
        if created is not None and created != out:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return [target for target, _ in done]
