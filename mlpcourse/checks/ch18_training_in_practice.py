"""Checks of chapter 18, training in practice: dropping weights, dropout's moments, a weight-decay sweep."""

import itertools

import numpy as np

from mlpcore.gradcheck import numerical_gradient
from mlpcore.network import MLP
from mlpcore.optimizers import Adam

from . import Failure, _fmt, as_parts, calls, compare_arrays, exercise, per_layer

# --- ex-tp-dropconnect: the gradients of a network whose weights are dropped --------------------


def _one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


def _dropconnect_cases(rng):
    """(net, X, Y, masks, keep): softmax and cross-entropy networks of one and two hidden layers,
    masks D^l_W of the shape of W^l (a dictionary by layer), some weights dropped in every layer."""
    specs = [([3, 4, 2], "tanh", 0.5), ([4, 5, 3, 3], "sigmoid", 0.8),
             ([2, 6, 3], "tanh", float(rng.uniform(0.3, 0.9)))]
    cases = []
    for i, (sizes, activation, keep) in enumerate(specs):
        net = MLP(sizes, activation=activation, output_activation="softmax", loss="cross_entropy", seed=i + 1)
        for l in range(1, net.L + 1):
            net.biases[l] = rng.normal(scale=0.5, size=sizes[l])
        masks = {}
        for l in range(1, net.L + 1):
            M = (rng.random(net.weights[l].shape) < keep).astype(float)
            M.flat[0], M.flat[-1] = 0.0, 1.0  # at least one weight dropped and one kept
            masks[l] = M
        N = int(rng.integers(2, 7))
        cases.append((net, rng.normal(size=(N, sizes[0])), _one_hot(rng, N, sizes[-1]), masks, keep))
    return cases


def _masked_cross_entropy(net, Ws, bs, X, Y, masks, keep):
    """The cross-entropy of the network with the dropped weights W^l D^l_W / keep, written out."""
    A = X
    for l in range(1, net.L + 1):
        Z = A @ (Ws[l - 1] * masks[l] / keep).T + bs[l - 1]
        A = Z if l == net.L else net.activation_of(l).f(Z)
    top = A.max(axis=1, keepdims=True)
    log_p = A - top - np.log(np.exp(A - top).sum(axis=1, keepdims=True))
    return float(-np.sum(Y * log_p) / len(X))


def _dropconnect_reference(net, X, Y, masks, keep):
    """Central differences of the masked loss in every weight and bias (no backpropagation)."""
    Ws = [np.array(W, dtype=float) for W in net.weights]
    bs = [np.array(b, dtype=float) for b in net.biases]

    def loss(_):
        return _masked_cross_entropy(net, Ws, bs, X, Y, masks, keep)

    return ([numerical_gradient(loss, W, h=1e-6) for W in Ws], [numerical_gradient(loss, b, h=1e-6) for b in bs])


@exercise("ex-tp-dropconnect", inputs=_dropconnect_cases)
def _dropconnect(answer, inputs):
    def where(net, X, Y, masks, keep):
        return f"for an MLP of sizes {list(net.sizes)} ({net.activation.name}), {len(X)} samples, keep={keep:.3g}"

    for (net, X, Y, masks, keep), got, place in calls(
            answer, inputs, "a function dropconnect_gradients(net, X, Y, masks, keep)", where):
        if type(got).__name__ == "Gradients":
            raise Failure(f"{place}: return the pair (weight_grads, bias_grads) of two lists, not a Gradients object")
        weight_grads, bias_grads = as_parts(got, 2, place, ["weight_grads", "bias_grads"])
        ref_w, ref_b = _dropconnect_reference(net, X, Y, masks, keep)

        def hint_for(l, masks=masks, keep=keep, ref_w=ref_w):  # bound now: the loop moves on
            def hint(g):
                M = masks[l]
                if g.shape == M.shape and np.any(g[M == 0] != 0):
                    return (" (weights with mask 0 were not used in the forward pass, so their gradient is 0: "
                            "multiply by the mask)")
                for factor, words in ((keep, "keep"), (1 / keep, "1/keep")):
                    if np.allclose(g, factor * ref_w[l - 1], rtol=1e-5, atol=1e-8):
                        return f" (off by a factor {words}: the chain rule through W^l D^l_W / keep gives D^l_W / keep)"
                return ""
            return hint

        def compare_w(g, e, l, place=place, hint_for=hint_for):
            compare_arrays(g, e, f"{place.removeprefix('for ')}: dL/dW^{l}", rtol=1e-5, atol=1e-8, hint=hint_for(l))

        def compare_b(g, e, l, place=place):
            compare_arrays(g, e, f"{place.removeprefix('for ')}: dL/db^{l}", rtol=1e-5, atol=1e-8)

        per_layer(weight_grads, ref_w, place, "weight", compare_w)
        per_layer(bias_grads, ref_b, place, "bias", compare_b)


