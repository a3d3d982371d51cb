"""mlpcore.optimizers: each update against steps computed by hand from its formula, weight decay
against central differences of the penalised loss, fit's fast path bit for bit against the
readable one (net.gradients, then optimizer.step), state carried over between calls of fit,
plain fit(lr=...) unchanged, and the named errors."""

import numpy as np
import pytest

# tests/library/test_inplace.py: the readable path of plain gradient descent and its data
from test_inplace import data, readable_fit

import mlpcore
from mlpcore import Gradients, optimizers
from mlpcore.gradcheck import numerical_gradient


def one_weight(w=1.0, b=0.0):
    """A network with one weight and one bias, whose gradients we choose by hand."""
    net = mlpcore.MLP([1, 1], activation="identity", loss="mse", seed=0)
    net.weights[1], net.biases[1] = [[w]], [b]
    return net


def grads(gw, gb=0.0):
    return Gradients([np.array([[gw]])], [np.array([gb])])


def run(opt, gradient_sequence, w=1.0, b=0.0):
    """(w, b) after each step of ``opt`` on the given (dL/dw, dL/db) pairs."""
    net, path = one_weight(w, b), []
    for gw, gb in gradient_sequence:
        opt.step(net, grads(gw, gb))
        path.append((net.weights[1][0, 0], net.biases[1][0]))
    return np.array(path)


# each update, three steps written out by hand --------------------------------------------------


def test_sgd_steps_by_hand():
    got = run(optimizers.SGD(lr=0.1), [(1.0, 0.5), (-2.0, 0.0), (0.5, -1.0)])
    # w: 1 - 0.1 * 1 = 0.9; 0.9 + 0.1 * 2 = 1.1; 1.1 - 0.1 * 0.5 = 1.05.  b: -0.05, -0.05, 0.05
    np.testing.assert_allclose(got, [[0.9, -0.05], [1.1, -0.05], [1.05, 0.05]], rtol=1e-15)


def test_sgd_weight_decay_by_hand():
    # the step is along dL/dw + 0.5 w for the weight, dL/db alone for the bias
    got = run(optimizers.SGD(lr=0.1, weight_decay=0.5), [(1.0, 1.0), (0.0, 0.0)], w=2.0, b=2.0)
    # w: 2 - 0.1 * (1 + 0.5 * 2) = 1.8, then 1.8 - 0.1 * (0 + 0.5 * 1.8) = 1.71;  b: 2 - 0.1 = 1.9, 1.9
    np.testing.assert_allclose(got, [[1.8, 1.9], [1.71, 1.9]], rtol=1e-15)


def test_momentum_steps_by_hand():
    got = run(optimizers.Momentum(lr=0.1, beta=0.9), [(1.0, 0.0), (-2.0, 0.0), (0.5, 0.0)])
    # v1 = 1,                  w1 = 1 - 0.1 * 1       = 0.9
    # v2 = 0.9 * 1 - 2 = -1.1, w2 = 0.9 + 0.1 * 1.1   = 1.01
    # v3 = -0.99 + 0.5 = -0.49, w3 = 1.01 + 0.1 * 0.49 = 1.059
    np.testing.assert_allclose(got[:, 0], [0.9, 1.01, 1.059], rtol=1e-14)
    np.testing.assert_array_equal(got[:, 1], 0.0)


def test_momentum_weight_decay_enters_the_velocity():
    # PyTorch's SGD(momentum=0.5, weight_decay=0.1): nabla = dL/dw + 0.1 w goes into v
    got = run(optimizers.Momentum(lr=0.1, beta=0.5, weight_decay=0.1), [(1.0, 1.0), (1.0, 1.0)], w=2.0, b=2.0)
    # weight: nabla1 = 1 + 0.2 = 1.2, v1 = 1.2, w1 = 2 - 0.12 = 1.88
    #         nabla2 = 1 + 0.188 = 1.188, v2 = 0.6 + 1.188 = 1.788, w2 = 1.88 - 0.1788 = 1.7012
    # bias:   v1 = 1, b1 = 1.9; v2 = 0.5 + 1 = 1.5, b2 = 1.75
    np.testing.assert_allclose(got, [[1.88, 1.9], [1.7012, 1.75]], rtol=1e-14)


