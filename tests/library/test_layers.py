"""mlpcore reads bottom to top: no module imports one above it, and the imports have no
circle, counting the imports inside functions too."""

import ast
from pathlib import Path

import mlpcore

PACKAGE = Path(mlpcore.__file__).parent
# bottom to top; a module may import its own layer's modules and the ones below
LAYERS = [
    {"_checks", "_npz", "activations"},
    {"losses", "_inplace", "data", "optimizers"},
    {"network"},
    {"training", "gradcheck", "io", "plot"},
]
# MLP.fit is the one method of the network that hands over to a layer above it: training.fit,
# imported when fit is called (training itself imports nothing of the network)
DELEGATIONS = {("network", "training")}


def imports(name):
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlpcore."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("mlpcore.")}
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set().union(*LAYERS)


def test_no_module_imports_one_above_it():
    layer = {m: i for i, group in enumerate(LAYERS) for m in group}
    upward = {(m, dep) for m in layer for dep in imports(m) if layer[dep] > layer[m]}
    assert upward == DELEGATIONS


def test_the_imports_have_no_circle():
    graph = {m: imports(m) for group in LAYERS for m in group}

    def reaches(start, goal, seen=()):
        return any(dep == goal or (dep not in seen and reaches(dep, goal, (*seen, dep))) for dep in graph[start])

    circles = [m for m in graph if reaches(m, m)]
    assert not circles, f"modules on an import circle: {circles}"