# --- ex-tp-dropout-moments: mean and variance of the next layer under dropout -----------------


def _moment_cases(rng):
    """(a, W, b, keep): small layers (all masks can be enumerated), zeros in a, keep = 1 and 0.5."""
    cases = [(np.array([1.0, -2.0]), np.array([[1.0, 1.0], [0.5, -3.0]]), np.array([0.0, 1.0]), 0.5),
             (np.array([0.0, 2.0, 1.0]), np.array([[1.0, 2.0, -1.0]]), np.array([0.3]), 1.0),
             (np.array([0.7, 0.0, -1.5, 2.0]), rng.normal(size=(3, 4)), rng.normal(size=3), 0.8)]
    for _ in range(3):
        n, m = int(rng.integers(1, 9)), int(rng.integers(1, 5))
        a = np.abs(rng.normal(size=n)) * (rng.random(n) < 0.8)  # ReLU-like: some zeros
        cases.append((a, rng.normal(size=(m, n)), rng.normal(size=m), float(rng.uniform(0.2, 0.95))))
    return cases


def _moments_by_enumeration(a, W, b, keep):
    """Mean and variance of W (a d / keep) + b over all 2^n masks d, each with its probability."""
    d = np.array(list(itertools.product([0.0, 1.0], repeat=len(a))))
    p = np.prod(np.where(d == 1.0, keep, 1.0 - keep), axis=1)
    z = (a * d / keep) @ W.T + b
    mean = p @ z
    return mean, p @ (z - mean) ** 2


@exercise("ex-tp-dropout-moments", inputs=_moment_cases)
def _dropout_moments(answer, inputs):
    for (a, W, b, keep), got, place in calls(
            answer, inputs, "a function dropout_moments(a, W, b, keep)",
            lambda a, W, b, keep: f"for a={_fmt(a)}, W of shape {W.shape}, keep={keep:.3g}"):
        mean, variance = as_parts(got, 2, place, ["mean", "variance"])
        expected_mean, expected_var = _moments_by_enumeration(a, W, b, keep)

        def variance_hint(g, a=a, W=W, keep=keep):  # bound now: the loop moves on
            spread = (1 - keep) / keep * a**2
            if np.allclose(g, np.abs(W) @ spread, rtol=1e-9, atol=1e-12) or np.allclose(
                    g, (W @ (np.sqrt(spread))) ** 2, rtol=1e-9, atol=1e-12):
                return " (the variances of independent terms add with their factors squared: W_ij^2)"
            if keep < 1 and np.allclose(g, (1 - keep) * (W**2 @ a**2), rtol=1e-9, atol=1e-12):
                return " (the variance of a_j d_j / keep has a factor 1/keep more)"
            return ""

        compare_arrays(mean, expected_mean, place.removeprefix("for ") + " (the mean)", rtol=1e-9, atol=1e-12)
        compare_arrays(variance, expected_var, place.removeprefix("for ") + " (the variance)", rtol=1e-9,
                       atol=1e-12, hint=variance_hint)


# --- ex-tp-decay-sweep: a seeded, bracketed sweep of the weight decay --------------------------


def _classes(rng, n, w):
    """n samples of 4 features and their one-hot classes from a noisy linear rule w."""
    X = rng.normal(size=(n, 4))
    return X, np.eye(3)[np.argmax(X @ w + rng.normal(scale=0.7, size=(n, 3)), axis=1)]


