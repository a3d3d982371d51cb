"""``python -m pytest tests/library`` needs nothing beyond mlpcore's own dependencies and the two
test tools: every module these tests (and the conftest files pytest reads on the way) import is
the standard library's, mlpcore's, or one of those. (The suite was run so, in a venv holding only
them, when this test was written; this keeps it true without a venv per run.)"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"numpy", "matplotlib", "tqdm", "mlpcore", "pytest", "hypothesis", "_pytest"}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_the_library_tests_import_only_mlpcores_dependencies():
    files = [*sorted((ROOT / "tests" / "library").glob("*.py")), ROOT / "tests" / "conftest.py",
             ROOT / "conftest.py", ROOT / "tools" / "cpu_paths.py"]
    siblings = {f.stem for f in files}  # one test module importing another's helpers
    foreign = {(f.name, name) for f in files for name in _imports(f)
               if name not in ALLOWED | siblings and name not in sys.stdlib_module_names}
    assert not foreign, f"tests/library would need more than mlpcore's dependencies: {sorted(foreign)}"


def test_mlpcores_dependencies_are_those_of_its_package():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip() for d in declared}
    assert names == ALLOWED - {"mlpcore", "pytest", "hypothesis", "_pytest"}
