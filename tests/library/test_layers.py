"""mlpcore reads bottom to top: no module imports one above it, and the imports have no
circle, counting the imports inside functions too. And what one module uses of another's
objects is public: no module reaches into an underscore name of anything but itself."""

import ast
from pathlib import Path

import mlpcore

PACKAGE = Path(mlpcore.__file__).parent
# bottom to top; a module may import its own layer's modules and the ones below
LAYERS = [
    {"_checks", "_npz", "_inplace"},
    {"activations"},
    {"losses", "data", "optimizers", "schedules"},
    {"network"},
    {"training", "gradcheck", "plot"},
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
    return sorted(found)


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


def private_uses(source):
    """``(line, expression)`` of every use of an underscore name (not a dunder) on an object other
    than ``self`` or ``cls``: ``net._batch(X, Y)``, ``optimizer._update``, ``getattr(x, "_f")``."""

    def private(name):
        return name.startswith("_") and not name.endswith("__")

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and private(node.args[1].value)):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_finder_sees_a_private_call():
    source = """
def fit(net, optimizer, X, Y):
    X, Y = net._batch(X, Y)
    optimizer._count()
    getattr(net, "_fused")
    self._views, cls._table, mlpcore.__version__
"""
    assert [use for _, use in private_uses(source)] == ["net._batch", "optimizer._count", "getattr(net, '_fused')"]


def test_no_module_uses_another_objects_private_names():
    """The network's, the losses', the activations' and the optimizers' contract with the rest of the
    package (and with a new loss or optimizer) is their public names: net.check_batch,
    loss.takes_logits, optimizer.bind / begin_step / update, activation.f_into ..."""
    uses = {p.name: private_uses(p.read_text()) for p in sorted(PACKAGE.glob("*.py"))}
    uses = {name: found for name, found in uses.items() if found}
    assert not uses, f"underscore names used from outside their object: {uses}"
