"""mlpcore: the small numpy library behind the course "MLPs and backpropagation, verified".

>>> import mlpcore
>>> net = mlpcore.MLP([2, 2, 1], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
>>> net
MLP([2, 2, 1], activation='sigmoid', output_activation='sigmoid', loss='mse')

One way to do each thing: a network trains, saves and loads itself (``net.fit``,
``net.save``, ``mlpcore.MLP.load``); the modules below are the concepts a chapter
reaches for, and ``mlpcore.plot`` draws its figures (matplotlib is imported only
then).
"""

from . import activations, data, gradcheck, losses, optimizers, schedules
from .network import MLP, ForwardPass, Gradients, Layers, assign_flat, flatten
from .training import DivergenceError, History

__version__ = "0.1.0"

__all__ = [
    "MLP", "Layers", "Gradients", "ForwardPass", "flatten", "assign_flat", "History", "DivergenceError",
    "activations", "losses", "gradcheck", "data", "optimizers", "schedules",
]

# Importing the names above binds the modules they come from as attributes of the package; those are
# not part of its surface (the names are), so they are deleted. `import mlpcore.network` still works, and
# `mlpcore.network` after it, through __getattr__.
del network, training, _checks, _inplace, _npz  # noqa: F821  (bound by the imports above)

_SUBMODULES = {"network", "training", "plot"}  # plot: imported when a figure is asked for


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mlpcore' has no attribute {name!r}")


def __dir__():
    return sorted([*__all__, "plot", "__version__"])