def _sweep_cases(rng):
    """(X, Y, X_val, Y_val, sizes, omegas, seeds, epochs, lr): one sweep whose lowest mean tends to
    lie inside, one whose decays are all too large (its best is at the small end: None)."""
    w = rng.normal(size=(4, 3))
    X, Y = _classes(rng, 24, w)
    X_val, Y_val = _classes(rng, 24, w)
    return [(X, Y, X_val, Y_val, [4, 10, 3], [1e-4, 0.03, 3.0], [0, 1], 15, 0.05),
            (X, Y, X_val, Y_val, [4, 10, 3], [1.0, 3.0, 10.0], [2, 3], 15, 0.05)]


def _sweep_reference(X, Y, X_val, Y_val, sizes, omegas, seeds, epochs, lr):
    """The validation and training losses of every run, by omega (rows) and seed (columns)."""
    val, fit = np.zeros((len(omegas), len(seeds))), np.zeros((len(omegas), len(seeds)))
    for i, omega in enumerate(omegas):
        for j, seed in enumerate(seeds):
            net = MLP(sizes, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=seed)
            net.fit(X, Y, epochs=epochs, optimizer=Adam(lr=lr, weight_decay=omega))
            val[i, j], fit[i, j] = net.loss(X_val, Y_val), net.loss(X, Y)
    return val, fit


@exercise("ex-tp-decay-sweep", inputs=_sweep_cases)
def _decay_sweep(answer, inputs):
    def where(X, Y, X_val, Y_val, sizes, omegas, seeds, epochs, lr):
        return f"for omegas={omegas}, seeds={seeds}, {epochs} epochs"

    for args, got, place in calls(
            answer, inputs, "a function decay_sweep(X, Y, X_val, Y_val, sizes, omegas, seeds, epochs, lr)", where):
        omegas = args[5]
        means, spreads, best = as_parts(got, 3, place, ["means", "spreads", "best"])
        val, fit = _sweep_reference(*args)
        n = val.shape[1]

        def means_hint(g, fit=fit):  # bound now: the loop moves on
            if np.allclose(g, fit.mean(axis=1), rtol=1e-6, atol=1e-9):
                return " (these are the training losses: the sweep must read the validation set)"
            return ""

        def spreads_hint(g, n=n, val=val):
            if n > 1 and np.allclose(g, val.std(axis=1, ddof=1), rtol=1e-6, atol=1e-9):
                return " (np.std's default, ddof=0, is asked for, not ddof=1)"
            return ""

        where_ = place.removeprefix("for ")
        compare_arrays(means, val.mean(axis=1), where_ + " (the means)", rtol=1e-6, atol=1e-9, hint=means_hint)
        compare_arrays(spreads, val.std(axis=1), where_ + " (the spreads)", rtol=1e-6, atol=1e-7, hint=spreads_hint)
        k = int(np.argmin(val.mean(axis=1)))
        expected = omegas[k] if 0 < k < len(omegas) - 1 else None
        if expected is None:
            if best is not None:
                end = "smallest" if k == 0 else "largest"
                raise Failure(f"{place}: the lowest mean is at the {end} omega, an end of the sweep, so best must "
                              f"be None (a {'smaller' if k == 0 else 'larger'} omega might do better), got {best!r}")
            continue
        if best is None:
            raise Failure(f"{place}: the lowest mean lies inside the sweep (a smaller and a larger omega did worse), "
                          "so best must be that omega, got None")
        try:
            chosen = float(best)
        except (TypeError, ValueError):
            raise Failure(f"{place}: best must be one of omegas or None, got {best!r}"[:300]) from None
        if chosen != expected:
            tie = chosen in omegas and abs(val.mean(axis=1)[list(omegas).index(chosen)] - val.mean(axis=1)[k]) <= (
                1e-9 * abs(val.mean(axis=1)[k]))
            if not tie:
                raise Failure(f"{place}: best must be the omega with the lowest mean validation loss, "
                              f"{expected:g}, got {best!r}")
