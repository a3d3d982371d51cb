"""The exercise checks, one module per chapter, and the helpers they share.

The checks of a chapter live in the module named after it
(``ch03_activation_functions.py``), registered with
:func:`mlpcourse.exercises.exercise`; they are imported when their chapter is
checked. A check receives the student's answer (a value, or a stand-in for the
student's function that replays its calls on the exercise's ``inputs``) and raises
:class:`~mlpcourse.exercises.Failure` with a message naming the first failing input, the expected
value and the value given. Every reference here is computed independently of the
reference solution in the book (central differences, a fine grid, brute force),
so a check never compares an answer with itself.
"""

import numpy as np

from mlpcore.gradcheck import numerical_gradient

from ..exercises import Failure, exercise

__all__ = ["Failure", "exercise", "require_function", "require_network", "calls", "compare_arrays", "compare_function",
           "compare_value", "derivative", "slope_by_output", "gradient", "cases", "single", "as_number", "as_count",
           "as_parts", "per_layer", "loops_over"]


# helpers ----------------------------------------------------------------------------


def _fmt(x):
    return np.array2string(np.asarray(x), precision=6, separator=", ", threshold=20)


def require_function(answer, what="a function"):
    """Fail unless the answer can be called: ``what`` names the function asked for."""
    if not callable(answer):
        raise Failure(f"expected {what}, got {type(answer).__name__}")


def require_network(answer, sizes):
    """Fail unless the answer is an ``mlpcore.MLP`` with layer sizes ``sizes``."""
    from mlpcore.network import MLP

    if not isinstance(answer, MLP):
        raise Failure(f"expected an mlpcore.MLP, got {type(answer).__name__}")
    if tuple(answer.sizes) != tuple(sizes):
        raise Failure(f"expected a network of sizes {list(sizes)}, got {list(answer.sizes)}")


def as_number(got, where, what="a number"):
    """A real number from any real type: Python's, numpy's (a scalar or a 0-d array) and the exact
    ones (SymPy, ``Fraction``, ``Decimal``, which the harness sends as their nearest float). Anything
    else (None, a bool, a string, an array of several numbers) fails, naming ``where``."""
    if got is None:
        raise Failure(f"{where}: expected {what}, got None (missing return?)")
    if isinstance(got, (bool, np.bool_, str, bytes)) or np.ndim(got) != 0:
        raise Failure(f"{where}: expected {what}, got {got!r}"[:300])
    try:
        return float(got)
    except (TypeError, ValueError):
        raise Failure(f"{where}: expected {what}, got {got!r}"[:300]) from None


def as_count(got, where, what="a whole number"):
    """A whole number from any real type (3, 3.0, ``np.int64(3)``, ``np.array(3)``), as an int."""
    value = as_number(got, where, what)
    if not value.is_integer():
        raise Failure(f"{where}: expected {what}, got {got!r}"[:300])
    return int(value)


def as_parts(got, n, where, names):
    """The answer as a list of ``n`` parts, from a tuple, a list or an array whose first axis has
    ``n`` entries; ``names`` say what the parts are in the message when it is none of those."""
    if isinstance(got, np.ndarray) and got.ndim >= 1 and len(got) == n:
        return list(got)
    if not isinstance(got, (tuple, list)) or len(got) != n:
        raise Failure(f"{where}: expected {n} parts ({', '.join(names)}) in a tuple or a list, got {got!r}"[:400])
    return list(got)


def compare_arrays(got, expected, where, rtol=1e-6, atol=1e-9, hint=None):
    """The answer ``got`` against ``expected``: shape first, then values within ``rtol``
    and ``atol``; the message names the input (``where``) and ``hint(got)`` may add to it."""
    expected = np.asarray(expected)
    if got is None:
        raise Failure(f"for {where} the answer is None (missing return?)")
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise Failure(f"for {where}: expected an array of shape {expected.shape}, got {got!r}") from None
    if got.shape != expected.shape:
        raise Failure(f"for {where}: expected shape {expected.shape}, got shape {got.shape}")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        extra = hint(got) if hint is not None else ""
        raise Failure(f"for {where}: expected {_fmt(expected)}, got {_fmt(got)}{extra}")
    return got


