"""Save and load a network as a plain ``.npz`` file.

The file holds numbers and strings only: the layer sizes, the names and
constants of the activations, the loss, and the arrays ``W1, b1, ..., WL, bL``.
Loading uses ``allow_pickle=False``, so a file cannot run code.

Example
-------
>>> import mlpcore, tempfile, os
>>> net = mlpcore.MLP([2, 3, 1], seed=1)
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> net.save(path)
>>> bool((mlpcore.load(path).weights[1] == net.weights[1]).all())
True
"""

import json
import zipfile

import numpy as np

FORMAT = "mlpcore-parameters-v1"

__all__ = ["save", "load", "FORMAT"]


def _spec(act):
    return {"name": act.name, "params": act.params}


def save(net, path):
    """Write ``net`` to ``path`` (``.npz``)."""
    meta = {
        "format": FORMAT,
        "sizes": list(net.sizes),
        "activation": _spec(net.activation),
        "output_activation": _spec(net.output_activation),
        "loss": net.loss_fn.name,
        "dtype": net.dtype.name,
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    for l, W in net.weights.items():
        arrays[f"W{l}"], arrays[f"b{l}"] = W, net.biases[l]
    np.savez(path, **arrays)


def load(path):
    """Rebuild the network saved in ``path``; raise ValueError for any other file."""
    from . import activations
    from .network import MLP

    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{path} is not an mlpcore parameter file: it holds one array, not an .npz archive")
        with data:
            contents = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{path} is not an mlpcore parameter file (.npz): {exc}") from None
    except ValueError as exc:  # includes numpy refusing pickled data under allow_pickle=False
        if "mlpcore" in str(exc):
            raise
        raise ValueError(f"{path} is not an mlpcore parameter file, and pickled data is never loaded: {exc}") from None
    if "meta" not in contents:
        raise ValueError(f"{path} is not an mlpcore parameter file: it has no 'meta' entry")
    try:
        meta = json.loads(str(contents["meta"]))
        ok = meta.get("format") == FORMAT
    except (json.JSONDecodeError, AttributeError):
        ok = False
    if not ok:
        raise ValueError(f"{path} is not an mlpcore parameter file: expected format {FORMAT!r}")
    act = meta["activation"]
    out = meta["output_activation"]
    net = MLP(
        meta["sizes"],
        activation=activations.get(act["name"], **act["params"]),
        output_activation=activations.get(out["name"], **out["params"]),
        loss=meta["loss"],
        dtype=meta["dtype"],
    )
    for l in range(1, net.L + 1):
        for key, params in ((f"W{l}", net.weights), (f"b{l}", net.biases)):
            if key not in contents:
                raise ValueError(f"{path} is not a complete mlpcore parameter file: {key} is missing")
            params[l] = contents[key]
    return net
