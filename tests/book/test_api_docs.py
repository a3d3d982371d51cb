"""Every public name of mlpcore carries a docstring (the API reference is built from them)."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

MODULES = ["mlpcore", "mlpcore.activations", "mlpcore.losses", "mlpcore.network", "mlpcore.training",
           "mlpcore.optimizers", "mlpcore.schedules", "mlpcore.gradcheck", "mlpcore.data", "mlpcore.plot", "mlpcourse", "mlpcourse.exercises",
           "mlpcourse.checks", "mlpcourse.grade", "mlpcourse.submission", "mlpcourse.statuses", "mlpcourse.notebook", "mlpcourse.gradebook", "mlpcourse.ci",
           "mlpcourse.course", "mlpcourse.kernel", "mlpcourse.harness", "mlpcourse.samples", "mlpcourse.prose",
           "mlpcourse.lms", "mlpcourse.cluster", "mlpcourse.merge", "mlpcourse.sharding",
           "mlpcourse.points", "mlpcourse.export", "mlpcourse.similarity"]


def public(module):
    for name in getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")]):
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        yield name, obj
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") and (callable(value) or isinstance(value, property)):
                    yield f"{name}.{attr}", value.fget if isinstance(value, property) else value


@pytest.mark.parametrize("name", MODULES)
def test_public_names_are_documented(name):
    module = importlib.import_module(name)
    assert inspect.getdoc(module), f"{name} has no module docstring"
    missing = [n for n, obj in public(module) if not inspect.getdoc(obj)]
    assert not missing, f"{name}: undocumented public names {missing}"


def test_the_api_page_documents_each_module_of_mlpcore_and_no_other():
    page = (Path(__file__).resolve().parents[2] / "book" / "api.md").read_text()
    documented = re.findall(r"^\.\. automodule:: (mlpcore(?:\.\w+)?)\s*$", page, re.M)
    assert documented == [m for m in MODULES if m == "mlpcore" or m.startswith("mlpcore.")]
