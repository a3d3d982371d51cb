"""Checks of chapter 15, deep networks and vanishing gradients."""

import numpy as np

from mlpcore import activations
from mlpcore.network import MLP

from . import Failure, _fmt, calls, compare_value, exercise, require_network


def _per_sample_bias_gradient_norms(net, X, Y, h=1e-6):
    """Mean over the samples of ||d loss_n / d b^l||, l = 1..L, by central differences.

    The loss of sample n alone is ``net.loss(X[n:n+1], Y[n:n+1])``, and the
    derivative of that loss with respect to b^l is the sample's delta: this
    reference never runs a backward pass.
    """
    net = net.copy()
    norms = np.zeros(net.L)
    for n in range(len(X)):
        x, y = X[n : n + 1], Y[n : n + 1]
        for l in range(1, net.L + 1):
            b = net.biases[l]
            grad = np.zeros_like(b)
            for i in range(b.size):
                saved = b[i]
                b[i] = saved + h
                up = net.loss(x, y)
                b[i] = saved - h
                down = net.loss(x, y)
                b[i] = saved
                grad[i] = (up - down) / (2 * h)
            norms[l - 1] += np.linalg.norm(grad) / len(X)
    return norms


def _delta_norm_cases(rng):
    """(net, X, Y): fixed networks of several depths and activations, each with a random batch."""
    nets = [
        MLP([3, 4, 4, 2], activation="sigmoid", loss="mse", seed=1),
        MLP([2, 5, 5, 5, 1], activation="tanh", output_activation="identity", loss="squared_error", seed=2),
        MLP([4, 6, 6, 6, 6, 3], activation="sigmoid", output_activation="identity", loss="squared_error", seed=3),
        MLP([3, 8, 8, 8, 2], activation="relu", output_activation="identity", loss="mse", seed=4),
        MLP([1, 1], activation="tanh", loss="squared_error", seed=5),
    ]
    result = []
    for net in nets:
        N = int(rng.integers(1, 6))
        X = rng.normal(size=(N, net.sizes[0]))
        Y = rng.uniform(size=(N, net.sizes[-1]))
        result.append((net, X, Y))
    return result


@exercise("ex-deep-delta-norms", inputs=_delta_norm_cases)
def _delta_norms(answer, inputs):
    for (net, X, Y), got, where in calls(answer, inputs, "a function",
                                         lambda net, X, Y: f"for {net!r} and a batch of {len(X)} samples"):
        expected = _per_sample_bias_gradient_norms(net, X, Y)
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            raise Failure(
                f"{where}: expected an array of shape {expected.shape} (one norm per layer 1..L), got shape {got.shape}"
            )
        if not np.allclose(got, expected, rtol=1e-5, atol=1e-9):
            raise Failure(f"{where}: expected {_fmt(expected)}, got {_fmt(got)}")


def _sharp_inputs(rng):
    """(net, c, x): sigmoid networks with one output, of 2 to 20 layers and equal or unequal widths."""
    shapes = [[3, 4, 4, 1], [2, 5, 3, 4, 1], [4] + [6] * 19 + [1], [2, 3, 1], [5, 8, 8, 8, 1]]
    cs = [2.0, 4.0, 1.5, float(rng.uniform(0.5, 6.0)), float(rng.uniform(0.5, 6.0))]
    cases = []
    for k, (sizes, c) in enumerate(zip(shapes, cs)):
        net = MLP(sizes, activation="sigmoid", output_activation="identity", loss="squared_error", seed=k)
        cases.append((net, c, rng.normal(size=sizes[0])))
    return cases


def _spectral_norm(W):
    """The largest singular value, as the square root of the largest eigenvalue of W W^T."""
    return float(np.sqrt(np.linalg.eigvalsh(W @ W.T).max()))


@exercise("ex-deep-sigmoid-bound", inputs=_sharp_inputs)
def _sharp_network(answer, inputs):
    for (net, c, x), got, where in calls(answer, inputs, "a function sharp_sigmoid_network(net, c, x)",
                                         lambda net, c, x: f"for a network of sizes {list(net.sizes)}, c={c:.4g}"):
        try:
            require_network(got, net.sizes)
        except Failure as exc:
            raise Failure(f"{where}: {exc}") from None
        if got.activation.name != "sigmoid":
            raise Failure(f"{where}: the hidden layers must stay logistic, got {got.activation.name!r}")
        if not np.array_equal(np.asarray(got.weights[1]), net.weights[1]):
            raise Failure(f"{where}: W^1 must be kept as it is")
        for l in range(2, net.L + 1):
            norm = _spectral_norm(np.asarray(got.weights[l], dtype=float))
            if not np.isclose(norm, c, rtol=1e-9):
                raise Failure(f"{where}: W^{l} has spectral norm {norm:.6g}, not c = {c:.6g}")
        fp = got.forward_pass(x)
        for l in range(1, net.L):
            z = np.abs(fp.z[l]).max()
            if z > 1e-9:
                raise Failure(f"{where}: at x the pre-activations of layer {l} reach |z| = {z:.3g}, so their slopes "
                              "are below 1/4 and (V1) cannot be an equality there")
        # mlpcore's deltas for a target away from the output: their ratio against (V2)
        deltas = got.backward(fp, fp.a[net.L] + 1.0).deltas
        ratio = np.linalg.norm(deltas[1]) / np.linalg.norm(deltas[net.L])
        bound = (c / 4) ** (net.L - 1)
        if not np.isclose(ratio, bound, rtol=1e-8):
            raise Failure(f"{where}: ||delta^1|| / ||delta^L|| is {ratio:.6g}, the bound (V2) is {bound:.6g}: at some "
                          "step the delta is not along the top left singular vector of W^l")


@exercise("ex-deep-prelu-gain")
def _prelu_gain(answer):
    # E[f'(z)^2] for z ~ N(0, 1) by the trapezoidal rule on mlpcore's prelu (alpha = 1/4)
    z = np.linspace(-12.0, 12.0, 240001)
    density = np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    integrand = activations.get("prelu").df(z) ** 2 * density
    mean_square = np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(z))
    compare_value(answer, 1.0 / np.sqrt(mean_square), rtol=1e-4, atol=0.0)
