"""What runs inside the student's kernel: call an answer on given inputs and write
down what came out as plain data.

This module imports nothing from the course, so that the grader can send its
source text into a kernel (and a submission that edits the installed file changes
nothing the grader runs). Everything crosses the kernel boundary as JSON of this
form, and :func:`decode` turns it back into numbers, arrays, lists, tuples,
dicts, networks and strings, never into code:

- ``None``, booleans, ints, floats (NaN and infinities included) and strings as they are;
- ``{"__array__": dtype, "shape": [...], "data": [...]}`` for an ndarray of booleans,
  integers or floats; ``{"__scalar__": dtype, "value": v}`` for a numpy scalar;
- ``{"__list__": [...]}``, ``{"__tuple__": [...]}``, ``{"__dict__": [[key, value], ...]}``;
- ``{"__mlp__": {...}}`` for an ``mlpcore.MLP``: sizes, activation names and
  parameters, loss, dtype, weights and biases (nothing of its methods);
- an exact real number (SymPy's, ``Fraction``, ``Decimal``, mpmath's: anything outside numpy
  that converts with ``float``) as its nearest float;
- ``{"__object__": type name, "callable": bool}`` for anything else.
"""

import json

MAX_ITEMS = 20_000_000  # numbers in one answer: a bigger one is refused, not shipped
MAX_DEPTH = 32


class TooLarge(ValueError):
    """The answer holds more numbers than the grader accepts."""


