"""Checks of chapter 10, backpropagation as gradient descent.

Every reference is computed without the formulas the chapter derives: the
multipliers of an arctan network as -dE/db^l by central differences (eq. 17),
least-squares slopes by scipy's linregress and on exact power laws, and the
gradient of the cached central differences by backpropagation, with their
multiply-adds from the count written out as a formula.
"""

import numpy as np

from mlpcore import MLP, flatten

from . import (
    Failure,
    _fmt,
    as_count,
    as_parts,
    calls,
    compare_arrays,
    compare_value,
    exercise,
    gradient,
    require_function,
)


def _arctan_inputs(rng):
    """(Ws, bs, x, y): weights and biases as lists indexed by layer (entry 0 None), for networks of one
    to four layers; targets inside arctan's range."""
    cases = []
    for sizes in ([2, 3, 2], [1, 1], [3, 4, 4, 2], [2, 5, 3, 1], [4, 3, 3, 3, 2]):
        Ws = [None] + [rng.normal(0, 0.8, size=(m, n)) for n, m in zip(sizes[:-1], sizes[1:])]
        bs = [None] + [rng.normal(0, 0.5, size=m) for m in sizes[1:]]
        cases.append((Ws, bs, rng.normal(size=sizes[0]), rng.uniform(-1, 1, size=sizes[-1])))
    return cases


def _arctan_E(Ws, bs, x, y):
    a = x
    for W, b in zip(Ws[1:], bs[1:]):
        a = np.arctan(W @ a + b)
    return 0.5 * np.sum((y - a) ** 2)


@exercise("ex-bpgd-dh-dal", inputs=_arctan_inputs)
def _arctan_multipliers(answer, inputs):
    def where(Ws, bs, x, y):
        return f"for a network of sizes {[len(x)] + [len(b) for b in bs[1:]]}, x={_fmt(x)}, y={_fmt(y)}"

    def close(g, e):
        return np.shape(g) == np.shape(e) and np.allclose(np.asarray(g, dtype=float), e, rtol=1e-6, atol=1e-8)

    for (Ws, bs, x, y), got, place in calls(answer, inputs, "a function arctan_multipliers(Ws, bs, x, y)", where):
        L = len(Ws) - 1
        # lambda^l = -dE/db^l (eq. 17), by central differences of E in the biases
        expected = [-gradient(lambda b, l=l, Ws=Ws, bs=bs, x=x, y=y: _arctan_E(Ws, [*bs[:l], b, *bs[l + 1:]], x, y),
                              bs[l]) for l in range(1, L + 1)]
        if isinstance(got, (str, bytes)) or not hasattr(got, "__len__") or len(got) != L:
            raise Failure(f"{place}: expected a list of the {L} multipliers lambda^1, ..., lambda^{L}, "
                          f"got {got!r}"[:400])
        got = list(got)
        if L > 1 and all(close(g, e) for g, e in zip(got[::-1], expected)) and not close(got[0], expected[0]):
            raise Failure(f"{place}: the multipliers are right but in reverse order: the list should start "
                          "with lambda^1, next to the input")
        for l, (g, e) in enumerate(zip(got, expected), start=1):
            if close(g, -e) and not close(g, e):
                raise Failure(f"{place}: lambda^{l} has the wrong sign: Seung's multiplier is "
                              "lambda^l = -dE/db^l = -delta^l")
            compare_arrays(g, e, f"{place.removeprefix('for ')}, lambda^{l}", rtol=1e-6, atol=1e-8)


# exact power laws t = c P^p: the slope is p by construction
_EXACT_POWER_LAWS = [([10, 100, 1000], [2e-6 * P for P in (10, 100, 1000)], 1.0),
                     ([10, 100, 1000], [3e-9 * P**2 for P in (10, 100, 1000)], 2.0),
                     ([3, 7, 50, 400], [5 * P**1.37 for P in (3, 7, 50, 400)], 1.37)]


def _loglog_inputs(rng):
    """(P, t) as arrays: the exact power laws, then noisy ones."""
    data = [(P, t) for P, t, _ in _EXACT_POWER_LAWS]
    for p in (0.3, 1.1, 1.8):
        P = np.geomspace(40, 2e5, 9).round()
        data.append((list(P), list(1e-5 * P**p * np.exp(rng.normal(0, 0.2, P.size)))))
    return [(np.array(P), np.array(t)) for P, t in data]


@exercise("ex-bpgd-loglog-slope", inputs=_loglog_inputs)
def _loglog_slope(answer, inputs):
    from scipy.stats import linregress

    require_function(answer, "a function loglog_slope(P, t)")
    for k, (P, t) in enumerate(inputs):
        if k < len(_EXACT_POWER_LAWS):
            expected = _EXACT_POWER_LAWS[k][2]
        else:  # noisy power laws: the least-squares slope by scipy
            expected = linregress(np.log(P), np.log(t)).slope
        try:
            compare_value(answer(np.array(P), np.array(t)), float(expected), rtol=1e-6, reveal=True)
        except Failure as exc:
            raise Failure(f"for P={_fmt(P)}, t={_fmt(t)}: {exc}") from None


def _fd_inputs(rng):
    """(net, x, y): squared-error networks of one to four layers, with a random sample."""
    nets = [MLP([2, 3, 2], activation="sigmoid", output_activation="sigmoid", loss="squared_error", seed=1),
            MLP([3, 4, 4, 2], activation="tanh", output_activation="identity", loss="squared_error", seed=2),
            MLP([1, 1], activation="sigmoid", output_activation="identity", loss="squared_error", seed=3),
            MLP([2, 5, 3, 3, 1], activation="sigmoid", output_activation="sigmoid", loss="squared_error", seed=4)]
    return [(net, rng.normal(size=net.sizes[0]), rng.uniform(size=net.sizes[-1])) for net in nets]


def _cached_macs(sizes):
    """The products W^k a^{k-1} of one stored forward pass, then two evaluations per parameter of
    layer l, each running layers l..L: P_W + 2 sum_l P_l sum_{k>=l} n_k n_{k-1}."""
    layer = [sizes[l] * sizes[l - 1] for l in range(1, len(sizes))]
    return sum(layer) + 2 * sum((layer[i] + sizes[i + 1]) * sum(layer[i:]) for i in range(len(layer)))


@exercise("ex-bpgd-fd-passes", inputs=_fd_inputs)
def _fd_passes(answer, inputs):
    for (net, x, y), got, where in calls(answer, inputs, "a function cached_central_differences(net, x, y)",
                                         lambda net, x, y: f"for a network of sizes {list(net.sizes)}"):
        grad, macs = as_parts(got, 2, where, ["grad", "macs"])
        # backpropagation is the reference for the gradient (the answer uses differences only)
        compare_arrays(grad, flatten(net.gradients(x, y)), f"{where.removeprefix('for ')}, grad",
                       rtol=1e-5, atol=1e-8)
        macs = as_count(macs, where, "the count macs")
        sizes = list(net.sizes)
        expected = _cached_macs(sizes)
        if macs != expected:
            P_W = sum(sizes[l] * sizes[l - 1] for l in range(1, len(sizes)))
            P = P_W + sum(sizes[1:])
            hint = ""
            if macs in (2 * P * P_W, 2 * P * P_W + P_W):
                hint = (" (that is plain central differences: a nudge of a parameter of layer l needs only "
                        "layers l to L, from the stored a^{l-1})")
            elif macs == expected - P_W:
                hint = " (the one forward pass that stores the activations counts too)"
            raise Failure(f"{where}: expected macs = {expected}, got {macs}{hint}")
