"""The recipes of ARCHITECTURE.md ("Where to add"), followed literally from outside the package:
a new loss and a new optimizer defined with public names only (mlpcore.losses.Loss, a subclass
of mlpcore.optimizers.Optimizer), trained with fit on the fast path and with net.gradients and
optimizer.step on the readable path, which must agree to the last bit."""

import math

import numpy as np
import pytest

# tests/library/test_inplace.py: fit written with the public, allocating methods
from test_inplace import readable_fit

import mlpcore
from mlpcore import activations, losses, optimizers

# a loss: value, derivative, the targets it accepts, and (on the logits) its forms from Z ------------------


def _logsumexp(Z):
    m = np.max(Z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))


def _probability_rows(Y):
    # soft targets: each row a probability vector (label smoothing, a teacher's outputs)
    rows = np.all(Y >= 0, axis=1) & (np.abs(Y.sum(axis=1) - 1) <= 1e-12)
    if not rows.all():
        row = int(np.argmin(rows))
        raise ValueError("Y must hold a probability vector in each row (entries >= 0 that sum to 1) for "
                         f"loss='soft_cross_entropy', got row {row}: {Y[row]}")


SOFT_CROSS_ENTROPY = losses.Loss(
    "soft_cross_entropy",
    f=lambda Y, P: -np.sum(Y * np.log(P)) / len(Y),  # -1/N sum_n sum_k y_nk log p_nk
    df=lambda Y, P: -Y / P / len(Y),
    targets=_probability_rows,
    output_activation="softmax",
    f_logits=lambda Y, Z: -np.sum(Y * (Z - _logsumexp(Z))) / len(Y),  # log softmax(z) = z - logsumexp(z)
    delta_logits=lambda Y, Z: (activations.softmax(Z) - Y) / len(Y),  # rows of Y sum to 1
)


def _counts(Y):
    if np.any(Y < 0):
        raise ValueError(f"Y must be counts (>= 0) for loss='poisson', got {Y.min()}")


# Poisson's negative log-likelihood (up to a constant), on a positive output; not on the logits
POISSON = losses.Loss("poisson", f=lambda Y, M: np.sum(M - Y * np.log(M)) / len(Y),
                      df=lambda Y, M: (1.0 - Y / M) / len(Y), targets=_counts, output_activation="softplus")


# an optimizer: a subclass with update(key, p, grad), its state in state_for --------------------------------


class Nesterov(optimizers.Optimizer):
    r"""Nesterov's momentum as PyTorch's ``SGD(nesterov=True)`` writes it:
    :math:`v \leftarrow \beta v + \nabla`, :math:`\theta \leftarrow \theta - \eta (\nabla + \beta v)`."""

    def __init__(self, lr, beta=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta = beta

    def update(self, key, p, grad):
        (v,) = self.state_for(key, p, 1)
        nabla = self.gradient_with_decay(key, p, grad)
        v *= self.beta
        v += nabla
        p -= self.lr * (nabla + self.beta * v)


def soft_targets(rng, n, k):
    return rng.dirichlet(np.ones(k), size=n)


def assert_same_parameters(a, b):
    for l in range(1, a.L + 1):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.biases[l], b.biases[l])


# the new loss and the new optimizer, fast path against readable path --------------------------------------


@pytest.mark.parametrize("make_optimizer", [None, lambda: Nesterov(0.05, beta=0.8),
                                            lambda: Nesterov(0.05, weight_decay=0.01)])
@pytest.mark.parametrize("batch_size, shuffle", [(None, False), (6, True), (1, True)])
def test_a_new_loss_on_the_logits_trains_with_fit_as_on_the_readable_path(make_optimizer, batch_size, shuffle):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(17, 4)), soft_targets(rng, 17, 3)
    assert SOFT_CROSS_ENTROPY.takes_logits
    a = mlpcore.MLP([4, 6, 5, 3], activation="tanh", output_activation="softmax", loss=SOFT_CROSS_ENTROPY, seed=1)
    b = a.copy()
    fast, slow = (make_optimizer(), make_optimizer()) if make_optimizer else (None, None)
    lr = None if fast else 0.2
    history = a.fit(X, Y, epochs=4, lr=lr, optimizer=fast, batch_size=batch_size, shuffle=shuffle, seed=3)
    expected = readable_fit(b, X, Y, epochs=4, lr=lr, batch_size=batch_size or len(X), shuffle=shuffle, seed=3,
                            optimizer=slow)
    assert history.batch_loss == expected
    assert history.loss[-1] < history.loss[0]  # it learns
    assert_same_parameters(a, b)
    if fast:
        assert fast.t == slow.t == len(expected)
        for key in slow.state:
            np.testing.assert_array_equal(fast.state[key][0], slow.state[key][0])


