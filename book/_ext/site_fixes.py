"""A local Sphinx extension with one fix for the website.

sphinx-thebe's configuration script is added to every page twice in a
Jupyter Book build (once with the file name ``None``, once with ``''``), and
the browser then stops on the second ``const THEBE_JS_URL`` ("Identifier has
already been declared"). Each script is kept once.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        name = getattr(script, "filename", str(script)) or ""
        attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
        if (name, attributes) not in seen:
            seen.add((name, attributes))
            unique.append(script)
    context["script_files"][:] = unique  # the same list object the builder renders from


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