def per_layer(got, expected, where, kind, compare):
    """The list ``got`` of one gradient per layer against ``expected``: its length, then
    ``compare(got_l, expected_l, l)`` layer by layer (l from 1). A list in reverse order (layer L
    first, as the backward pass meets them) is named as such rather than as a wrong shape."""
    if got is None or isinstance(got, (str, bytes)) or not hasattr(got, "__len__") or len(got) != len(expected):
        raise Failure(f"{where}: expected a list of {len(expected)} {kind} gradients, one per layer, got {got!r}"[:400])
    got = list(got)
    if len(got) > 1:
        def agree(a, b):
            return np.shape(a) == np.shape(b) and np.allclose(np.asarray(a, dtype=float), b, rtol=1e-4, atol=1e-7)

        try:
            reverse = all(agree(g, e) for g, e in zip(got[::-1], expected))
            forward = all(agree(g, e) for g, e in zip(got, expected))
        except (TypeError, ValueError):
            reverse = forward = False
        if reverse and not forward:
            raise Failure(f"{where}: the {kind} gradients are right but in reverse order: the list should start "
                          "with layer 1, next to the input (the backward pass meets them from layer L down; "
                          "reverse the list before returning it)")
    for l, (g, e) in enumerate(zip(got, expected), start=1):
        compare(g, e, l)


def loops_over(source, positions):
    """The lines of the function ``source`` (its text) with a Python loop (``for``, ``while``, a
    comprehension, ``map``) over the arguments at ``positions``, their length or their rows: how a
    check tells that a computation asked for "without a loop over samples" has one. Loops over
    other things (the layers) are not counted. [] when the source is unknown or does not parse."""
    import ast

    if not source:
        return []
    try:
        tree = ast.parse(textwrap_dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return []
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    derived = {params[i] for i in positions if i < len(params)}

    def mentions(expr):  # X or N, but not X.shape[1] (a loop over units, not samples)
        if (isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Attribute) and expr.value.attr == "shape"
                and isinstance(expr.slice, ast.Constant) and expr.slice.value != 0):
            return False
        if isinstance(expr, ast.Name):
            return expr.id in derived
        return any(mentions(child) for child in ast.iter_child_nodes(expr))

    for node in ast.walk(fn):  # the number of samples under another name: N = len(X), n = X.shape[0]
        if isinstance(node, ast.Assign) and mentions(node.value) and any(
                isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "len"
                or isinstance(v, ast.Attribute) and v.attr in ("shape", "size") for v in ast.walk(node.value)):
            for target in node.targets:
                derived.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))

    lines = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.For, ast.AsyncFor)) and mentions(node.iter):
            lines.append(node.lineno)
        elif isinstance(node, ast.comprehension) and mentions(node.iter):
            lines.append(node.iter.lineno)
        elif isinstance(node, ast.While) and mentions(node.test):
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("map", "vectorize", "apply_along_axis")
              and any(mentions(a) for a in node.args)):
            lines.append(node.lineno)
    return sorted(set(lines))


def textwrap_dedent(text):
    import textwrap

    return textwrap.dedent(text)


def _copy(x):
    return x.copy() if hasattr(x, "copy") else x  # arrays, networks, lists; numbers as they are


def calls(answer, inputs, what, where):
    """``(args, got, place)`` for each argument tuple in ``inputs``: the function ``answer``
    (:func:`require_function` with ``what``) called on copies of the arguments, so that it
    cannot change them for the reference, and ``place = where(*args)``, the words that name
    this input in a message ("for z=0.5"). An answer that returns None fails at once."""
    require_function(answer, what)
    for args in inputs:
        place = where(*args)
        got = answer(*(_copy(a) for a in args))
        if got is None:
            raise Failure(f"{place}: the function returned None (missing return?)")
        yield args, got, place


