"""Checks of chapter 17, optimizers: momentum, Adam, weight decay and early stopping."""

import numpy as np

from mlpcore.gradcheck import numerical_gradient
from mlpcore.network import MLP

from . import Failure, _fmt, as_count, as_number, as_parts, calls, compare_arrays, exercise


def _parts(got, n, where, names):
    """The answer as a list of n arrays (or numbers), named ``names`` in messages."""
    return as_parts(got, n, where, names)


def _compare(got, expected, place, what=""):
    # place reads "for ...", as calls() gives it; compare_arrays writes its own "for"
    return compare_arrays(got, expected, place.removeprefix("for ") + what, rtol=1e-9, atol=1e-12)


def _number(x, where, name):
    return as_number(x, where, f"{name} as a number")


def _momentum_inputs(rng):
    """(c, theta0, lr, beta, steps): one curvature; the tuned heavy ball on curvatures 1 and 10; beta = 0
    (gradient descent); then random stable settings, eta c < 2 (1 + beta) for every curvature."""
    sqrt10 = np.sqrt(10.0)
    cases = [(np.array([1.0]), np.array([1.0]), 0.1, 0.9, 5),
             (np.array([1.0, 10.0]), np.array([1.0, -1.0]), 4 / (sqrt10 + 1) ** 2, ((sqrt10 - 1) / (sqrt10 + 1)) ** 2,
              30),
             (np.array([2.0, 0.5, 3.0]), np.array([0.3, -2.0, 1.0]), 0.2, 0.0, 10)]
    for n in (2, 4):
        c, beta = rng.uniform(0.1, 10.0, size=n), float(rng.uniform(0.0, 0.95))
        lr = float(rng.uniform(0.05, 0.9) * 2 * (1 + beta) / c.max())
        cases.append((c, rng.normal(size=n), lr, beta, int(rng.integers(10, 40))))
    return cases


def _heavy_ball_path(c, theta0, lr, beta, steps, damped=False):
    """theta_t of every component from the powers of its 2x2 matrix T_c, (e_t, v_t) = T_c^t (e_0, 0);
    ``damped`` is the other convention, v_t = beta v_{t-1} + (1 - beta) grad, for the hint."""
    g = (1 - beta) if damped else 1.0
    path = np.empty((steps + 1, len(c)))
    for i, (c_i, e_0) in enumerate(zip(c, theta0)):
        T = np.array([[1 - lr * g * c_i, -lr * beta], [g * c_i, beta]])
        path[:, i] = [(np.linalg.matrix_power(T, t) @ [e_0, 0.0])[0] for t in range(steps + 1)]
    return path


@exercise("ex-opt-momentum-step", inputs=_momentum_inputs)
def _momentum_run(answer, inputs):
    def where(c, theta0, lr, beta, steps):
        return f"for c={_fmt(c)}, theta0={_fmt(theta0)}, lr={lr:.4g}, beta={beta:.4g}, steps={steps}"

    for (c, theta0, lr, beta, steps), got, place in calls(
            answer, inputs, "a function momentum_run(c, theta0, lr, beta, steps)", where):
        expected = _heavy_ball_path(c, theta0, lr, beta, steps)
        atol = 1e-12 * np.abs(theta0).max()
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Failure(f"{place}: expected an array of shape {expected.shape}, got {got!r}"[:300]) from None
        if got.shape == (steps, len(c)):
            raise Failure(f"{place}: expected {steps + 1} rows, theta_0 (the start) first, then one per step; "
                          f"got {steps}")
        if (got.shape == expected.shape and beta > 0
                and np.allclose(got, _heavy_ball_path(c, theta0, lr, beta, steps, damped=True), atol=atol)):
            raise Failure(f"{place}: the velocity is beta v + (1 - beta) grad, the other convention; "
                          "Momentum, like PyTorch, adds the gradient itself: v_t = beta v_{t-1} + grad")
        compare_arrays(got, expected, place.removeprefix("for "), rtol=1e-9, atol=atol)


