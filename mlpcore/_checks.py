"""Argument checks shared by the modules: each raises a ValueError or TypeError
whose message names the argument, what was expected and what was given."""

import numbers

import numpy as np


def as_array(value, name, dtype):
    """``value`` as a finite numeric array of ``dtype``."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__} ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(dtype, copy=False)
    if arr.size and arr.dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            total = arr.sum()  # one pass: nan or inf whenever an entry is (or when large entries overflow)
        if not np.isfinite(total):
            bad = np.argwhere(~np.isfinite(arr))
            if len(bad):
                at = tuple(int(i) for i in bad[0])
                raise ValueError(f"{name} must be finite, got {arr[at]} at index {at}")
    return arr


def _number(value, name, kind=numbers.Real, what="a real number"):
    # True and False are Integral to Python, never a number to the caller
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def positive_number(value, name):
    value = _number(value, name)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be > 0 and finite, got {value}")
    return float(value)


def nonnegative_number(value, name):
    value = _number(value, name)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be >= 0 and finite, got {value}")
    return float(value)


def fraction(value, name):
    """A real number in [0, 1), such as a decay rate beta."""
    value = _number(value, name)
    if not 0 <= value < 1:  # nan fails this too
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def integer(value, name, low, high=None):
    value = _number(value, name, numbers.Integral, "an integer")
    if value < low or (high is not None and value > high):
        limits = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {limits}, got {value}")
    return int(value)


def gradients_for(net, grads):
    """``grads``, once checked to hold a gradient of the shape of each of ``net``'s weights and biases
    (what ``net.gradients`` returns; ``net.step`` and an optimizer's ``step`` take nothing else)."""
    if not (hasattr(grads, "weights") and hasattr(grads, "biases")):
        raise TypeError(f"grads must be the Gradients returned by gradients(), got {type(grads).__name__}")
    for name, params, nabla in (("weights", net.weights, grads.weights), ("biases", net.biases, grads.biases)):
        shapes, given = [p.shape for p in params], [np.shape(x) for x in nabla]
        if shapes != given:
            raise ValueError(f"grads.{name} must have shapes {shapes}, got {given}")
    return grads
