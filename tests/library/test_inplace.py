"""fit's in-place step gives the same numbers, to the last bit, as the readable
path: net.gradients followed by net.step on each batch."""

import numpy as np
import pytest

import mlpcore
from mlpcore import _inplace, activations

HIDDEN = [n for n in activations.names() if n not in ("softmax", "logistic")]
OUTPUT_LOSS = [("sigmoid", "mse"), ("identity", "squared_error"), ("softmax", "cross_entropy"),
               ("sigmoid", "binary_cross_entropy"), ("tanh", "mse")]


def readable_fit(net, X, Y, epochs, lr, batch_size, shuffle=True, seed=0, optimizer=None):
    """fit written with the public, allocating methods: the reference (with ``optimizer``,
    its ``step(net, grads)`` instead of ``net.step(grads, lr)``; ``lr`` is then unused)."""
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            losses.append(net.loss(X[rows], Y[rows]))
            grads = net.gradients(X[rows], Y[rows])
            if optimizer is None:
                net.step(grads, lr)
            else:
                optimizer.step(net, grads)
    return losses


def data(sizes, loss, n=23, dtype=np.float64, seed=0, targets="one-hot"):
    """X and Y for ``loss``; for cross-entropy, ``targets`` is "one-hot", "smoothed" (label smoothing
    0.1 of the one-hot rows) or "dirichlet" (random probability vectors)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0])).astype(dtype)
    if loss == "cross_entropy" and targets == "dirichlet":
        Y = rng.dirichlet(np.ones(sizes[-1]), size=n).astype(dtype)
    elif loss == "cross_entropy":
        Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], n)]
        if targets == "smoothed":
            Y = (0.9 * Y + 0.1 / sizes[-1]).astype(dtype)
    else:
        Y = rng.random((n, sizes[-1])).astype(dtype)
    return X, Y


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", OUTPUT_LOSS)
def test_fit_equals_gradients_then_step_bit_for_bit(hidden, output, loss):
    sizes = [3, 5, 4, 2] if output != "softmax" else [3, 5, 4, 3]
    X, Y = data(sizes, loss)
    a = mlpcore.MLP(sizes, activation=hidden, output_activation=output, loss=loss, seed=1)
    b = a.copy()
    history = a.fit(X, Y, epochs=3, lr=0.05, batch_size=5, seed=4)  # batches of 5, 5, 5, 5, 3
    expected = readable_fit(b, X, Y, epochs=3, lr=0.05, batch_size=5, seed=4)
    assert history.batch_loss == expected
    for l in range(1, a.L + 1):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.biases[l], b.biases[l])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle", [True, False])
def test_same_bits_in_both_precisions_with_and_without_shuffling(dtype, shuffle):
    sizes = [6, 8, 3]
    X, Y = data(sizes, "cross_entropy", n=40, dtype=dtype)
    a = mlpcore.MLP(sizes, activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=0,
                    dtype=dtype)
    b = a.copy()
    history = a.fit(X, Y, epochs=2, lr=0.3, batch_size=16, shuffle=shuffle, seed=2)
    assert history.batch_loss == readable_fit(b, X, Y, epochs=2, lr=0.3, batch_size=16, shuffle=shuffle, seed=2)
    for l in (1, 2):
        assert a.weights[l].dtype == dtype
        np.testing.assert_array_equal(a.weights[l], b.weights[l])


@pytest.mark.parametrize("targets", ["smoothed", "dirichlet"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size, shuffle", [(None, False), (6, True), (1, True)])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_probability_targets_give_the_same_bits_on_both_paths(hidden, batch_size, shuffle, dtype, targets):
    sizes = [4, 6, 5, 3]
    X, Y = data(sizes, "cross_entropy", n=17, dtype=dtype, targets=targets)
    assert np.any(Y.max(axis=1) < 1)  # not one-hot
    a = mlpcore.MLP(sizes, activation=hidden, output_activation="softmax", loss="cross_entropy", seed=1, dtype=dtype)
    b = a.copy()
    history = a.fit(X, Y, epochs=3, lr=0.2, batch_size=batch_size, shuffle=shuffle, seed=3)
    expected = readable_fit(b, X, Y, epochs=3, lr=0.2, batch_size=batch_size or len(X), shuffle=shuffle, seed=3)
    assert history.batch_loss == expected
    assert history.loss[-1] < history.loss[0]
    for l in range(1, a.L + 1):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.biases[l], b.biases[l])


def _cube(**kernels):
    return activations.Activation("cube", lambda z: z * z * z, lambda z: 3.0 * z * z, **kernels)


def test_a_new_activation_with_in_place_forms_runs_them_in_fit_with_the_same_bits():
    """Adding an activation is one definition: f, f', and (optionally) its in-place forms."""
    calls = {"f_into": 0, "slope_into": 0}

    def cube_into(z, out, scratch):
        calls["f_into"] += 1
        np.multiply(z, z, out=out)  # (z * z) * z, as f
        out *= z

    def cube_slope_into(z, a, grad, t):
        calls["slope_into"] += 1
        np.multiply(z, 3.0, out=t)  # grad * ((3 z) z), as backward
        t *= z
        grad *= t

    cube = _cube(f_into=cube_into, slope_into=cube_slope_into)
    assert cube.has_inplace_forms
    sizes = [2, 3, 3, 1]
    X, Y = data(sizes, "mse")
    X *= 0.3  # a cube of cubes grows fast: small inputs keep the loss finite
    a = mlpcore.MLP(sizes, activation=cube, output_activation="identity", loss="mse", seed=0)
    b = a.copy()
    history = a.fit(X, Y, epochs=2, lr=0.01, batch_size=4)
    assert history.batch_loss == readable_fit(b, X, Y, epochs=2, lr=0.01, batch_size=4)
    for l in range(1, a.L + 1):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
    batches = 2 * 6  # 23 samples in batches of 4, twice
    assert calls == {"f_into": 2 * batches, "slope_into": 2 * batches}  # two hidden layers


