"""fit: XOR is learned, every batching mode lowers the loss, runs are reproducible,
and divergence stops with a clear error."""

import numpy as np
import pytest

import mlpcore


def test_xor_is_learned_from_a_fixed_seed():
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", loss="mse", seed=0)
    history = net.fit(X, Y, epochs=2000, lr=1.0)
    assert history.loss[-1] < 0.01
    assert net.loss(X, Y) < 0.01
    np.testing.assert_array_equal(net.forward(X) > 0.5, Y > 0.5)


@pytest.mark.parametrize("batch_size", [None, 16, 1])  # batch, mini-batch, online
def test_every_batching_mode_reduces_the_loss(batch_size):
    X, Y = mlpcore.data.moons(n=64, seed=1)
    net = mlpcore.MLP([2, 8, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=2)
    start = net.loss(X, Y)
    history = net.fit(X, Y, epochs=30, lr=0.1, batch_size=batch_size)
    assert net.loss(X, Y) < 0.9 * start
    assert history.loss[-1] < history.loss[0]
    updates_per_epoch = 1 if batch_size is None else -(-64 // batch_size)
    assert len(history.loss) == 30 and len(history.batch_loss) == 30 * updates_per_epoch


def test_epoch_loss_is_the_size_weighted_mean_of_batch_losses():
    X, Y = mlpcore.data.moons(n=10, seed=0)
    net = mlpcore.MLP([2, 3, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    h = net.fit(X, Y, epochs=1, lr=0.1, batch_size=4)  # batches of 4, 4, 2
    assert h.loss[0] == pytest.approx((4 * h.batch_loss[0] + 4 * h.batch_loss[1] + 2 * h.batch_loss[2]) / 10)


def test_full_batch_epoch_is_one_gradient_step():
    X, Y = mlpcore.data.xor()
    a = mlpcore.MLP([2, 3, 1], seed=5)
    b = a.copy()
    a.fit(X, Y, epochs=1, lr=0.5)
    b.step(b.gradients(X, Y), lr=0.5)
    for l in (1, 2):
        np.testing.assert_allclose(a.weights[l], b.weights[l], rtol=1e-14)


def test_same_seed_same_run_other_seed_other_order():
    X, Y = mlpcore.data.moons(n=40, seed=0)
    runs = []
    for seed in (7, 7, 8):
        net = mlpcore.MLP([2, 5, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0)
        runs.append(net.fit(X, Y, epochs=3, lr=0.1, batch_size=8, seed=seed).batch_loss)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_without_shuffle_the_order_is_fixed():
    X, Y = mlpcore.data.moons(n=40, seed=0)
    a = mlpcore.MLP([2, 5, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    b = a.copy()
    ha = a.fit(X, Y, epochs=2, lr=0.1, batch_size=8, shuffle=False, seed=1)
    hb = b.fit(X, Y, epochs=2, lr=0.1, batch_size=8, shuffle=False, seed=2)
    assert ha.batch_loss == hb.batch_loss


def test_divergence_names_the_epoch_and_suggests_a_smaller_rate():
    X = np.linspace(-1, 1, 20).reshape(-1, 1) * 50
    Y = 3 * X
    net = mlpcore.MLP([1, 8, 1], activation="identity", loss="mse", seed=0)
    with pytest.raises(mlpcore.DivergenceError, match=r"diverged in epoch \d+ .*smaller learning rate than lr=1.0"):
        net.fit(X, Y, epochs=500, lr=1.0)


def test_progress_bar_only_when_asked(capsys):
    X, Y = mlpcore.data.xor()
    mlpcore.MLP([2, 2, 1], seed=0).fit(X, Y, epochs=3, lr=0.1)
    assert capsys.readouterr().err == ""
    mlpcore.MLP([2, 2, 1], seed=0).fit(X, Y, epochs=3, lr=0.1, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "3/3" in err
