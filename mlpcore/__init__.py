"""mlpcore: the small numpy library behind the course "MLPs and backpropagation, verified".

>>> import mlpcore
>>> net = mlpcore.MLP([2, 2, 1], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
>>> net
MLP([2, 2, 1], activation='sigmoid', output_activation='sigmoid', loss='mse')
"""

from . import activations, data, gradcheck, losses, optimizers
from .io import load, save
from .network import MLP, ForwardPass, Gradients, Layers, assign_flat, flatten
from .training import DivergenceError, History, fit

__version__ = "0.1.0"

__all__ = [
    "MLP", "Layers", "Gradients", "ForwardPass", "flatten", "assign_flat", "History", "DivergenceError", "fit",
    "load", "save", "activations", "losses", "gradcheck", "data", "optimizers",
]


def __getattr__(name):
    # matplotlib is imported only when a figure is asked for
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'mlpcore' has no attribute {name!r}")