def encode(x, _budget=None, _depth=0):
    """``x`` as plain JSON data (arrays, scalars, containers and networks tagged by kind;
    anything else as an opaque stand-in); :class:`TooLarge` past the size budget."""
    import numpy as np

    budget = _budget if _budget is not None else [MAX_ITEMS]
    if _depth > MAX_DEPTH:
        raise TooLarge(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if x is None or type(x) in (bool, str):
        return x
    if type(x) is int:
        return x if abs(x) < 2**63 else float(x)
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        budget[0] -= x.size
        if budget[0] < 0:
            raise TooLarge(f"the answer holds more than {MAX_ITEMS} numbers")
        a = np.array(x, copy=True).view(np.ndarray)
        return {"__array__": a.dtype.str, "shape": list(a.shape), "data": a.ravel().tolist()}
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return {"__scalar__": x.dtype.str, "value": x.item()}
    if type(x) in (list, tuple):
        budget[0] -= len(x)
        if budget[0] < 0:
            raise TooLarge(f"the answer holds more than {MAX_ITEMS} numbers")
        items = [encode(v, budget, _depth + 1) for v in x]
        return {"__list__" if type(x) is list else "__tuple__": items}
    if type(x) is dict and all(type(k) in (str, int) for k in x):
        return {"__dict__": [[k, encode(v, budget, _depth + 1)] for k, v in x.items()]}
    kind = type(x)
    if kind.__name__ == "MLP" and kind.__module__.startswith("mlpcore"):
        return {"__mlp__": {
            "sizes": [int(n) for n in x.sizes],
            "activation": [x.activation.name, encode(dict(x.activation.params), budget, _depth + 1)],
            "output_activation": [x.output_activation.name,
                                  encode(dict(x.output_activation.params), budget, _depth + 1)],
            "loss": x.loss_fn.name,
            "dtype": np.dtype(x.dtype).str,
            "weights": [encode(np.asarray(W), budget, _depth + 1) for W in x.weights],
            "biases": [encode(np.asarray(b), budget, _depth + 1) for b in x.biases],
        }}
    if (not callable(x) and hasattr(kind, "__float__") and kind.__module__.split(".")[0] != "numpy"
            and not isinstance(x, complex)):
        try:
            value = float(x)  # (7 - sqrt(33))/2 in SymPy, Fraction(1, 3), ...
        except Exception:  # a symbol, or an expression that is not a real number
            pass
        else:
            return value
    return {"__object__": kind.__name__, "callable": callable(x)}


class Opaque:
    """Stands for an object that cannot cross as data; its class carries the type's name."""

    callable_ = False

    def __repr__(self):
        return f"<{type(self).__name__} object>"


class OpaqueCallable(Opaque):
    def __call__(self, *args, **kwargs):  # never called: the grader calls answers in the kernel
        raise TypeError(f"{type(self).__name__} cannot be called here")


def _mlp(spec):
    import numpy as np

    from mlpcore import MLP, activations

    act = activations.get(spec["activation"][0], **decode(spec["activation"][1]))
    out = activations.get(spec["output_activation"][0], **decode(spec["output_activation"][1]))
    net = MLP(spec["sizes"], activation=act, output_activation=out, loss=spec["loss"],
              dtype=np.dtype(spec["dtype"]))
    for l, (W, b) in enumerate(zip(spec["weights"], spec["biases"]), start=1):
        net.weights[l] = decode(W)
        net.biases[l] = decode(b)
    return net


def decode(obj):
    """The value that :func:`encode` wrote down."""
    import numpy as np

    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        dtype = np.dtype(obj["__array__"])
        if dtype.kind not in "biuf":
            raise ValueError(f"unexpected dtype {dtype}")
        return np.array(obj["data"], dtype=dtype).reshape(obj["shape"])
    if "__scalar__" in obj:
        return np.dtype(obj["__scalar__"]).type(obj["value"])
    if "__list__" in obj:
        return [decode(v) for v in obj["__list__"]]
    if "__tuple__" in obj:
        return tuple(decode(v) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {k: decode(v) for k, v in obj["__dict__"]}
    if "__mlp__" in obj:
        return _mlp(obj["__mlp__"])
    if "__object__" in obj:
        base = OpaqueCallable if obj.get("callable") else Opaque
        return type(str(obj["__object__"])[:100], (base,), {})()
    raise ValueError(f"not an encoded value: keys {sorted(obj)[:5]}")


def _raised(exc):
    try:
        message = str(exc)
    except BaseException:  # a student's exception whose __str__ fails
        message = "(its message could not be read)"
    return [type(exc).__name__[:100], message[:4000]]


def _source(fn, limit=100_000):
    """The source text of the function ``fn`` (a check may read how it computes), or None."""
    try:
        import inspect

        text = inspect.getsource(fn)
    except BaseException:  # a builtin, a lambda typed at a prompt, a callable object
        return None
    return text[:limit] if isinstance(text, str) else None


def collect(answer, inputs):
    """What the grader needs of ``answer``: its value (``inputs`` None), or, for each
    argument tuple in ``inputs`` (encoded), what the call returned or raised and the
    arguments after the call (a function may change them in place), and its source text."""
    if inputs is None:
        return {"kind": "value", "value": encode(answer)}
    record = {"kind": "calls", "callable": callable(answer), "type": type(answer).__name__[:100], "calls": []}
    if not record["callable"]:
        return record
    record["source"] = _source(answer)
    budget = [MAX_ITEMS]
    for encoded_args in inputs:
        args = decode(encoded_args)
        try:
            result = answer(*args)
        except BaseException as exc:  # KeyboardInterrupt and SystemExit too: the student's code raised them
            entry = {"raised": _raised(exc)}
        else:
            try:
                entry = {"result": encode(result, budget)}
            except TooLarge:
                raise
            except BaseException as exc:
                entry = {"raised": _raised(exc)}
        try:
            entry["after"] = encode(args, budget)
        except TooLarge:
            raise
        except BaseException:
            entry["after"] = None
        record["calls"].append(entry)
    return record


def collect_to_file(namespace, name, inputs_path, out_path):
    """In the kernel: the answer called ``name`` in ``namespace``, collected into ``out_path`` (JSON)."""
    inputs = None
    if inputs_path is not None:
        with open(inputs_path) as f:
            inputs = json.load(f)
    try:
        answer = namespace[name]
    except KeyError:
        record = {"kind": "unavailable", "raised": ["NameError", f"name {name!r} is not defined"]}
    else:
        try:
            record = collect(answer, inputs)
        except TooLarge as exc:
            record = {"kind": "unavailable", "raised": ["TooLarge", str(exc)]}
    with open(out_path, "w") as f:
        json.dump(record, f)