@pytest.mark.parametrize("batch_size", [None, 6, 1])
def test_the_built_in_cross_entropy_takes_the_same_soft_targets_to_the_same_bits(batch_size):
    """mlpcore's own cross_entropy accepts probability-vector targets too; on its fast path (one exponential
    for the loss and the delta) it trains as the recipe's loss, written apart from it, does."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(17, 4)), soft_targets(rng, 17, 3)
    a = mlpcore.MLP([4, 6, 5, 3], activation="tanh", output_activation="softmax", loss=SOFT_CROSS_ENTROPY, seed=1)
    b = mlpcore.MLP([4, 6, 5, 3], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
    history = a.fit(X, Y, epochs=4, lr=0.2, batch_size=batch_size, seed=3)
    assert b.fit(X, Y, epochs=4, lr=0.2, batch_size=batch_size, seed=3).batch_loss == history.batch_loss
    assert_same_parameters(a, b)


def test_the_loss_on_the_logits_is_its_plain_form_through_softmax():
    rng = np.random.default_rng(1)
    Y, Z = soft_targets(rng, 5, 4), rng.normal(size=(5, 4))
    P = activations.softmax(Z)
    assert SOFT_CROSS_ENTROPY.f_logits(Y, Z) == pytest.approx(SOFT_CROSS_ENTROPY.f(Y, P), rel=1e-13)
    chained = activations.get("softmax").backward(Z, P, SOFT_CROSS_ENTROPY.df(Y, P))
    np.testing.assert_allclose(SOFT_CROSS_ENTROPY.delta_logits(Y, Z), chained, atol=1e-15)
    value, delta = SOFT_CROSS_ENTROPY.value_and_delta_logits(Y, Z)  # without a shared form: the two apart
    assert value == SOFT_CROSS_ENTROPY.f_logits(Y, Z)
    np.testing.assert_array_equal(delta, SOFT_CROSS_ENTROPY.delta_logits(Y, Z))


def test_a_new_loss_on_the_outputs_with_a_new_activation_and_optimizer_gives_the_same_bits():
    """All three extension points at once: an activation made with the public constructor (with its
    own in-place forms), a loss that needs an output activation but not the logits, Nesterov."""

    def cube_into(z, out, scratch):
        np.multiply(z, z, out=out)  # (z * z) * z, as f
        out *= z

    def cube_slope_into(z, a, grad, t):
        np.multiply(z, 3.0, out=t)  # grad * ((3 z) z), as backward
        t *= z
        grad *= t

    cube = activations.Activation("cube", lambda z: z * z * z, lambda z: 3.0 * z * z,
                                  f_into=cube_into, slope_into=cube_slope_into)
    rng = np.random.default_rng(2)
    X, Y = 0.5 * rng.normal(size=(20, 3)), rng.poisson(2.0, size=(20, 2)).astype(float)
    assert not POISSON.takes_logits
    a = mlpcore.MLP([3, 4, 2], activation=cube, output_activation="softplus", loss=POISSON, seed=0)
    b = a.copy()
    fast, slow = Nesterov(0.02), Nesterov(0.02)
    history = a.fit(X, Y, epochs=5, optimizer=fast, batch_size=8, seed=1)
    assert history.batch_loss == readable_fit(b, X, Y, epochs=5, lr=None, batch_size=8, seed=1, optimizer=slow)
    assert history.loss[-1] < history.loss[0]
    assert_same_parameters(a, b)


# what each recipe promises besides the bits ------------------------------------------------------------------


def test_the_new_optimizer_has_a_repr_and_the_state_rules_of_the_others():
    assert repr(Nesterov(0.1)) == "Nesterov(lr=0.1, beta=0.9, weight_decay=0.0)"
    assert repr(Nesterov(0.1, beta=0.5, weight_decay=0.01)) == "Nesterov(lr=0.1, beta=0.5, weight_decay=0.01)"

    class Unnamed(Nesterov):  # an argument kept under another name is left out of repr, not a crash
        def __init__(self, lr, momentum=0.9):
            super().__init__(lr, beta=momentum)

    assert repr(Unnamed(0.1)) == "Unnamed(lr=0.1)"
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], seed=0)
    opt = Nesterov(0.1)
    net.fit(X, Y, epochs=2, optimizer=opt)
    with pytest.raises(ValueError, match="this Nesterov holds the state of another network"):
        net.copy().fit(X, Y, epochs=1, optimizer=opt)


def test_an_optimizer_without_update_says_what_it_lacks():
    class Lazy(optimizers.Optimizer):
        pass

    X, Y = mlpcore.data.xor()
    with pytest.raises(NotImplementedError, match=r"Lazy must define update\(key, p, grad\)"):
        mlpcore.MLP([2, 3, 1], seed=0).fit(X, Y, epochs=1, optimizer=Lazy(0.1))


def test_the_new_loss_rejects_bad_targets_with_its_own_message_before_changing_anything():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4, 4)), soft_targets(rng, 4, 3)
    Y[2] = [0.5, 0.7, -0.2]  # sums to 1, but a negative entry
    net = mlpcore.MLP([4, 5, 3], activation="tanh", output_activation="softmax", loss=SOFT_CROSS_ENTROPY, seed=0)
    before = [W.copy() for W in net.weights]
    message = (r"Y must hold a probability vector in each row \(entries >= 0 that sum to 1\) for "
               r"loss='soft_cross_entropy', got row 2: \[ 0.5  0.7 -0.2\]")
    with pytest.raises(ValueError, match=message):
        net.fit(X, Y, epochs=1, lr=0.1)
    with pytest.raises(ValueError, match=message):
        net.gradients(X, Y)
    with pytest.raises(ValueError, match=message):
        net.check_batch(X, Y)
    with pytest.raises(ValueError, match=r"Y must be counts \(>= 0\) for loss='poisson', got -1.0"):
        mlpcore.MLP([4, 2], output_activation="softplus", loss=POISSON).loss(X, -np.ones((4, 2)))
    for W, W0 in zip(net.weights, before):
        np.testing.assert_array_equal(W, W0)
    Xc, Yc = net.check_batch(X[0], [0.2, 0.3, 0.5])  # one sample: the batch of one the loss checks
    assert Xc.shape == (1, 4) and Yc.shape == (1, 3)


def test_the_new_loss_keeps_its_output_activation():
    with pytest.raises(ValueError, match=r"loss='soft_cross_entropy' needs output_activation='softmax', got 'sigmoid'"):
        mlpcore.MLP([2, 3, 2], output_activation="sigmoid", loss=SOFT_CROSS_ENTROPY)


@pytest.mark.parametrize("kwargs, message", [
    ({"f_logits": lambda Y, Z: 0.0, "output_activation": "softmax"},
     r"loss 'bad' needs both f_logits and delta_logits, or neither"),
    ({"f_logits": lambda Y, Z: 0.0, "delta_logits": lambda Y, Z: Z},
     r"loss 'bad' takes the logits, so it needs the output_activation"),
    ({"value_and_delta_logits": lambda Y, Z: (0.0, Z)},
     r"loss 'bad' has value_and_delta_logits without f_logits and delta_logits"),
])
def test_a_loss_that_cannot_work_is_refused_when_it_is_made(kwargs, message):
    with pytest.raises(TypeError, match=message):
        losses.Loss("bad", lambda Y, Yh: 0.0, lambda Y, Yh: Yh, **kwargs)


def test_a_loss_that_turns_infinite_stops_fit_as_a_divergence():
    # inf without a floating-point error (no overflow, no invalid operation): fit checks the loss itself
    bounded = losses.Loss("bounded", f=lambda Y, Yh: math.inf if np.abs(Yh - Y).max() > 5 else np.mean((Y - Yh) ** 2),
                          df=lambda Y, Yh: 2.0 * (Yh - Y) / Y.size)
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    net = mlpcore.MLP([1, 4, 1], activation="identity", loss=bounded, seed=0)
    with pytest.raises(mlpcore.DivergenceError, match=r"diverged in epoch \d+ \(loss inf\).*lr=3.0"):
        net.fit(X, 3 * X, epochs=200, lr=3.0)