def compare_function(answer, reference, inputs, rtol=1e-6, atol=1e-9, arg="z"):
    """``answer(x)`` against ``reference(x)`` for each one-argument tuple ``(x,)`` in ``inputs``."""
    require_function(answer)
    for (x,) in inputs:
        got = answer(_copy(x))
        compare_arrays(got, reference(x), f"{arg}={_fmt(x)}", rtol=rtol, atol=atol)


def compare_value(answer, expected, rtol=1e-6, atol=1e-12, reveal=False):
    """A number (or array) ``answer`` against ``expected``, within ``rtol`` and ``atol``.

    For an exercise whose answer is a value, the message says how it is wrong (the shape, the sign,
    a simple factor, too large or too small, which entries) and never what it should be: pasting
    the expected value would pass. ``reveal=True`` names the expected value, for a function's answer
    on one of the grader's inputs, where the caller says which input."""
    if np.ndim(expected) == 0:
        answer = as_number(answer, "the answer")
    elif answer is None or np.ndim(answer) != np.ndim(expected):
        raise Failure(f"expected an array of shape {np.shape(expected)}, got {answer!r}"[:300])
    if np.allclose(answer, expected, rtol=rtol, atol=atol):
        return
    if reveal:
        raise Failure(f"expected {_fmt(expected)}, got {_fmt(answer)}")
    raise Failure(f"{_fmt(answer)} is not right: {_how_wrong(np.asarray(answer, dtype=float), expected, rtol, atol)}")


_FACTORS = {2.0: "twice", 0.5: "half", 4.0: "four times", 0.25: "a quarter of", 10.0: "ten times",
            0.1: "a tenth of", 3.0: "three times", 1 / 3: "a third of"}


def _how_wrong(got, expected, rtol, atol):
    """How ``got`` differs from ``expected``, in words that do not give ``expected`` away."""
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return f"the shape should be {expected.shape}, not {got.shape}"
    if not np.all(np.isfinite(got)):
        return "it holds inf or nan"
    if np.allclose(got, -expected, rtol=rtol, atol=atol):
        return "the sign is flipped"
    for factor, words in _FACTORS.items():
        if np.allclose(got, factor * expected, rtol=rtol, atol=atol):
            return f"it is {words} the right value"
    if got.ndim == 0:
        return "too large" if got > expected else "too small"
    wrong = [tuple(int(i) for i in idx) for idx in np.argwhere(~np.isclose(got, expected, rtol=rtol, atol=atol))]
    named = ", ".join(str(w[0] if len(w) == 1 else w) for w in wrong[:6])
    return f"{len(wrong)} of its {got.size} entries are off: {named}{', ...' if len(wrong) > 6 else ''}"


def derivative(f, h=1e-6):
    """Central difference of f, elementwise: an independent reference for f'."""
    return lambda z: (f(np.asarray(z, dtype=float) + h) - f(np.asarray(z, dtype=float) - h)) / (2 * h)


def slope_by_output(f, f_inverse):
    """Seung's phi, f' written as a function of the output y = f(z): phi(y) = f'(f^{-1}(y)),
    with f' from central differences (an independent reference)."""
    return lambda y: derivative(f)(f_inverse(y))


def gradient(fn, P, h=1e-6):
    """Central differences of the scalar function ``fn`` in every entry of ``P`` (on a float
    copy of it): an independent reference for a gradient, by :func:`mlpcore.gradcheck.numerical_gradient`."""
    return numerical_gradient(fn, np.array(P, dtype=float), h)


def cases(rng, low=-4.0, high=4.0, fixed=(0.5, -2.0, 3.0)):
    """Fixed scalars and arrays, then seeded random arrays of several shapes."""
    result = [np.float64(v) for v in fixed] + [np.linspace(low, high, 9)]
    result += [rng.uniform(low, high, size=s) for s in [(5,), (2, 3)]]
    return result


def single(values):
    """One-argument input tuples, ``[(x,) for x in values]``: the ``inputs`` of a function of one argument."""
    return [(x,) for x in values]