def test_adam_steps_by_hand():
    opt = optimizers.Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    got = run(opt, [(1.0, 0.0), (-2.0, 0.0), (0.5, 0.0)])
    # t = 1: m = 0.1, s = 0.001; m_hat = 0.1 / 0.1 = 1, s_hat = 0.001 / 0.001 = 1
    w1 = 1.0 - 0.1 * 1.0 / (1.0 + 1e-8)
    # t = 2: m = 0.09 - 0.2 = -0.11, s = 0.000999 + 0.004 = 0.004999
    #        m_hat = -0.11 / (1 - 0.81) = -0.11 / 0.19, s_hat = 0.004999 / (1 - 0.998001) = 0.004999 / 0.001999
    w2 = w1 - 0.1 * (-0.11 / 0.19) / (np.sqrt(0.004999 / 0.001999) + 1e-8)
    # t = 3: m = -0.099 + 0.05 = -0.049, s = 0.004994001 + 0.00025 = 0.005244001
    #        1 - 0.9^3 = 0.271, 1 - 0.999^3 = 0.002997001
    w3 = w2 - 0.1 * (-0.049 / 0.271) / (np.sqrt(0.005244001 / 0.002997001) + 1e-8)
    np.testing.assert_allclose(got[:, 0], [w1, w2, w3], rtol=1e-13)
    np.testing.assert_allclose([w1, w2, w3], [0.9, 0.93661, 0.950279], atol=5e-6)  # the same, rounded
    assert opt.t == 3
    # a bias whose gradient is always 0 never moves (m = s = 0, 0 / (0 + eps) = 0)
    np.testing.assert_array_equal(got[:, 1], 0.0)


# PyTorch's heavy ball, Adam's first step -----------------------------------------------------------


def test_momentum_is_pytorchs_heavy_ball():
    # on a constant gradient g, v_t = g (1 - beta^t) / (1 - beta): the step tends to lr g / (1 - beta)
    # (an exponential average (1 - beta) sum beta^k g would tend to lr g instead)
    beta, lr, g = 0.8, 0.01, 3.0
    path = run(optimizers.Momentum(lr=lr, beta=beta), [(g, 0.0)] * 60)
    steps = -np.diff(np.concatenate([[1.0], path[:, 0]]))
    t = np.arange(1, 61)
    np.testing.assert_allclose(steps, lr * g * (1 - beta**t) / (1 - beta), rtol=1e-12)
    # beta = 0 is plain gradient descent, bit for bit
    X, Y = data([3, 4, 2], "mse")
    a = mlpcore.MLP([3, 4, 2], activation="tanh", seed=0)
    b = a.copy()
    a.fit(X, Y, epochs=3, lr=0.1, batch_size=5)
    b.fit(X, Y, epochs=3, optimizer=optimizers.Momentum(0.1, beta=0.0), batch_size=5)
    for l in (1, 2):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])


@pytest.mark.parametrize("scale", [1e-4, 1e-2, 1.0, 1e3])
def test_adams_first_step_is_lr_times_the_sign_of_the_gradient(scale):
    # bias correction: m_hat_1 = g, s_hat_1 = g^2, so the first step is lr g / (|g| + eps), whatever the scale
    X, Y = data([3, 4, 2], "mse")
    net = mlpcore.MLP([3, 4, 2], activation="tanh", seed=0)
    g = net.gradients(X, Y)
    g.weights[1][...] *= scale / np.abs(g.weights[1]).max()
    before = net.weights[1].copy()
    mlpcore.optimizers.Adam(lr=0.01).step(net, g)
    step = before - net.weights[1]
    np.testing.assert_allclose(step, 0.01 * g.weights[1] / (np.abs(g.weights[1]) + 1e-8), rtol=1e-12)
    big = np.abs(g.weights[1]) >= 1e-4  # entries 10^4 eps and above: the step is lr sign(g) to 1e-4
    assert big.any()
    np.testing.assert_allclose(step[big], 0.01 * np.sign(g.weights[1][big]), rtol=1e-4)


# weight decay is the gradient of the L2 penalty -----------------------------------------------------


def penalised_gradients(net, X, Y, omega):
    """Central differences of L + omega/2 sum_l ||W^l||^2 in every weight and bias (no backpropagation)."""
    penalised = lambda _: net.loss(X, Y) + omega / 2 * sum(np.sum(W**2) for W in net.weights)  # noqa: E731
    return ([numerical_gradient(penalised, W, h=1e-6) for W in net.weights],
            [numerical_gradient(penalised, b, h=1e-6) for b in net.biases])


