"""Save and load a network as a plain ``.npz`` file.

The file holds numbers and strings only: the layer sizes, the names and
constants of the activations, the loss, and the arrays ``W1, b1, ..., WL, bL``.
Loading uses ``allow_pickle=False``, so a file cannot run code. These are the
function forms of :meth:`mlpcore.network.MLP.save` and :meth:`mlpcore.network.MLP.load`, which
do the work (the file itself is written and read by ``mlpcore/_npz.py``).

Example
-------
>>> import mlpcore, tempfile, os
>>> net = mlpcore.MLP([2, 3, 1], seed=1)
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> mlpcore.save(net, path)
>>> bool((mlpcore.load(path).weights[1] == net.weights[1]).all())
True
"""

from ._npz import FORMAT
from .network import MLP

__all__ = ["save", "load", "FORMAT"]


def save(net, path):
    """Write the network ``net`` to ``path`` (``.npz``)."""
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an mlpcore.MLP, got {type(net).__name__}")
    net.save(path)


def load(path):
    """Rebuild the network saved in ``path``; raise ValueError for any other file."""
    return MLP.load(path)
