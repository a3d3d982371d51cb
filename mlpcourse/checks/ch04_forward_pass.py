"""Checks of chapter 4, the forward pass.

The references here are written independently of the book's solutions: the
forward pass as plain-Python sums over every neuron and weight (``math.exp``,
no matrix products), the notes-convention network from its index table, and the
floats that checkpointing keeps by listing the arrays kept in each segment as a
set, so that an array is counted once.
"""

import math

import numpy as np

from ..exercises import ReplayMiss
from . import Failure, as_count, as_parts, calls, compare_function, compare_value, exercise, require_function, single

# the course notes' 2-2-1 example: W (one row per hidden neuron), b^h, V, b^y
NOTES_W = [[[0.2, 0.4], [0.6, 0.8]], [[0.3, 0.5]]]
NOTES_B = [[0.1, 0.2], [0.4]]


def _sigmoid_sums(W_list, b_list, x):
    """One sample through a sigmoid network, neuron by neuron, weight by weight."""
    a = [float(v) for v in x]
    for W, b in zip(W_list, b_list):
        a = [1.0 / (1.0 + math.exp(-(sum(W[i][j] * a[j] for j in range(len(a))) + b[i])))
             for i in range(len(b))]
    return a


def _reference(W_list, b_list):
    def ref(x):
        x = np.asarray(x)
        if x.ndim == 1:
            return np.array(_sigmoid_sums(W_list, b_list, x))
        return np.array([_sigmoid_sums(W_list, b_list, row) for row in x])

    return ref


def _calling(answer, W_list, b_list):
    """answer(W_list, b_list, x) on copies of the parameters; an exception names the input."""

    def call(x):
        try:
            return answer([W.copy() for W in W_list], [b.copy() for b in b_list], x)
        except (NotImplementedError, ReplayMiss):
            raise
        except Exception as exc:
            kind = "one sample" if np.ndim(x) == 1 else "a batch"
            raise Failure(f"for {kind} x of shape {np.shape(x)}, forward raised "
                          f"{type(exc).__name__}: {exc}") from None

    return call


def _forward_inputs(rng):
    """(W_list, b_list, x): the notes' network first, then random ones of depth 1 to 4; each
    with its fixed inputs, then a random sample, a random batch of 4 and one of 1."""
    networks = [([np.array(W) for W in NOTES_W], [np.array(b) for b in NOTES_B], [np.array([0.5, 0.8])])]
    for depth in [1, 2, 3, 4]:
        sizes = rng.integers(1, 6, size=depth + 1)
        networks.append(([rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])],
                         [rng.normal(size=n) for n in sizes[1:]], []))
    result = []
    for W_list, b_list, fixed in networks:
        n0 = W_list[0].shape[1]
        xs = fixed + [rng.normal(size=n0), rng.normal(size=(4, n0)), rng.normal(size=(1, n0))]
        result += [(W_list, b_list, x) for x in xs]
    return result


@exercise("ex-forward-any-depth", inputs=_forward_inputs)
def _forward_any_depth(answer, inputs):
    require_function(answer, "a function forward(W_list, b_list, x)")
    for W_list, b_list, x in inputs:
        n0 = W_list[0].shape[1]
        shapes = " -> ".join(str(n) for n in [n0] + [W.shape[0] for W in W_list])
        try:
            compare_function(_calling(answer, W_list, b_list), _reference(W_list, b_list), single([x]),
                             rtol=1e-10, atol=1e-12, arg="x")
        except Failure as exc:
            raise Failure(f"network with layer sizes {shapes}: {exc}") from None


@exercise("ex-forward-notes-convention")
def _forward_notes_convention(answer):
    # the exercise's table, indexed as the notes index: w[i][j] from input i to hidden j
    w = [[0.5, -1.0], [0.25, 0.75], [-0.5, 0.2]]
    b_h, v, b_y, x = [0.1, -0.3], [1.5, -2.0], 0.25, [1.0, 2.0, -1.0]
    s = lambda t: 1.0 / (1.0 + math.exp(-t))  # noqa: E731
    h = [s(sum(w[i][j] * x[i] for i in range(3)) + b_h[j]) for j in range(2)]
    y_hat = s(sum(v[j] * h[j] for j in range(2)) + b_y)
    if np.ndim(answer) == 1 and np.size(answer) == 1:
        answer = float(np.asarray(answer)[0])
    compare_value(answer, y_hat, rtol=1e-6)


def _checkpoint_reference(sizes, N, p):
    """(floats, recomputed) by listing the arrays kept while the backward pass is in each segment, as a
    set of (kind, layer) pairs: a checkpoint A^l that a segment also makes is the same pair, counted once."""
    L = len(sizes) - 1
    checkpoints = {("A", l) for l in range(0, L, p)}
    worst, recomputed = 0, 0
    for first in range(1, L + 1, p):
        segment = range(first, min(first + p - 1, L) + 1)
        kept = checkpoints | {("Z", l) for l in segment} | {("A", l) for l in segment}
        worst = max(worst, sum(N * sizes[l] for _, l in kept))
        if L not in segment:
            recomputed += len(segment)
    return worst, recomputed


def _checkpoint_inputs(rng):
    """(sizes, N, p), sizes a list: the chapter's 784-256-10 network, the deep one of the exercise, small
    fixed cases (p = 1, p = L, p > L), then random networks of depth 1 to 8 with every kind of p."""
    deep = [784] + [256] * 16 + [10]
    cases = [([784, 256, 10], 128, 2), ([784, 256, 10], 128, 1), (deep, 128, 3), (deep, 128, 16), ([2, 2, 1], 1, 5),
             ([3, 5, 4, 2], 2, 1)]
    for depth in [1, 2, 3, 5, 8]:
        sizes = [int(n) for n in rng.integers(1, 30, size=depth + 1)]
        cases.append((sizes, int(rng.integers(1, 64)), int(rng.integers(1, depth + 2))))
    return cases


def _double_counted(sizes, N, p):
    """The peak with every checkpoint that a segment makes counted a second time."""
    L = len(sizes) - 1
    starts = list(range(0, L, p))
    held = [2 * sum(sizes[s + 1:min(s + p, L) + 1]) for s in starts]
    return N * (sum(sizes[s] for s in starts) + max(held))


@exercise("ex-forward-stored-floats", inputs=_checkpoint_inputs)
def _forward_stored_floats(answer, inputs):
    for (sizes, N, p), got, place in calls(answer, inputs, "a function checkpointed(sizes, N, p)",
                                           lambda sizes, N, p: f"for sizes={sizes}, N={N}, p={p}"):
        floats, recomputed = as_parts(got, 2, place, ["the floats kept", "the layers recomputed"])
        floats, recomputed = as_count(floats, place, "a whole number of floats"), as_count(recomputed, place)
        expected, expected_recomputed = _checkpoint_reference(sizes, N, p)
        if floats != expected:
            hint = ""
            if N > 1 and floats * N == expected:
                hint = " (that is the count for one sample: every array has N rows)"
            elif floats == _double_counted(sizes, N, p) and p < len(sizes) - 1:
                hint = (" (a checkpoint A^l is also the last activation of the segment before it: count it "
                        "once)")
            raise Failure(f"{place}: expected {expected} floats kept at the worst moment, got {floats}{hint}")
        if recomputed != expected_recomputed:
            layers = f"{expected_recomputed} layer{'s' if expected_recomputed != 1 else ''}"
            raise Failure(f"{place}: the floats are right, but the forward pass runs a second time in {layers}, "
                          f"not {recomputed} (every segment but the last is run again)")