@pytest.mark.parametrize("make", [optimizers.SGD, optimizers.Momentum])
def test_weight_decay_is_the_gradient_of_an_l2_penalty_on_the_weights(make):
    # first step of SGD and of the heavy ball (v_1 = nabla_1): theta - lr * (gradient of the penalised loss)
    X, Y = data([3, 5, 2], "mse")
    net = mlpcore.MLP([3, 5, 2], activation="tanh", seed=3)
    omega, lr = 0.3, 0.05
    dW, db = penalised_gradients(net, X, Y, omega)
    expected_W = [W - lr * g for W, g in zip(net.weights, dW)]
    expected_b = [b - lr * g for b, g in zip(net.biases, db)]
    net.fit(X, Y, epochs=1, optimizer=make(lr, weight_decay=omega))  # one full-batch step
    for l in (1, 2):
        np.testing.assert_allclose(net.weights[l], expected_W[l - 1], rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(net.biases[l], expected_b[l - 1], rtol=1e-7, atol=1e-10)


def test_adam_decays_through_the_gradient_and_biases_are_not_decayed():
    X, Y = data([3, 5, 2], "mse")
    net = mlpcore.MLP([3, 5, 2], activation="tanh", seed=3)
    net.biases[1] = np.linspace(-1, 1, 5)
    omega = 0.3
    dW, db = penalised_gradients(net, X, Y, omega)
    opt = optimizers.Adam(lr=0.01, weight_decay=omega)
    net.fit(X, Y, epochs=1, optimizer=opt)
    for l in (1, 2):  # m_1 = (1 - beta1) nabla_1: nabla_1 is the penalised gradient
        np.testing.assert_allclose(opt.state[("weights", l)][0], 0.1 * dW[l - 1], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(opt.state[("biases", l)][0], 0.1 * db[l - 1], rtol=1e-6, atol=1e-12)


def test_a_weight_without_gradient_decays_geometrically_and_its_bias_stays():
    got = run(optimizers.SGD(lr=0.1, weight_decay=0.2), [(0.0, 0.0)] * 5, w=1.0, b=1.0)
    np.testing.assert_allclose(got[:, 0], (1 - 0.1 * 0.2) ** np.arange(1, 6), rtol=1e-14)
    np.testing.assert_array_equal(got[:, 1], 1.0)


# fit's fast path against the readable path, bit for bit -----------------------------------------------

OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.05),
    "sgd-decay": lambda: optimizers.SGD(0.05, weight_decay=0.01),
    "momentum": lambda: optimizers.Momentum(0.02, beta=0.9),
    "momentum-decay": lambda: optimizers.Momentum(0.02, beta=0.5, weight_decay=0.03),
    "adam": lambda: optimizers.Adam(0.01),
    "adam-decay": lambda: optimizers.Adam(0.003, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.01),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("hidden, output, loss", [("tanh", "softmax", "cross_entropy"), ("relu", "sigmoid", "mse"),
                                                  ("sigmoid", "identity", "squared_error"),
                                                  ("elu", "sigmoid", "binary_cross_entropy")])
def test_fit_with_an_optimizer_equals_gradients_then_optimizer_step(name, hidden, output, loss):
    sizes = [3, 5, 4, 3]
    X, Y = data(sizes, loss)
    a = mlpcore.MLP(sizes, activation=hidden, output_activation=output, loss=loss, seed=1)
    b = a.copy()
    fast, slow = OPTIMIZERS[name](), OPTIMIZERS[name]()
    history = a.fit(X, Y, epochs=3, optimizer=fast, batch_size=5, seed=4)  # batches of 5, 5, 5, 5, 3
    assert history.batch_loss == readable_fit(b, X, Y, epochs=3, lr=None, batch_size=5, seed=4, optimizer=slow)
    assert fast.t == slow.t == 15
    for l in range(1, a.L + 1):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.biases[l], b.biases[l])
    for key in slow.state:
        for x, y in zip(fast.state[key], slow.state[key]):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("targets", ["one-hot", "smoothed"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("name", ["momentum-decay", "adam"])
def test_same_bits_in_both_precisions(name, dtype, shuffle, targets):
    sizes = [6, 8, 3]
    X, Y = data(sizes, "cross_entropy", n=40, dtype=dtype, targets=targets)
    a = mlpcore.MLP(sizes, activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=0,
                    dtype=dtype)
    b = a.copy()
    fast, slow = OPTIMIZERS[name](), OPTIMIZERS[name]()
    history = a.fit(X, Y, epochs=2, optimizer=fast, batch_size=16, shuffle=shuffle, seed=2)
    assert history.batch_loss == readable_fit(b, X, Y, 2, None, 16, shuffle=shuffle, seed=2, optimizer=slow)
    for l in (1, 2):
        assert a.weights[l].dtype == dtype and fast.state[("weights", l)][0].dtype == dtype
        np.testing.assert_array_equal(a.weights[l], b.weights[l])


# plain gradient descent is unchanged ----------------------------------------------------------------------


@pytest.mark.parametrize("batch_size, shuffle", [(None, False), (7, True), (1, True)])
def test_fit_lr_equals_fit_sgd_and_the_readable_loop_bit_for_bit(batch_size, shuffle):
    X, Y = mlpcore.data.moons(n=30, seed=0)
    a = mlpcore.MLP([2, 6, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=2)
    b, c = a.copy(), a.copy()
    ha = a.fit(X, Y, epochs=4, lr=0.3, batch_size=batch_size, shuffle=shuffle, seed=5)
    hb = b.fit(X, Y, epochs=4, optimizer=optimizers.SGD(0.3), batch_size=batch_size, shuffle=shuffle, seed=5)
    hc = readable_fit(c, X, Y, epochs=4, lr=0.3, batch_size=batch_size or 30, shuffle=shuffle, seed=5)
    assert ha.batch_loss == hb.batch_loss == hc
    for l in (1, 2):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.weights[l], c.weights[l])
        np.testing.assert_array_equal(a.biases[l], c.biases[l])


# the state: carried over between calls of fit on one network, refused for another --------------------------


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_two_calls_of_fit_train_as_one(name):
    X, Y = data([3, 4, 2], "mse")
    a = mlpcore.MLP([3, 4, 2], activation="tanh", seed=0)
    b = a.copy()
    one, two = OPTIMIZERS[name](), OPTIMIZERS[name]()
    h = a.fit(X, Y, epochs=5, optimizer=one, batch_size=6, shuffle=False)
    h1 = b.fit(X, Y, epochs=3, optimizer=two, batch_size=6, shuffle=False)
    h2 = b.fit(X, Y, epochs=2, optimizer=two, batch_size=6, shuffle=False)
    assert h.batch_loss == h1.batch_loss + h2.batch_loss and one.t == two.t == 20
    for l in (1, 2):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])