def _adam_inputs(rng):
    """(theta, m, s, grad, t, lr, beta1, beta2, eps): first steps from zero, later steps, random ones."""
    z = np.zeros(3)
    cases = [(np.array([1.0, 2.0, 3.0]), z, z, np.array([0.5, -1e-3, 2.0]), 1, 0.01, 0.9, 0.999, 1e-8),
             (np.array([1.0]), np.array([0.1]), np.array([0.001]), np.array([-2.0]), 2, 0.1, 0.9, 0.999, 1e-8),
             (np.array([0.0, 0.0]), np.zeros(2), np.zeros(2), np.array([0.0, 1.0]), 1, 0.1, 0.5, 0.9, 1e-6)]
    for shape in [(4,), (2, 3)]:
        s = rng.uniform(0, 1, size=shape)
        cases.append((rng.normal(size=shape), rng.normal(size=shape) * 0.1, s * 0.01, rng.normal(size=shape),
                      int(rng.integers(1, 2000)), float(rng.uniform(1e-4, 0.1)), float(rng.uniform(0.5, 0.95)),
                      float(rng.uniform(0.9, 0.9999)), 1e-8))
    return cases


@exercise("ex-opt-adam-step", inputs=_adam_inputs)
def _adam_step(answer, inputs):
    def where(theta, m, s, grad, t, lr, beta1, beta2, eps):
        return (f"for theta={_fmt(theta)}, m={_fmt(m)}, s={_fmt(s)}, grad={_fmt(grad)}, t={t}, lr={lr:.4g}, "
                f"beta1={beta1:.4g}, beta2={beta2:.4g}, eps={eps:.1e}")

    for (theta, m, s, grad, t, lr, beta1, beta2, eps), got, place in calls(
            answer, inputs, "a function adam_step(theta, m, s, grad, t, lr, beta1, beta2, eps)", where):
        got_theta, got_m, got_s = _parts(got, 3, place, ["theta", "m", "s"])
        m_t = beta1 * m + (1 - beta1) * grad  # Kingma and Ba, Algorithm 1
        s_t = beta2 * s + (1 - beta2) * grad * grad
        step = lr * (m_t / (1 - beta1**t)) / (np.sqrt(s_t / (1 - beta2**t)) + eps)
        _compare(got_m, m_t, place, " (m, not bias-corrected)")
        _compare(got_s, s_t, place, " (s, not bias-corrected)")
        _compare(got_theta, theta - step, place, " (theta)")


def _spectra(rng):
    """(c,): Hessian eigenvalues, fixed and random, as 1-D arrays."""
    cases = [np.array([1.0, 10.0]), np.array([2.0, 3.0, 5.0, 200.0]), np.array([4.0, 4.0]),
             np.array([0.01, 0.5, 1.0])]
    for _ in range(3):
        cases.append(np.sort(np.exp(rng.uniform(-3, 5, size=int(rng.integers(2, 8))))))
    return [(c,) for c in cases]


def _largest_root(eta, beta, c):
    # the largest |q| over the eigenvalues c of the roots of q^2 - (1 + beta - eta c) q + beta
    return max(np.abs(np.roots([1.0, -(1 + beta - eta * ci), beta])).max() for ci in c)


@exercise("ex-opt-tuned-momentum", inputs=_spectra)
def _tuned_momentum(answer, inputs):
    for (c,), got, where in calls(answer, inputs, "a function tuned_momentum(c)", lambda c: f"for c={_fmt(c)}"):
        names = ["eta", "beta", "rate"]
        eta, beta, rate = (_number(x, where, n) for x, n in zip(_parts(got, 3, where, names), names))
        kappa = c.max() / c.min()
        expected_rate = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
        # the window (1 - sqrt beta)^2 <= eta c <= (1 + sqrt beta)^2 must end at c_min and c_max
        expected_beta = expected_rate**2
        expected_eta = (1 + expected_rate) ** 2 / c.max()
        compare_arrays(rate, expected_rate, where.removeprefix("for ") + " (rate)", rtol=1e-6, atol=1e-12)
        compare_arrays(beta, expected_beta, where.removeprefix("for ") + " (beta)", rtol=1e-6, atol=1e-12)
        compare_arrays(eta, expected_eta, where.removeprefix("for ") + " (eta)", rtol=1e-6, atol=1e-12)
        achieved = _largest_root(eta, beta, c)
        if achieved > rate * (1 + 1e-5) + 1e-9:
            raise Failure(f"{where}: with your eta and beta the slowest component shrinks by {achieved:.6g} "
                          f"per step, not by your rate {rate:.6g}")


