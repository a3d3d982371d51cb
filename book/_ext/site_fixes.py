"""A local Sphinx extension with the website's fixes (registered in _config.yml, sphinx.local_extensions).

Each fix below says what it mends and why; where the cause is upstream, the package and the
version in which the cause was read (requirements.txt pins none of them, so a newer one may have
mended it), what goes wrong without the fix, and when it can be deleted. The stylesheet and the
script that go with them are book/_static/site.css and book/_static/site.js, added to every page
from here. The seven fixes, in this order:

- Scripts: sphinx-thebe 0.3.1 adds its configuration script with ``app.add_js_file(None,
  body=...)``, and in a Jupyter Book 1.0.4 build every page lists it twice (once with the file name
  ``None``, once with ``''``); the browser then stops on the second ``const THEBE_JS_URL``
  ("Identifier has already been declared"), an error on every page. Each script is kept once.
  Delete when a build without it lists the script once (test_page_loads_without_errors, which
  fails on any console error, then passes without it).
- Solutions: the reference solutions' ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines (nbgrader's
  markers, which ``python -m mlpcourse release`` needs in the notebooks) are left out of the code
  cells that the website shows. The book's own choice, not a workaround.
- Exercises: sphinx-exercise 1.2.1 gives the content section of every exercise and every solution the
  same id (``exercise-content``, ``solution-content``: sphinx_exercise/directive.py and
  transforms.py), so a page with several exercises repeats an id. Each gets its own
  (``<exercise label>-content``). Delete when sphinx-exercise gives each section an id of its own.
- Bibliography: docutils 0.21.2's HTML5 writer marks the citation list ``role="list"`` and each entry
  ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1 deprecated and that is not allowed on a
  ``div``: a list whose children are no ``listitem`` (axe-core: aria-required-children, a critical
  finding on book/references.html, and aria-allowed-role). The entries become ``role="listitem"``.
  Delete when docutils writes an allowed role (test_axe_finds_nothing_serious then passes on
  book/references.html without it).
- MathJax: sphinx-mathjax-offline 0.0.2 copies the whole MathJax 3.2.2 distribution (24 MB, nine
  combined bundles of which the pages load one) into ``_static/mathjax``. What is never loaded is
  removed; what the pages and MathJax's own menu load is kept (see MATHJAX_KEPT). Without it the
  site is 24 MB heavier, and nothing breaks. Delete when sphinx-mathjax-offline copies only what
  the pages load; until then MATHJAX_KEPT follows the MathJax it ships
  (test_math_and_figures_render_offline fails if a page needs a file that was removed).
- Icons: pydata-sphinx-theme 0.17.1 loads ``scripts/fontawesome.js`` (1.5 MB) on every page, "so that
  users can add custom icons" (its webpack-macros.html); this book has none, and the theme's
  stylesheet draws every icon it uses from the Font Awesome web fonts. The script is left out:
  without this, every page loads 1.5 MB it does not use. Delete when the theme no longer loads it,
  or when the book adds icons of its own.
- Kernels: ipykernel 7.3 and newer (7.4.0 here) warn "Kernel is running over TCP without
  encryption" once for each kernel started without CurveZMQ keys: a line on the build's stderr for
  every chapter it executes. MyST-NB 1.4.0 gives no setting for the kernels it starts.
  jupyter_client 8.9 and newer (8.10.0 here) provision the keys when a kernel manager's ``transport_encryption`` is
  ``"auto"`` and the kernelspec declares ``supported_encryption: curve`` (ipykernel's does); its
  default is ``"disabled"``. The build makes ``"auto"`` the default of every kernel manager in its
  process (the kernels keep TCP on 127.0.0.1, encrypted; tests/book/test_kernels.py). The IPC
  transport, which would also silence the warning, does not work here: MyST-NB starts each kernel
  in the notebook's folder while the client stays in the book's, so the relative socket names
  ("kernel-ipc-N") never meet. Delete when jupyter_client's default is ``"auto"``, MyST-NB has a
  setting for it, or ipykernel stops warning (test_a_kernel_without_the_fix_is_plain then fails).
"""

import re
from pathlib import Path

from docutils import nodes

STATIC = Path(__file__).resolve().parents[1] / "_static"

# nbgrader's solution markers, alone on their line
SOLUTION_MARKER = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END)[ \t]+SOLUTION\b.*$")

# under _static/mathjax: what the pages load (tex-chtml.js, its fonts and the TeX extensions it
# loads on demand) and what MathJax's context menu can switch on (the SVG renderer; the
# accessibility explorer with its speech rules)
MATHJAX_KEPT = (
    "tex-chtml.js",
    "output/chtml/",
    "output/svg.js",
    "output/svg/",
    "input/tex/extensions/",
    "input/mml.js",
    "a11y/",
    "sre/",
)