def test_an_optimizer_refuses_a_second_network_until_reset():
    X, Y = data([3, 4, 2], "mse")
    net = mlpcore.MLP([3, 4, 2], seed=0)
    opt = optimizers.Adam(0.01)
    net.fit(X, Y, epochs=2, optimizer=opt)
    other = net.copy()  # the same numbers, but other arrays: another network
    before = [W.copy() for W in other.weights]
    with pytest.raises(ValueError, match=r"this Adam holds the state of another network; use a new optimizer"):
        other.fit(X, Y, epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match=r"holds the state of another network"):
        opt.step(other, other.gradients(X, Y))
    for W, W0 in zip(other.weights, before):
        np.testing.assert_array_equal(W, W0)
    assert opt.t == 2
    opt.reset()
    assert opt.t == 0 and opt.state == {}
    fresh = mlpcore.MLP([3, 4, 2], seed=0)
    b = fresh.copy()
    other_history = fresh.fit(X, Y, epochs=2, optimizer=opt)  # after reset, as good as a new optimizer
    assert other_history.batch_loss == b.fit(X, Y, epochs=2, optimizer=optimizers.Adam(0.01)).batch_loss


def test_a_diverging_run_names_the_optimizers_rate():
    X = np.linspace(-1, 1, 20).reshape(-1, 1) * 50
    net = mlpcore.MLP([1, 8, 1], activation="identity", loss="mse", seed=0)
    with pytest.raises(mlpcore.DivergenceError, match=r"smaller learning rate than lr=1.0"):
        net.fit(X, 3 * X, epochs=500, optimizer=optimizers.Momentum(1.0))


