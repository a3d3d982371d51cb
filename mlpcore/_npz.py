"""The parameter file as plain data: a JSON string ``meta`` and named arrays, in one ``.npz``.

It is read with ``allow_pickle=False``, so a file cannot run code, and anything
that is not such a file is refused with a ValueError that says what it is. What
goes into ``meta`` and the arrays (the network's architecture, ``W1, b1, ...``)
is :meth:`mlpcore.network.MLP.save`'s business; this module only knows the container.
"""

import json
import zipfile

import numpy as np

FORMAT = "mlpcore-parameters-v1"


def write(path, meta, arrays):
    """Write ``meta`` (a JSON-able dict) and ``arrays`` (name -> array) to ``path``."""
    np.savez(path, meta=np.array(json.dumps({"format": FORMAT, **meta})), **arrays)


def read(path):
    """``(meta, arrays)`` from a file written by :func:`write`; a ValueError for any other file."""
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
        meta = json.loads(str(contents.pop("meta")))
        ok = meta.get("format") == FORMAT
    except (json.JSONDecodeError, AttributeError):
        ok = False
    if not ok:
        raise ValueError(f"{path} is not an mlpcore parameter file: expected format {FORMAT!r}")
    return meta, contents