FONTAWESOME_SCRIPT = re.compile(
    r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?'
)


def _add_assets(app, config):
    config.html_static_path.append(str(STATIC))
    app.add_css_file("site.css")
    # after the theme's and the extensions' scripts: it takes clicks before togglebutton.js and wraps
    # searchtools.js's Search.htmlToText
    app.add_js_file("site.js", priority=900)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        name = getattr(script, "filename", str(script)) or ""
        attributes = tuple(
            sorted(
                (k, str(v))
                for k, v in getattr(script, "attributes", {}).items()
            )
        )
        if (name, attributes) not in seen:
            seen.add((name, attributes))
            unique.append(script)
    context["script_files"][:] = (
        unique  # the same list object the builder renders from
    )


def _strip_solution_markers(app, doctree):
    """Drop the marker lines from the source of every notebook code cell (MyST-NB's cell_input)."""
    for block in doctree.findall(nodes.literal_block):
        parent = block.parent
        if not (
            isinstance(parent, nodes.container)
            and "cell_input" in parent.get("classes", [])
        ):
            continue
        text = block.astext()
        lines = text.split("\n")
        kept = [line for line in lines if not SOLUTION_MARKER.match(line)]
        if len(kept) != len(lines):
            new = "\n".join(kept)
            block.rawsource = new
            block.children = []
            block += nodes.Text(new)


def _unique_exercise_ids(app, doctree):
    taken = {i for node in doctree.findall(nodes.Element) for i in node["ids"]}
    counter = 0
    for section in doctree.findall(nodes.section):
        ids = section["ids"]
        if ids not in (["exercise-content"], ["solution-content"]):
            continue
        owner = (
            section.parent.get("ids", [])
            if isinstance(section.parent, nodes.Element)
            else []
        )
        label = owner[0] if owner else ids[0]
        new = f"{label}-content"
        while new in taken:
            counter += 1
            new = f"{ids[0]}-{counter}"
        taken.add(new)
        section["ids"] = [new]


def _bibliography_roles(app, pagename, templatename, context, doctree):
    if "body" in context and 'role="doc-biblioentry"' in context["body"]:
        context["body"] = context["body"].replace(
            'role="doc-biblioentry"', 'role="listitem"'
        )


def _trim_outputs(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    mathjax = outdir / "_static" / "mathjax"
    if mathjax.is_dir():
        for path in sorted(mathjax.rglob("*"), reverse=True):
            rel = path.relative_to(mathjax).as_posix()
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            elif not any(
                rel == k or (k.endswith("/") and rel.startswith(k))
                for k in MATHJAX_KEPT
            ):
                path.unlink()
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        trimmed = FONTAWESOME_SCRIPT.sub("", text)
        if trimmed != text:
            page.write_text(trimmed, encoding="utf-8")
    for name in (
        "fontawesome.js",
        "fontawesome.js.map",
        "fontawesome.js.LICENSE.txt",
    ):
        (outdir / "_static" / "scripts" / name).unlink(missing_ok=True)


def _encrypt_kernels():
    """Make CurveZMQ encryption the default of the kernels that this build starts (see the docstring)."""
    from jupyter_client.manager import KernelManager

    KernelManager.transport_encryption.default_value = "auto"


def _singlehtml_falls_back_to_html(app):
    """Give the single-page builder (tools/build_pdf.py) the html handlers it lacks.

    Sphinx (8.x) looks up a builder's node handlers by its name and falls back to its format
    ("html") only when no extension registered any for that name; sphinx-exercise (1.0.x)
    registers its nodes for "singlehtml", so the nodes of every other extension (MyST-NB's and
    sphinx-jupyterbook-latex's HiddenCellNode) have none there and the build stops with
    "unknown node type". Delete when sphinx-exercise registers for the "html" format only, or
    Sphinx merges the two tables.
    """
    handlers = app.registry.translation_handlers
    if app.builder.name == "singlehtml" and "singlehtml" in handlers:
        for node, visit_depart in handlers.get("html", {}).items():
            handlers["singlehtml"].setdefault(node, visit_depart)


def setup(app):
    _encrypt_kernels()
    app.connect("builder-inited", _singlehtml_falls_back_to_html)
    app.connect("config-inited", _add_assets)
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.connect("html-page-context", _bibliography_roles)
    # after sphinx-exercise's own doctree-read handler
    app.connect("doctree-read", _strip_solution_markers, priority=900)
    app.connect("doctree-read", _unique_exercise_ids, priority=900)
    # after sphinx-mathjax-offline has copied MathJax (build-finished, default priority)
    app.connect("build-finished", _trim_outputs, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