# bad arguments ----------------------------------------------------------------------------------------------

BAD = [
    (optimizers.SGD, {"lr": -1}, ValueError, r"lr must be > 0 and finite, got -1"),
    (optimizers.SGD, {"lr": 0}, ValueError, r"lr must be > 0 and finite, got 0"),
    (optimizers.SGD, {"lr": "0.1"}, TypeError, r"lr must be a real number, got str"),
    (optimizers.SGD, {"lr": 0.1, "weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0 and finite, got -0.1"),
    (optimizers.Momentum, {"lr": float("nan")}, ValueError, r"lr must be > 0 and finite, got nan"),
    (optimizers.Momentum, {"lr": 0.1, "beta": 1.0}, ValueError, r"beta must be in \[0, 1\), got 1.0"),
    (optimizers.Momentum, {"lr": 0.1, "beta": -0.5}, ValueError, r"beta must be in \[0, 1\), got -0.5"),
    (optimizers.Momentum, {"lr": 0.1, "beta": None}, TypeError, r"beta must be a real number, got NoneType"),
    (optimizers.Momentum, {"lr": 0.1, "weight_decay": float("inf")}, ValueError,
     r"weight_decay must be >= 0 and finite, got inf"),
    (optimizers.Adam, {"lr": -0.001}, ValueError, r"lr must be > 0 and finite, got -0.001"),
    (optimizers.Adam, {"beta1": 1}, ValueError, r"beta1 must be in \[0, 1\), got 1"),
    (optimizers.Adam, {"beta2": 1.5}, ValueError, r"beta2 must be in \[0, 1\), got 1.5"),
    (optimizers.Adam, {"beta2": float("nan")}, ValueError, r"beta2 must be in \[0, 1\), got nan"),
    (optimizers.Adam, {"eps": 0}, ValueError, r"eps must be > 0 and finite, got 0"),
    (optimizers.Adam, {"eps": -1e-8}, ValueError, r"eps must be > 0 and finite, got -1e-08"),
    (optimizers.Adam, {"weight_decay": -1}, ValueError, r"weight_decay must be >= 0 and finite, got -1"),
    (optimizers.Adam, {"beta1": True}, TypeError, r"beta1 must be a real number, got bool"),
]


@pytest.mark.parametrize("make, kwargs, error, message", BAD)
def test_constructors_reject_bad_arguments(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**kwargs)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"optimizer": "adam"}, TypeError,
     r"optimizer must be an mlpcore.optimizers.Optimizer \(SGD, Momentum, Adam or a subclass\), got str"),
    ({"optimizer": object()}, TypeError, r"optimizer must be an mlpcore.optimizers.Optimizer .*got object"),
    ({"optimizer": optimizers.SGD}, TypeError, r"optimizer must be an mlpcore.optimizers.Optimizer .*got type"),
    ({"optimizer": optimizers.Adam(), "lr": 0.1}, TypeError, r"fit needs exactly one of lr .* and optimizer .*got both"),
    ({}, TypeError, r"fit needs exactly one of lr \(plain gradient descent\) and optimizer \(mlpcore.optimizers\), got neither"),
])
def test_fit_rejects_a_wrong_optimizer_before_changing_anything(kwargs, error, message):
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], seed=0)
    before = [W.copy() for W in net.weights]
    with pytest.raises(error, match=message):
        net.fit(X, Y, epochs=2, **kwargs)
    for W, W0 in zip(net.weights, before):
        np.testing.assert_array_equal(W, W0)


def test_step_rejects_foreign_gradients():
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], seed=0)
    opt = optimizers.Momentum(0.1)
    with pytest.raises(TypeError, match="grads must be the Gradients returned by gradients"):
        opt.step(net, {"weights": []})
    with pytest.raises(ValueError, match=r"grads.weights must have shapes \[\(3, 2\), \(1, 3\)\], got \[\(4, 2\), \(1, 4\)\]"):
        opt.step(net, mlpcore.MLP([2, 4, 1]).gradients(X, Y))
    assert opt.t == 0 and opt.state == {}


def test_repr_names_the_settings():
    assert repr(optimizers.Momentum(0.1)) == "Momentum(lr=0.1, beta=0.9, weight_decay=0.0)"
    assert repr(optimizers.Adam()) == "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.0)"