def _penalty_cases(rng):
    """(net, X, Y, omega): networks of several shapes, with random batches and decays."""
    nets = [MLP([2, 3, 1], activation="tanh", loss="mse", seed=1),
            MLP([3, 4, 4, 2], activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=2),
            MLP([2, 5, 2], activation="relu", output_activation="identity", loss="squared_error", seed=3)]
    cases = []
    for net, omega in zip(nets, [0.0, 0.1, float(rng.uniform(0.01, 1))]):
        N = int(rng.integers(2, 7))
        X = rng.normal(size=(N, net.sizes[0]))
        if net.loss_fn.name == "cross_entropy":
            Y = np.eye(net.sizes[-1])[rng.integers(0, net.sizes[-1], N)]
        else:
            Y = rng.uniform(size=(N, net.sizes[-1]))
        for l in range(1, net.L + 1):
            net.biases[l] = rng.normal(size=net.sizes[l]) * 0.5  # biases away from 0: a decayed bias shows
        cases.append((net, X, Y, omega))
    return cases


def _penalised_reference(net, X, Y, omega):
    """Central differences of L + omega/2 sum ||W^l||^2 in every weight, then every bias."""
    net = net.copy()

    def penalised(_):
        return net.loss(X, Y) + omega / 2 * sum(float(np.sum(W * W)) for W in net.weights)

    parts = [numerical_gradient(penalised, P, h=1e-6) for P in [*net.weights, *net.biases]]
    return np.concatenate([p.ravel() for p in parts])


@exercise("ex-opt-penalised-gradient", inputs=_penalty_cases)
def _penalised_gradient(answer, inputs):
    for (net, X, Y, omega), got, where in calls(
            answer, inputs, "a function penalised_gradient(net, X, Y, omega)",
            lambda net, X, Y, omega: f"for {net!r}, a batch of {len(X)} samples and omega={omega:.4g}"):
        compare_arrays(got, _penalised_reference(net, X, Y, omega), where.removeprefix("for "), rtol=1e-5, atol=1e-8)


def _curves(rng):
    """(val_losses, patience): curves that fall and rise, plateaus, late improvements; random noisy ones."""
    cases = [([3.0, 2.0, 1.0, 2.0, 3.0], 1), ([3.0, 2.0, 1.0, 2.0, 3.0], 5), ([5.0, 4.0, 4.5, 4.6, 4.7, 3.0], 3),
             ([5.0, 4.0, 4.5, 4.6, 4.7, 3.0], 4), ([1.0, 1.0, 1.0, 1.0], 2), ([4.0, 3.0, 2.0, 1.0], 1),
             ([2.0], 3), ([2.0, 1.0, 1.0, 0.5], 2)]
    for _ in range(5):
        n = int(rng.integers(10, 60))
        t = np.arange(n)
        curve = (t - rng.uniform(5, n)) ** 2 / n + rng.normal(scale=rng.uniform(0.1, 3), size=n) + 10
        cases.append((np.asarray(curve), int(rng.integers(1, 12))))
    return [(np.asarray(c, dtype=float), p) for c, p in cases]


def _stopping_reference(curve, patience):
    # early stopping, epoch by epoch: the best epoch seen before patience epochs without a new minimum
    kept, lowest = 1, curve[0]
    for epoch in range(2, len(curve) + 1):
        if epoch - kept > patience:
            break
        if curve[epoch - 1] < lowest:
            kept, lowest = epoch, curve[epoch - 1]
    return kept


@exercise("ex-opt-early-stop", inputs=_curves)
def _early_stop(answer, inputs):
    for (curve, patience), got, where in calls(
            answer, inputs, "a function early_stopping_epoch(val_losses, patience)",
            lambda curve, patience: f"for val_losses={_fmt(curve)} and patience={patience}"):
        expected = _stopping_reference(curve, patience)
        if as_count(got, where, f"epoch {expected}") != expected:
            raise Failure(f"{where}: expected epoch {expected}, got {got!r}")