def test_a_new_activation_without_in_place_forms_gives_the_same_bits():
    cube = _cube()
    assert not cube.has_inplace_forms
    sizes = [2, 3, 1]
    X, Y = data(sizes, "mse")
    a = mlpcore.MLP(sizes, activation=cube, output_activation="identity", loss="mse", seed=0)
    b = a.copy()
    a.fit(X, Y, epochs=2, lr=0.01, batch_size=4)
    readable_fit(b, X, Y, epochs=2, lr=0.01, batch_size=4)
    np.testing.assert_array_equal(a.weights[1], b.weights[1])


@pytest.mark.parametrize("name", HIDDEN)
def test_every_builtin_activation_has_its_in_place_forms(name):
    act = activations.get(name)
    assert act.name in _inplace.KERNELS, f"{name} has no entry in _inplace.KERNELS"
    assert act.has_inplace_forms and act.f_into is _inplace.KERNELS[act.name]["f_into"], name


def test_the_output_layer_and_an_activation_without_scratch_run_the_readable_forms():
    z = np.array([[-1.0, 0.5, 2.0], [3.0, -2.0, 0.0]])
    grad = np.array([[0.3, -1.0, 2.0], [1.0, 0.5, -0.25]])
    softmax, tanh = activations.get("softmax"), activations.get("tanh")
    assert not softmax.has_inplace_forms
    np.testing.assert_array_equal(_inplace.forward_into(softmax, z, np.empty_like(z)), softmax.f(z))
    a = tanh.f(z)
    np.testing.assert_array_equal(_inplace.forward_into(tanh, z, np.empty_like(z)), a)
    np.testing.assert_array_equal(_inplace.backward_into(tanh, z, a, grad.copy()), tanh.backward(z, a, grad))


EDGES = [-np.inf, -1000.0, -745.2, -40.0, -1.5, -1e-300, -0.0, 0.0, 1e-300, 0.7, 3.0, 40.0, 1000.0, np.inf, np.nan]


def edges(dtype):
    """EDGES in ``dtype``, and four subnormal numbers of it: the smallest and a quarter of the
    smallest normal number, each of both signs."""
    info = np.finfo(dtype)
    subnormal = [info.smallest_subnormal, info.smallest_normal / 4]
    return np.array(EDGES + subnormal + [-s for s in subnormal] + [info.smallest_normal], dtype=dtype)


def test_the_edges_hold_subnormal_numbers_in_both_precisions():
    for dtype in (np.float32, np.float64):
        z, info = edges(dtype), np.finfo(dtype)
        assert np.count_nonzero((z != 0) & (np.abs(z) < info.smallest_normal)) == 4, dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", HIDDEN)
def test_in_place_forms_give_the_readable_numbers_at_the_edges(name, dtype):
    act = activations.get(name, alpha=0.3) if name in ("prelu", "elu") else activations.get(name)
    with np.errstate(all="ignore"):
        z = edges(dtype).reshape(4, 5)
        grad = np.random.default_rng(0).normal(size=z.shape).astype(dtype)
        a = act.f(z)
        out = _inplace.forward_into(act, z, np.empty_like(z), np.empty_like(z))
        np.testing.assert_array_equal(out, a)
        assert out.dtype == a.dtype
        expected = act.backward(z, a, grad)
        got = _inplace.backward_into(act, z.copy(), a, grad.copy(), np.empty_like(z))
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype


def test_a_non_finite_loss_leaves_the_parameters_as_they_were():
    net = mlpcore.MLP([1, 2, 1], activation="identity", loss="mse", seed=0)
    before = [W.copy() for W in net.weights]
    step = _inplace.InPlaceStep(net, batch_size=1)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = step(np.array([[1e200]]), np.array([[0.0]]), lr=0.1)
    assert not np.isfinite(loss)
    for W, W0 in zip(net.weights, before):
        np.testing.assert_array_equal(W, W0)


def test_the_step_allocates_its_arrays_once():
    sizes = [20, 16, 4]
    X, Y = data(sizes, "cross_entropy", n=64)
    net = mlpcore.MLP(sizes, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    step = _inplace.InPlaceStep(net, batch_size=16)
    Xb, Yb = step.gather(X, Y, np.arange(16))
    assert np.shares_memory(Xb, step._X) and np.shares_memory(Yb, step._Y)
    np.testing.assert_array_equal(Xb, X[:16])
    step(Xb, Yb, lr=0.1)
    buffers = [a.__array_interface__["data"][0] for a in step._Z + step._A + step._D + step._dW]
    step(*step.gather(X, Y, np.arange(16, 32)), lr=0.1)
    assert buffers == [a.__array_interface__["data"][0] for a in step._Z + step._A + step._D + step._dW]
