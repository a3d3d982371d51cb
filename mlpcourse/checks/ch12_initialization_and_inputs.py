"""Checks of chapter 12, initialisation and inputs."""

import numpy as np

from ...network import MLP
from . import Failure, compare_function, exercise, require_function


@exercise("ex-init-glorot-bound")
def _glorot_uniform_bound(answer):
    require_function(answer, "a function")
    rng = np.random.default_rng(12)
    for n_in, n_out in [(2, 1), (1, 1), (64, 32), (784, 100), (3, 1000), (50, 50)]:
        glorot = 2.0 / (n_in + n_out)
        r = answer(n_in, n_out)
        if r is None or np.ndim(r) != 0 or not np.isfinite(r) or r <= 0:
            raise Failure(f"for n_in={n_in}, n_out={n_out}: expected a positive number, got {r!r}")
        r = float(r)
        # a large sample from U(-r, r): its variance must be Glorot's
        sample = rng.uniform(-r, r, size=1_000_000)
        if not np.isclose(sample.var(), glorot, rtol=0.01):
            raise Failure(f"for n_in={n_in}, n_out={n_out}: weights drawn from [-{r:.6g}, {r:.6g}] have "
                          f"variance {sample.var():.6g}, but Glorot's is 2/(n_in + n_out) = {glorot:.6g}")
        # and precisely: the variance (1/2r) * integral of t^2 over [-r, r], by the midpoint rule
        t = np.linspace(-r, r, 200_001)
        mid = (t[1:] + t[:-1]) / 2
        variance = np.sum(mid**2 * np.diff(t)) / (2 * r)
        if not np.isclose(variance, glorot, rtol=1e-6):
            raise Failure(f"for n_in={n_in}, n_out={n_out}: the uniform distribution on [-{r:.8g}, {r:.8g}] "
                          f"has variance {variance:.8g}, but Glorot's is 2/(n_in + n_out) = {glorot:.8g}")


def _net(sizes, fill=None, seed=0, activation="sigmoid"):
    net = MLP(sizes, activation=activation, output_activation="identity", seed=seed)
    if fill is not None:
        for l in range(1, net.L + 1):
            net.weights[l][...] = fill
            net.biases[l][...] = fill
    return net


def _twin_cases():
    """(description, network, expected answer): the truth is known by construction."""
    x = np.linspace(-2, 2, 21).reshape(-1, 1)
    y = np.exp(-(x**2))
    cases = [("an all-zero 2-5-1 network", _net([2, 5, 1], 0.0), True),
             ("a 3-4-4-2 network with every parameter 0.3", _net([3, 4, 4, 2], 0.3), True),
             ("mlpcore's random 2-5-1 network", _net([2, 5, 1]), False),
             ("a random 2-1-1 network (one hidden unit)", _net([2, 1, 1]), True),
             ("a 2-3 network without hidden layers", _net([2, 3]), True)]
    trained = _net([1, 6, 1], 0.0)
    trained.fit(x, y, epochs=300, lr=0.5)
    cases.append(("an all-zero 1-6-1 network after 300 epochs of training", trained, True))
    trained = _net([1, 4, 4, 1], 0.25, activation="tanh")
    trained.fit(x, y, epochs=200, lr=0.2)
    cases.append(("a 1-4-4-1 tanh network started at 0.25 after 200 epochs", trained, True))
    net = _net([2, 5, 1], 0.0)
    net.biases[1][3] = 1e-3
    cases.append(("an all-zero 2-5-1 network but b^1[3] = 0.001", net, False))
    net = _net([2, 5, 1], 0.0)
    net.weights[2][0, 2] = 1e-3
    cases.append(("an all-zero 2-5-1 network but W^2[0, 2] = 0.001 (an outgoing weight)", net, False))
    net = _net([2, 5, 1], 0.0)
    net.weights[1][4, 1] = -1e-3
    cases.append(("an all-zero 2-5-1 network but W^1[4, 1] = -0.001 (an incoming weight)", net, False))
    net = _net([3, 4, 4, 2], 0.3)
    net.weights[2][1, :] += 0.01
    cases.append(("a 3-4-4-2 network with every parameter 0.3 but row 1 of W^2 raised by 0.01", net, False))
    net = _net([3, 4, 4, 2], 0.3)
    net.weights[3][1, 2] = 0.2
    cases.append(("a 3-4-4-2 network with every parameter 0.3 but W^3[1, 2] = 0.2", net, False))
    net = _net([2, 5, 1])
    net.weights[2][...] = 0.0
    cases.append(("a 2-5-1 network with random W^1 and zero W^2", net, False))
    net = _net([2, 5, 1], 0.0)
    net.weights[2] = np.random.default_rng(1).normal(size=(1, 5))
    cases.append(("a 2-5-1 network with zero W^1 and random W^2", net, False))
    return cases


@exercise("ex-init-identical-units")
def _identical_hidden_units(answer):
    require_function(answer, "a function")
    for description, net, expected in _twin_cases():
        before = [p.copy() for p in (*net.weights, *net.biases)]
        got = answer(net)
        if got is None:
            raise Failure(f"for {description} the function returned None (missing return?)")
        if not isinstance(got, (bool, np.bool_)):
            raise Failure(f"for {description}: expected True or False, got {got!r}")
        after = [*net.weights, *net.biases]
        if any(p.shape != q.shape or not np.array_equal(p, q) for p, q in zip(before, after)):
            raise Failure(f"for {description}: the function changed the network's parameters")
        if bool(got) != expected:
            raise Failure(f"for {description}: expected {expected}, got {bool(got)}")


def _affine_reference(X_train, X_new):
    """Column by column, the affine map a x + c with min -> 0 and max -> 1, solved as a 2x2 system."""
    out = np.empty(X_new.shape)
    for j in range(X_train.shape[1]):
        column = np.sort(X_train[:, j])
        a, c = np.linalg.solve([[column[0], 1.0], [column[-1], 1.0]], [0.0, 1.0])
        out[:, j] = a * X_new[:, j] + c
    return out


@exercise("ex-init-scale-like-training")
def _scale_like_training(answer):
    require_function(answer, "a function")
    rng = np.random.default_rng(13)
    pairs = [(np.array([[0.0, 10.0], [2.0, 30.0], [1.0, 20.0]]), np.array([[1.0, 20.0], [3.0, 0.0]])),
             (np.array([[0.0, 10.0], [2.0, 30.0], [1.0, 20.0]]), np.array([[-1.0, 40.0]]))]
    for shape, n_new in [((50, 3), 7), ((20, 1), 4), ((100, 5), 1)]:
        scale = rng.uniform(0.1, 100.0, size=shape[1])
        X_train = rng.normal(size=shape) * scale + rng.normal(size=shape[1]) * 10
        X_new = rng.normal(size=(n_new, shape[1])) * scale * 1.5  # some outside the training range
        pairs.append((X_train, X_new))
    for X_train, X_new in pairs:
        given = X_train.copy()
        compare_function(lambda X, T=given: answer(T, X), lambda X, T=X_train: _affine_reference(T, X), [X_new],
                         rtol=1e-9, atol=1e-12, arg="X_new")
        if not np.array_equal(given, X_train):
            raise Failure("the function changed X_train; return a new array instead")
