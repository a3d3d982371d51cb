"""Hatch build hook: the wheel carries the chapters as students get them, solutions out.

A student's install (``pip install "mlpcore[check] @ git+<course>@<ref>"``, the student
CI's) needs the chapters to release and check notebooks: their exercises, which are
checked and the names the checks read. It must not need, and so does not get, the
reference solutions. This hook writes each ``book/*.ipynb`` through
:func:`mlpcourse.release.student_version` (solution code replaced by stubs, written
solutions removed) into ``mlpcourse/book/`` of the wheel. An editable install (the
instructor's checkout, ``pip install -e .``) is left alone: it reads ``book/`` itself,
solutions included, which the grader needs to flag pasted reference solutions.

mlpcourse's package ``__init__`` imports numpy; the build environment has only what
``[build-system] requires`` lists, so release.py is imported as a submodule of a bare
stand-in package (release.py and notebook.py need nbformat and PyYAML only).
"""

import importlib
import shutil
import sys
import tempfile
import types
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _release_module(root):
    name = "_mlpcourse_at_build"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(Path(root) / "mlpcourse")]
        sys.modules[name] = package
    return importlib.import_module(f"{name}.release")


class StudentBook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        if self.target_name != "wheel" or version == "editable":
            return
        import nbformat

        release = _release_module(self.root)
        self._folder = Path(tempfile.mkdtemp(prefix="mlpcourse-student-book-"))
        for path in sorted((Path(self.root) / "book").glob("*.ipynb")):
            nb = release.student_version(release.read(path), name=path.name)
            target = self._folder / path.name
            nbformat.write(nb, str(target))
            build_data["force_include"][str(target)] = f"mlpcourse/book/{path.name}"
        # the bibliography: a chapter released from the installed course cites "Author (year)", not a key
        build_data["force_include"][str(Path(self.root) / "book" / "references.bib")] = "mlpcourse/book/references.bib"

    def finalize(self, version, build_data, artifact_path):
        folder = getattr(self, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
