"""Checks of chapter 14, the digits case study.

Every reference is computed by brute force with Python loops over the samples,
independently of the numpy one-liners of the book's solutions: counts pair by
pair for the confusion matrix, ranks by counting larger outputs for the top-k
accuracy, and a running maximum over the wrong rows for the most confident
mistake. Inputs are fixed cases plus random labels and outputs.

The capstone (a numpy train with backpropagation, Adam and early stopping) is
compared with mlpcore's gradients, with a run written out here on the flat
parameter vector, and with held-out digits that the answer never sees. The three
experiments are judged by what a correct protocol guarantees, on fresh data and
seeds: a comparison over seeds reports the mean and the sample standard deviation
of runs that depend on their own seed only; a bracketed sweep has a worse rate on
each side of its best, with the losses recomputed here; a stopping epoch chosen on
validation data does not move when only the test set changes.
"""

import numpy as np

from . import Failure, _fmt, as_count, as_number, as_parts, calls, exercise, require_function, textwrap_dedent


def _softmax_rows(rng, n, k, scale=2.0):
    Z = rng.normal(scale=scale, size=(n, k))
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _one_hot(labels, k):
    Y = np.zeros((len(labels), k))
    for n, t in enumerate(labels):
        Y[n, t] = 1.0
    return Y


# confusion matrix ----------------------------------------------------------------------


def _confusion_reference(y_true, y_pred, k):
    """C[i, j] = number of samples with true label i and predicted label j, pair by pair."""
    C = [[0] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            C[i][j] = sum(1 for t, p in zip(y_true.tolist(), y_pred.tolist()) if t == i and p == j)
    return np.array(C)


def _confusion_inputs(rng):
    """(y_true, y_pred, k): fixed cases, then random labels, mostly predicted right."""
    cases = [
        (np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3),
        (np.array([1, 1, 1]), np.array([1, 1, 1]), 2),  # class 0 never occurs
        (np.array([0, 0, 3]), np.array([3, 0, 0]), 5),  # k larger than any label
        (np.array([2]), np.array([0]), 3),  # one sample
    ]
    for n, k in [(50, 3), (200, 10), (1000, 7)]:
        y_true = rng.integers(0, k, size=n)
        y_pred = np.where(rng.random(n) < 0.8, y_true, rng.integers(0, k, size=n))  # mostly right
        cases.append((y_true, y_pred, k))
    return cases


@exercise("ex-digits-confusion-matrix", inputs=_confusion_inputs)
def _confusion_matrix(answer, inputs):
    what = "a function confusion_matrix_k(y_true, y_pred, k)"
    for (y_true, y_pred, k), got, where in calls(answer, inputs, what,
                                                 lambda t, p, k: f"for y_true={_fmt(t)}, y_pred={_fmt(p)}, k={k}"):
        expected = _confusion_reference(y_true, y_pred, k)
        got = np.asarray(got)
        if got.shape != (k, k):
            raise Failure(f"{where}: expected shape {(k, k)}, got shape {got.shape}")
        if not np.array_equal(got, expected):
            hint = ""
            if np.array_equal(got, expected.T):
                hint = " (transposed: rows are the true labels, columns the predictions)"
            raise Failure(f"{where}: expected\n{expected}\ngot\n{got}{hint}")


# top-k accuracy ------------------------------------------------------------------------


def _top_k_reference(Y, Y_hat, k):
    """The true class counts when fewer than k outputs of its row are larger than its own."""
    right = 0
    for y, p in zip(Y.tolist(), Y_hat.tolist()):
        t = y.index(1.0)
        larger = sum(1 for q in p if q > p[t])
        right += larger < k
    return right / len(Y)


def _top_k_inputs(rng):
    """(Y, Y_hat, k): fixed cases, then random one-hot targets and softmax outputs, with several k."""
    cases = [
        (np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
         np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]), 1),  # 2 of 3 right
        (np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
         np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]), 2),  # all 3 in the top 2
        (np.array([[0.0, 0, 1]]), np.array([[0.5, 0.3, 0.2]]), 2),  # the true class is last
        (np.array([[0.0, 0, 1]]), np.array([[0.5, 0.3, 0.2]]), 3),  # k = K: always right
    ]
    for n, K in [(20, 4), (100, 10), (37, 3)]:
        Y = _one_hot(rng.integers(0, K, size=n), K)
        P = _softmax_rows(rng, n, K)
        for k in sorted({1, 2, K // 2, K}):
            cases.append((Y, P, k))
    return cases


@exercise("ex-digits-top-k-accuracy", inputs=_top_k_inputs)
def _top_k_accuracy(answer, inputs):
    def describe(Y, P, k):
        return f"for Y of shape {Y.shape}, k={k}" if len(Y) > 3 else f"for Y={_fmt(Y)}, Y_hat={_fmt(P)}, k={k}"

    for (Y, P, k), got, where in calls(answer, inputs, "a function top_k_accuracy(Y, Y_hat, k)", describe):
        expected = _top_k_reference(Y, P, k)
        got = as_number(got, where, "one number (a fraction)")
        if np.isclose(got, 100 * expected) and expected not in (0.0, 0.01):
            raise Failure(f"{where}: expected the fraction {expected:.6g}, got {got:.6g} (a percentage?)")
        if not np.isclose(got, expected, rtol=1e-12, atol=1e-12):
            raise Failure(f"{where}: expected {expected:.6g}, got {got:.6g}")


# most confident mistake ----------------------------------------------------------------


def _most_confident_wrong_reference(Y, Y_hat):
    best, best_confidence = None, -1.0
    for n, (y, p) in enumerate(zip(Y.tolist(), Y_hat.tolist())):
        predicted = max(range(len(p)), key=lambda j: p[j])
        if y[predicted] != 1.0 and p[predicted] > best_confidence:
            best, best_confidence = n, p[predicted]
    return best


def _most_confident_wrong_inputs(rng):
    """(Y, Y_hat): fixed cases, then random ones in which most rows, but not all, are right."""
    cases = [
        # the most confident row overall (row 0) is right; the answer is row 2
        (np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]]),
         np.array([[0.99, 0.01], [0.4, 0.6], [0.8, 0.2], [0.3, 0.7]])),
        (np.array([[0.0, 1, 0]]), np.array([[0.2, 0.3, 0.5]])),  # one row, wrong
    ]
    for n, K in [(30, 3), (200, 10), (60, 5)]:
        while True:  # until the case has a mistake (all rows right happens by chance, rarely)
            labels = rng.integers(0, K, size=n)
            P = _softmax_rows(rng, n, K, scale=3.0)
            # make most rows right by giving the true class a boost, as a trained network would
            P[np.arange(n), labels] += np.where(rng.random(n) < 0.85, 2.0, 0.0)
            P /= P.sum(axis=1, keepdims=True)
            if not np.all(P.argmax(axis=1) == labels):
                break
        cases.append((_one_hot(labels, K), P))
    return cases


@exercise("ex-digits-most-confident-wrong", inputs=_most_confident_wrong_inputs)
def _most_confident_wrong(answer, inputs):
    def describe(Y, P):
        return f"for Y of shape {Y.shape}" if len(Y) > 4 else f"for Y={_fmt(Y)}, Y_hat={_fmt(P)}"

    for (Y, P), got, where in calls(answer, inputs, "a function most_confident_wrong(Y, Y_hat)", describe):
        expected = _most_confident_wrong_reference(Y, P)
        n = as_count(got, where, "one row index (an integer)")
        if n != expected:
            detail = ""
            if 0 <= n < len(Y):
                right = P[n].argmax() == Y[n].argmax()
                detail = (f" (row {n} is {'right' if right else 'wrong'}, confidence {P[n].max():.4f}; "
                          f"row {expected} is wrong with confidence {P[expected].max():.4f})")
            raise Failure(f"{where}: expected row {expected}, got {n}{detail}")


# ex-digits-capstone ----------------------------------------------------------------------------
#
# The answer is train(weights, biases, X, Y, X_val, Y_val, config). The check calls it three ways:
# one epoch of "sgd" with lr = 1 on the whole batch, whose step is minus the gradient, compared with
# mlpcore's net.gradients; several epochs of "sgd" and "adam" in mini-batches with early stopping,
# compared with a run written out here (fit's batches, mlpcore's gradients, Kingma and Ba's Adam on
# the flat parameter vector, the early-stopping rule of chapter 17); and the digits, their pixels
# and classes shuffled (so that no copy of the digits in the student's kernel matches them), on
# which the network kept must classify held-out images that train never sees.

_ADAM = (0.9, 0.999, 1e-8)  # beta1, beta2, eps: chapter 17's defaults
_DIGITS_THRESHOLD = 0.90  # held-out accuracy; the book's train reaches 0.95 on average, 0.92 at worst in 1000 seeds
_DIGITS_SIZES, _DIGITS_TRAIN, _DIGITS_VAL = [64, 32, 10], 500, 250


def _capstone_net(sizes, hidden, seed, rng):
    from mlpcore.network import MLP

    net = MLP(sizes, activation=hidden, output_activation="softmax", loss="cross_entropy", seed=seed)
    for l in range(1, net.L + 1):  # biases away from 0, so that a slip in them shows
        net.biases[l] = rng.normal(scale=0.3, size=sizes[l])
    return net


def _config(optimizer, lr, batch_size, epochs, patience, seed, hidden):
    return {"hidden": hidden, "optimizer": optimizer, "lr": lr, "batch_size": batch_size, "epochs": epochs,
            "patience": patience, "seed": seed}


def _as_net(template, weights, biases):
    net = template.copy()
    for l in range(1, net.L + 1):
        net.weights[l], net.biases[l] = np.asarray(weights[l - 1], dtype=float), np.asarray(biases[l - 1], dtype=float)
    return net


def _reference_run(net, X, Y, X_val, Y_val, config, slip=None):
    """(kept parameters, validation losses, parameters after the last epoch run) of train, written out:
    fit's batches (one generator, a permutation per epoch, consecutive slices), mlpcore's gradients,
    Adam on the flat vector of the parameters, and the early-stopping rule. ``slip`` runs a common
    mistake instead: "no correction", "t per epoch", "reset" (Adam's state every epoch), "no shuffle",
    "same order", "drop last", "no stop"."""
    from mlpcore.network import assign_flat, flatten

    net = net.copy()
    beta1, beta2, eps = _ADAM
    theta = flatten(net)
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    N = len(X)
    B = N if config["batch_size"] is None else config["batch_size"]
    rng, t = np.random.default_rng(config["seed"]), 0
    losses, kept, best = [], None, 0
    for epoch in range(1, config["epochs"] + 1):
        if slip == "reset":
            first[:], second[:], t = 0.0, 0.0, 0
        order = rng.permutation(N)
        if slip == "no shuffle":
            order = np.arange(N)
        elif slip == "same order":
            order = np.random.default_rng(config["seed"]).permutation(N)
        for begin in range(0, N, B):
            rows = order[begin : begin + B]
            if slip == "drop last" and len(rows) < B:
                break
            grad = flatten(net.gradients(X[rows], Y[rows]))
            t += 1
            if config["optimizer"] == "sgd":
                theta = theta - config["lr"] * grad
            else:
                first = beta1 * first + (1 - beta1) * grad
                second = beta2 * second + (1 - beta2) * grad * grad
                k = epoch if slip == "t per epoch" else t
                if slip == "no correction":
                    theta = theta - config["lr"] * first / (np.sqrt(second) + eps)
                else:
                    theta = theta - config["lr"] * (first / (1 - beta1**k)) / (np.sqrt(second / (1 - beta2**k)) + eps)
            assign_flat(net, theta)
        losses.append(net.loss(X_val, Y_val))
        if losses[-1] < min(losses[:-1], default=np.inf):
            kept, best = theta.copy(), epoch
        elif slip != "no stop" and epoch - best >= config["patience"]:
            break
    return kept, np.array(losses), theta


_RUN_SLIPS = {
    "no correction": ("Adam without its bias correction: divide the running mean of the gradients by "
                      "1 - beta1^t and that of their squares by 1 - beta2^t before the step"),
    "t per epoch": "Adam's t counts the epochs; it counts the steps, one per batch, from 1 across all epochs",
    "reset": "Adam's running means and t start again from zero every epoch; they carry over from epoch to epoch",
    "no shuffle": "the samples were visited in their given order; shuffle them every epoch, as fit does",
    "same order": ("every epoch visited the samples in the same order; one generator "
                   "np.random.default_rng(seed) for the whole run, a new permutation from it every epoch"),
    "drop last": "the last, smaller batch was left out; train on it too, as fit does",
}


def _digits_pool():
    """scikit-learn's digits / 16 with their pixels and classes shuffled by one fixed permutation each:
    a fully connected network learns them as well as the originals, and no copy of the digits in a
    student's kernel matches them."""
    from sklearn.datasets import load_digits

    global _POOL
    if _POOL is None:
        bunch = load_digits()
        shuffle = np.random.default_rng(1414)
        pixels, classes = shuffle.permutation(64), shuffle.permutation(10)
        _POOL = (bunch.data[:, pixels] / 16.0, np.eye(10)[classes[bunch.target]])
    return _POOL


_POOL = None


def _held_out(X, X_val):
    """The images of the pool that are in neither X nor X_val, with their one-hot labels."""
    X_all, Y_all = _digits_pool()
    seen = {row.tobytes() for row in np.vstack([X, X_val])}
    rows = [n for n, row in enumerate(X_all) if row.tobytes() not in seen]
    return X_all[rows], Y_all[rows]


def _trajectory_case(rng, sizes, hidden, N, config_args):
    """A network and data on which the reference run keeps an epoch after the first and, where the
    patience is shorter than the budget, stops early, with no two validation losses near a tie."""
    for attempt in range(40):
        net = _capstone_net(sizes, hidden, int(rng.integers(1 << 30)), rng)
        K = sizes[-1]
        X = rng.normal(size=(N, sizes[0]))
        Y = _one_hot(rng.integers(0, K, size=N), K)
        # validation inputs near the training inputs, half of them with other labels: the validation
        # loss falls while the network learns, then rises as it becomes sure of the training labels
        X_val = np.vstack([X, X]) + rng.normal(scale=0.3, size=(2 * N, sizes[0]))
        labels = np.concatenate([Y.argmax(axis=1), rng.integers(0, K, size=N)])
        Y_val = _one_hot(labels, K)
        config = _config(*config_args, seed=int(rng.integers(1000)), hidden=hidden)
        kept, losses, last = _reference_run(net, X, Y, X_val, Y_val, config)
        best = int(np.argmin(losses)) + 1
        running = np.minimum.accumulate(np.concatenate([[np.inf], losses[:-1]]))
        clear = np.all(np.abs(losses - running) > 1e-6 * losses)
        stops = config["patience"] >= config["epochs"] or len(losses) < config["epochs"]
        if best >= 2 and clear and stops and not np.allclose(kept, last) or attempt == 39:
            return (net, X, Y, X_val, Y_val, config)


def _capstone_inputs(rng):
    """(weights, biases, X, Y, X_val, Y_val, config): gradient cases (one step of "sgd" with lr = 1 on
    the whole batch: networks with square layers, so that a transposed gradient fits), runs of several
    epochs with early stopping, then the digits."""
    cases = []
    gradient_nets = [([4, 4, 3], "tanh", 5), ([4, 4, 4, 3], "sigmoid", 7), ([5, 6, 3], "relu", 6),
                     ([3, 3, 5, 4, 2], "tanh", 4)]
    sizes = [int(n) for n in rng.integers(2, 7, size=int(rng.integers(3, 5)))]
    gradient_nets.append((sizes, str(rng.choice(["tanh", "sigmoid", "relu"])), int(rng.integers(3, 10))))
    for sizes, hidden, N in gradient_nets:
        net = _capstone_net(sizes, hidden, int(rng.integers(1 << 30)), rng)
        X = rng.normal(size=(N, sizes[0]))
        Y = _one_hot(rng.integers(0, sizes[-1], size=N), sizes[-1])
        X_val = rng.normal(size=(3, sizes[0]))
        Y_val = _one_hot(rng.integers(0, sizes[-1], size=3), sizes[-1])
        config = _config("sgd", 1.0, None, 1, 1, seed=int(rng.integers(1000)), hidden=hidden)
        cases.append((net, X, Y, X_val, Y_val, config))
    for sizes, hidden, N, args in [([4, 5, 3], "tanh", 8, ("sgd", 0.5, 3, 12, 2)),
                                   ([3, 4, 3], "sigmoid", 7, ("adam", 0.05, None, 12, 2)),
                                   ([4, 5, 4, 3], "relu", 8, ("adam", 0.05, 3, 12, 3)),
                                   ([5, 6, 3], "tanh", 10, ("adam", 0.03, 4, 8, 8))]:
        cases.append(_trajectory_case(rng, sizes, hidden, N, args))
    X_all, Y_all = _digits_pool()
    order = rng.permutation(len(X_all))
    fit, val = order[:_DIGITS_TRAIN], order[_DIGITS_TRAIN : _DIGITS_TRAIN + _DIGITS_VAL]
    net = _capstone_net(_DIGITS_SIZES, "tanh", int(rng.integers(1 << 30)), rng)
    for l in range(1, net.L + 1):
        net.biases[l] = np.zeros(_DIGITS_SIZES[l])  # mlpcore's start, as in the chapter
    config = _config("adam", 0.01, 32, 12, 3, seed=int(rng.integers(1000)), hidden="tanh")
    cases.append((net, X_all[fit], Y_all[fit], X_all[val], Y_all[val], config))
    return [([W.copy() for W in net.weights], [b.copy() for b in net.biases], X, Y, X_val, Y_val, config)
            for net, X, Y, X_val, Y_val, config in cases]


_N_GRADIENT, _N_RUNS = 5, 4  # the first cases are gradient cases, the next runs, the last the digits


def _template(weights, hidden):
    from mlpcore.network import MLP

    sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
    net = MLP(sizes, activation=hidden, output_activation="softmax", loss="cross_entropy")
    return _as_net(net, weights, [np.zeros(n) for n in sizes[1:]])


def _slipped_gradients(net, X, Y, slip):
    """The gradients of the mean cross-entropy with a slip in the backward pass, written out here:
    "slope of a" (f' taken of a^l instead of z^l), "slope on z" (the formula of f' in terms of a,
    1 - a^2 or a(1 - a), used on z), "no slope" (f' left out), "output slope" (the softmax output's
    delta multiplied by y_hat (1 - y_hat), as if it were elementwise)."""
    f, df = net.activation.f, net.activation.df
    W = list(net.weights)
    A, Z = [X], []
    for Wl, bl in zip(W, net.biases):
        Z.append(A[-1] @ Wl.T + bl)
        A.append(f(Z[-1]))
    E = np.exp(Z[-1] - Z[-1].max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    Delta = (P - Y) / len(X)
    if slip == "output slope":
        Delta = Delta * P * (1 - P)
    on_z = {"tanh": lambda z: 1 - z * z, "sigmoid": lambda z: z * (1 - z)}.get(net.activation.name)
    slope = {"slope of a": lambda z, a: df(a), "no slope": lambda z, a: np.ones_like(z),
             "slope on z": lambda z, a: on_z(z) if on_z else df(z)}.get(slip, lambda z, a: df(z))
    grads_W, grads_b = [None] * net.L, [None] * net.L
    for l in range(net.L, 0, -1):
        grads_W[l - 1], grads_b[l - 1] = Delta.T @ A[l - 1], Delta.sum(axis=0)
        if l > 1:
            Delta = (Delta @ W[l - 1]) * slope(Z[l - 2], A[l - 1])
    return grads_W, grads_b


_GRADIENT_SLIPS = {
    "slope of a": "f' was taken of the activation a^l instead of the pre-activation z^l",
    "slope on z": "the formula of f' in terms of the output (1 - a^2 for tanh, a(1 - a) for sigmoid) was used on z",
    "no slope": "the factor f'(z^l) is missing from the step back through a hidden layer",
    "output slope": ("the output delta was multiplied by y_hat(1 - y_hat): with a softmax output and the "
                     "cross-entropy the output delta is (Y_hat - Y)/N, with no factor f'"),
}


def _parameters(got, template, where):
    """The answer's (weights, biases, val_losses), checked for their number and shapes."""
    weights, biases, losses = as_parts(got, 3, where, ["the weights", "the biases", "the validation losses"])
    L = template.L
    for kind, params, given in [("weights", weights, template.weights), ("biases", biases, template.biases)]:
        if isinstance(params, (str, bytes)) or not hasattr(params, "__len__") or len(params) != L:
            raise Failure(f"{where}: expected the {kind} as a list of {L} arrays, one per layer, got {params!r}"[:400])
        for l, (P, Q) in enumerate(zip(params, given), start=1):
            try:
                P = np.asarray(P, dtype=float)
            except (TypeError, ValueError):
                raise Failure(f"{where}: the {kind} of layer {l} are not an array of numbers") from None
            if P.shape != Q.shape:
                hint = (" (transposed: W^l has shape (n_l, n_(l-1)), as given)" if P.shape == Q.T.shape
                        else " (summed over the samples? a bias gradient sums the deltas over the N rows)"
                        if kind == "biases" and P.ndim == 2 else "")
                raise Failure(f"{where}: the {kind} of layer {l} have shape {P.shape}, the network's have "
                              f"{Q.shape}{hint}")
    try:
        losses = np.asarray(losses, dtype=float)
    except (TypeError, ValueError):
        raise Failure(f"{where}: expected the validation losses as a list of numbers, got {losses!r}"[:300]) from None
    if losses.ndim != 1 or len(losses) == 0:
        raise Failure(f"{where}: expected the validation losses as a list of numbers, one per epoch run, "
                      f"got {losses!r}"[:300])
    return ([np.asarray(P, dtype=float) for P in weights], [np.asarray(P, dtype=float) for P in biases], losses)


def _close(a, b, rtol=1e-7, atol=1e-10):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol)


def _gradient_case(net, X, Y, X_val, Y_val, config, weights, biases, losses, where):
    lr, N = config["lr"], len(X)
    grads = net.gradients(X, Y)
    taken = {"weights": [(W0 - W1) / lr for W0, W1 in zip(net.weights, weights)],
             "biases": [(b0 - b1) / lr for b0, b1 in zip(net.biases, biases)]}
    expected = {"weights": list(grads.weights), "biases": list(grads.biases)}
    wrong = [(kind, l) for kind in ("weights", "biases") for l in range(1, net.L + 1)
             if not _close(taken[kind][l - 1], expected[kind][l - 1])]
    if wrong:
        kind, l = max(wrong, key=lambda w: (w[1], w[0] == "weights"))  # the one nearest the output first
        step, right = taken[kind][l - 1], expected[kind][l - 1]
        name = f"W^{l}" if kind == "weights" else f"b^{l}"
        lead = (f"{where}: one epoch of plain gradient descent with lr = 1 on the whole batch changed {name} by "
                f"something other than -lr dL/d{name} (dL/d{name} from mlpcore's net.gradients)")
        if _close(step, N * right):
            raise Failure(f"{lead}: by N = {N} times it. The loss is the mean over the N samples: its gradient "
                          "carries a factor 1/N")
        if _close(step, right / N):
            raise Failure(f"{lead}: by 1/N = 1/{N} of it: the 1/N is there twice")
        if _close(step, -right):
            raise Failure(f"{lead}: by +lr dL/d{name}, uphill. Gradient descent subtracts the gradient")
        if step.ndim == 2 and step.shape[0] == step.shape[1] and _close(step, right.T):
            raise Failure(f"{lead}: by its transpose. dL/dW^l = (Delta^l)^T A^(l-1), of shape (n_l, n_(l-1))")
        for slip, why in _GRADIENT_SLIPS.items():
            other = _slipped_gradients(net, X, Y, slip)
            other = other[0] if kind == "weights" else other[1]
            if not _close(other[l - 1], right) and _close(step, other[l - 1]):
                raise Failure(f"{lead}: {why}")
        fine = [m for m in range(l + 1, net.L + 1)]
        after = (f"; the layers after it, {', '.join(map(str, fine))}, are right, so the error is in the step "
                 f"back to layer {l}: Delta^{l} = (Delta^{l + 1} W^{l + 1}) * f'(Z^{l})" if fine else "")
        raise Failure(f"{lead}: {_fmt(step)} instead of {_fmt(right)}{after}")
    after = _as_net(net, weights, biases).loss(X_val, Y_val)
    if len(losses) != 1 or not np.isclose(losses[0], after, rtol=1e-9, atol=1e-12):
        hint = (f" ({len(X_val)} = N_val times it: the loss is the mean over the validation samples)"
                if len(losses) == 1 and np.isclose(losses[0], len(X_val) * after, rtol=1e-9) else "")
        raise Failure(f"{where}: after one epoch the validation losses should be [the mean cross-entropy of the "
                      f"network after that epoch on X_val] = [{after:.6g}], got {_fmt(losses)}{hint}")


def _run_case(net, X, Y, X_val, Y_val, config, weights, biases, losses, where):
    from mlpcore.network import flatten

    kept, expected, last = _reference_run(net, X, Y, X_val, Y_val, config)
    n = min(len(losses), len(expected))
    if not np.allclose(losses[:n], expected[:n], rtol=1e-7, atol=1e-10):
        k = int(np.flatnonzero(~np.isclose(losses[:n], expected[:n], rtol=1e-7, atol=1e-10))[0]) + 1
        lead = (f"{where}: the validation loss after epoch {k} is {losses[k - 1]:.8g}, expected "
                f"{expected[k - 1]:.8g}")
        if k == 1 and np.isclose(losses[0], net.loss(X_val, Y_val), rtol=1e-9):
            raise Failure(f"{lead}, which is the loss of the network before any training: measure it after "
                          "each epoch, epochs counted from 1")
        if np.isclose(losses[k - 1], len(X_val) * expected[k - 1], rtol=1e-7):
            raise Failure(f"{lead}: {len(X_val)} = N_val times it. The loss is the mean over the validation samples")
        for slip, why in _RUN_SLIPS.items():
            if slip in ("no correction", "t per epoch", "reset") and config["optimizer"] != "adam":
                continue
            other = _reference_run(net, X, Y, X_val, Y_val, config, slip=slip)[1]
            if len(other) >= k and np.allclose(losses[:k], other[:k], rtol=1e-7, atol=1e-10) and not np.allclose(
                    other[:k], expected[:k], rtol=1e-7, atol=1e-10):
                raise Failure(f"{lead}: {why}")
        raise Failure(f"{lead}; the epochs before it agree. Compare your epoch {k}, batch by batch, with "
                      f"{'Adam' if config['optimizer'] == 'adam' else 'plain gradient descent'} on fit's batches")
    best = int(np.argmin(expected)) + 1
    if len(losses) > len(expected):
        raise Failure(f"{where}: training ran {len(losses)} epochs; the validation loss was lowest in epoch {best} "
                      f"and did not fall below it in the {config['patience']} epochs after (the patience), so "
                      f"training stops after epoch {len(expected)}")
    if len(losses) < len(expected):
        raise Failure(f"{where}: training stopped after epoch {len(losses)}; with a patience of "
                      f"{config['patience']} it goes on until {config['patience']} epochs have passed without a "
                      f"new lowest validation loss (here: {len(expected)} epochs)")
    theta = np.concatenate([P.ravel() for P in [*weights, *biases]])
    if not np.allclose(theta, kept, rtol=1e-7, atol=1e-10):
        if np.allclose(theta, last, rtol=1e-7, atol=1e-10):
            raise Failure(f"{where}: you returned the network after the last epoch ({len(expected)}); return the copy "
                          f"kept in the epoch of the lowest validation loss, epoch {best}")
        if np.allclose(theta, flatten(net), rtol=1e-12, atol=0):
            raise Failure(f"{where}: you returned the parameters you were given, untrained")
        raise Failure(f"{where}: the parameters you returned are not those after epoch {best}, the epoch of the "
                      "lowest validation loss")


def _digits_case(net, X, Y, X_val, Y_val, config, weights, biases, losses, where):
    trained = _as_net(net, weights, biases)
    best = int(np.argmin(losses)) + 1
    mine = trained.loss(X_val, Y_val)
    if not np.isclose(mine, losses[best - 1], rtol=1e-6):
        extra = (f"; it is the loss after your last epoch, {len(losses)}" if np.isclose(mine, losses[-1], rtol=1e-6)
                 else "")
        raise Failure(f"{where}: the network you returned has validation loss {mine:.6g}, but the lowest of your "
                      f"validation losses is {losses[best - 1]:.6g} (epoch {best}){extra}: return the network of "
                      "that epoch, on the X_val you were given")
    stop = min(best + config["patience"], config["epochs"])
    if len(losses) != stop:
        raise Failure(f"{where}: your validation losses are lowest in epoch {best}; with a patience of "
                      f"{config['patience']} and {config['epochs']} epochs at most, training stops after epoch "
                      f"{stop}, not {len(losses)}")
    X_test, Y_test = _held_out(X, X_val)
    accuracy = float(np.mean(trained.forward(X_test).argmax(axis=1) == Y_test.argmax(axis=1)))
    if accuracy < _DIGITS_THRESHOLD:
        raise Failure(f"{where}: the network you returned classifies {100 * accuracy:.1f} % of the {len(X_test)} "
                      f"held-out digits correctly; a correct train reaches well above "
                      f"{100 * _DIGITS_THRESHOLD:.0f} % with this budget")


def _no_mlpcore(source):
    """Fail if the function's text uses mlpcore (the capstone is numpy only); its comments may name it."""
    import ast

    if not source:
        return
    try:
        tree = ast.parse(textwrap_dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for node in ast.walk(tree):
        used = (isinstance(node, ast.Name) and node.id == "mlpcore"
                or isinstance(node, ast.Import) and any(a.name.split(".")[0] == "mlpcore" for a in node.names)
                or isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mlpcore"
                or isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("gradients", "fit"))
        if used:
            raise Failure(f"train uses mlpcore (line {node.lineno} of the function): the capstone asks for your own "
                          "numpy forward pass, backpropagation, Adam and early stopping")


@exercise("ex-digits-capstone", inputs=_capstone_inputs)
def _capstone(answer, inputs):
    what = "a function train(weights, biases, X, Y, X_val, Y_val, config)"
    require_function(answer, what)
    _no_mlpcore(getattr(answer, "source", None))

    def where(weights, biases, X, Y, X_val, Y_val, config):
        sizes = "-".join(str(n) for n in [weights[0].shape[1]] + [W.shape[0] for W in weights])
        shown = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"for the {sizes} network ({config['hidden']} hidden units), {len(X)} training samples and {shown}"

    for k, (args, got, place) in enumerate(calls(answer, inputs, what, where)):
        weights, biases, X, Y, X_val, Y_val, config = args
        net = _template(weights, config["hidden"])
        net = _as_net(net, weights, biases)
        parts = _parameters(got, net, place) + (place,)
        case = _gradient_case if k < _N_GRADIENT else _run_case if k < _N_GRADIENT + _N_RUNS else _digits_case
        case(net, X, Y, X_val, Y_val, config, *parts)


# the experiments: data --------------------------------------------------------------------------


def _digits_rows(rng, *counts):
    """Disjoint random subsets of scikit-learn's digits / 16 (X, Y one-hot), ``counts`` images each."""
    from sklearn.datasets import load_digits

    global _DIGITS
    if _DIGITS is None:
        bunch = load_digits()
        _DIGITS = (bunch.data / 16.0, np.eye(10)[bunch.target])
    X_all, Y_all = _DIGITS
    order, parts, begin = rng.permutation(len(X_all)), [], 0
    for n in counts:
        rows = order[begin : begin + n]
        parts += [X_all[rows], Y_all[rows]]
        begin += n
    return parts


_DIGITS = None


def _tanh_net(X, Y, width, seed):
    from mlpcore.network import MLP

    return MLP([X.shape[1], width, Y.shape[1]], activation="tanh", output_activation="softmax",
               loss="cross_entropy", seed=seed)


# ex-digits-seeded-comparison --------------------------------------------------------------------


def _comparison_inputs(rng):
    """(X, Y, X_test, Y_test, seeds) twice on the same data: three fresh seeds, then the third and the
    first, in that order (a run must depend on its own seed only)."""
    X, Y, X_test, Y_test = _digits_rows(rng, 100, 150)
    a, b, c = (int(s) for s in rng.choice(10**6, size=3, replace=False))
    return [(X, Y, X_test, Y_test, [a, b, c]), (X, Y, X_test, Y_test, [c, a])]


def _comparison_parts(got, seeds, where, n_test, n_classes):
    """{name: (runs, mean, sd)} of the answer, each checked against its own runs."""
    if not isinstance(got, dict) or len(got) != 2:
        raise Failure(f"{where}: expected a dict with two entries, one per configuration compared "
                      f"({{name: (runs, mean, sd)}}), got {got!r}"[:400])
    parts = {}
    for name, value in got.items():
        place = f"{where}, entry {name!r}"
        runs, mean, sd = as_parts(value, 3, place, ["runs", "mean", "sd"])
        try:
            runs = np.asarray(runs, dtype=float)
        except (TypeError, ValueError):
            raise Failure(f"{place}: expected the runs as a list of numbers, got {runs!r}"[:300]) from None
        if runs.shape != (len(seeds),):
            raise Failure(f"{place}: expected one run per seed, {len(seeds)} numbers, got {runs.shape} of them"
                          if runs.ndim == 1 else f"{place}: expected the runs as a flat list, one per seed")
        if not np.all(np.isfinite(runs) & (runs > 0)):
            raise Failure(f"{place}: the runs should be test losses (mean cross-entropies, positive numbers), "
                          f"got {_fmt(runs)}")
        if np.all(runs <= 1) and np.all((runs * n_test) % 1 < 1e-9):
            raise Failure(f"{place}: the runs look like test accuracies; the exercise asks for the test losses, "
                          "which do not move in steps of 1/N and so cannot tie between two seeds by chance")
        if np.mean(runs) > 0.9 * np.log(n_classes):
            raise Failure(f"{place}: the mean test loss {np.mean(runs):.4g} is near log K = {np.log(n_classes):.4g}, "
                          "the loss of a network that guesses: the networks did not learn, so there is nothing "
                          "to compare")
        mean, sd = as_number(mean, place, "the mean as a number"), as_number(sd, place, "the sd as a number")
        if not np.isclose(mean, np.mean(runs), rtol=1e-9, atol=1e-12):
            raise Failure(f"{place}: the mean {mean:.6g} is not the mean of the runs, {_fmt(runs)}")
        if not np.isclose(sd, np.std(runs, ddof=1), rtol=1e-9, atol=1e-12):
            hint = (" (that is the population standard deviation, which divides by n; the spread of a sample "
                    "of n runs divides by n - 1)" if np.isclose(sd, np.std(runs), rtol=1e-9, atol=1e-12)
                    else " (the sample standard deviation of the runs, dividing by n - 1)")
            raise Failure(f"{place}: the sd {sd:.6g} is not the spread of the runs {_fmt(runs)}{hint}")
        parts[name] = runs
    return parts


@exercise("ex-digits-seeded-comparison", inputs=_comparison_inputs)
def _seeded_comparison(answer, inputs):
    what = "a function compare(X, Y, X_test, Y_test, seeds)"
    runs = []  # per call: {name: {seed: run}}
    for (*_, Y_test, seeds), got, where in calls(answer, inputs, what,
                                                 lambda X, Y, Xt, Yt, seeds: f"for seeds={seeds}"):
        parts = _comparison_parts(got, seeds, where, *Y_test.shape)
        runs.append((seeds, {name: dict(zip(seeds, values.tolist())) for name, values in parts.items()}))
    (seeds_1, first), (seeds_2, second) = runs
    if set(first) != set(second):
        raise Failure(f"the configurations are named {sorted(first)} for seeds={seeds_1} and {sorted(second)} for "
                      f"seeds={seeds_2}: compare the same two each time")
    for name in first:
        for seed in set(seeds_1) & set(seeds_2):
            if not np.isclose(first[name][seed], second[name][seed], rtol=1e-12, atol=0):
                raise Failure(f"entry {name!r}: the run for seed {seed} gave {first[name][seed]:.6g} when called with "
                              f"seeds={seeds_1} and {second[name][seed]:.6g} with seeds={seeds_2}. A run must depend "
                              "on its own seed only: seed its network and its batches with it, not with a generator "
                              "shared by the runs or numpy's global one")
        every = {**first[name], **second[name]}
        if len(set(every.values())) == 1:
            only = next(iter(every.values()))
            raise Failure(f"entry {name!r}: all {len(every)} seeds gave the same run, {only:.6g}: the seeds are not "
                          "used (the initial weights and the order of the batches should come from them)")
    a, b = first
    if all(np.isclose(first[a][s], first[b][s], rtol=1e-12, atol=0) for s in seeds_1):
        raise Failure(f"{a!r} and {b!r} gave the same run on every seed: they are the same configuration")


# ex-digits-lr-bracket ------------------------------------------------------------------------------

_LADDER = 3.0  # the factor between neighbouring rates
_BRACKET_EPOCHS, _BRACKET_WIDTH = 10, 16


def _criterion(X, Y, X_val, Y_val, lr, seed):
    """The protocol's validation loss for one rate: inf if fit stops the run as diverged."""
    from mlpcore.training import DivergenceError

    net = _tanh_net(X, Y, _BRACKET_WIDTH, seed)
    try:
        net.fit(X, Y, epochs=_BRACKET_EPOCHS, lr=lr, batch_size=32, seed=seed)
    except DivergenceError:
        return np.inf
    return net.loss(X_val, Y_val)


def _bracket_inputs(rng):
    """(X, Y, X_val, Y_val, rates, seed): starts too low, too high and around the best, on fresh data."""
    cases = []
    for start in ([0.01, 0.03], [10.0, 30.0], [0.1, 0.3, 0.9]):
        X, Y, X_val, Y_val = _digits_rows(rng, 100, 100)
        cases.append((X, Y, X_val, Y_val, start, int(rng.integers(1000))))
    return cases


@exercise("ex-digits-lr-bracket", inputs=_bracket_inputs)
def _lr_bracket(answer, inputs):
    what = "a function bracket_lr(X, Y, X_val, Y_val, rates, seed)"
    for (X, Y, X_val, Y_val, start, seed), got, where in calls(
            answer, inputs, what, lambda X, Y, Xv, Yv, rates, seed: f"for rates={rates}, seed={seed}"):
        rates, losses, best = as_parts(got, 3, where, ["the rates tried", "their validation losses", "the best rate"])
        try:
            rates, losses = np.asarray(rates, dtype=float), np.asarray(losses, dtype=float)
        except (TypeError, ValueError):
            raise Failure(f"{where}: expected the rates tried and their losses as lists of numbers") from None
        best = as_number(best, where, "the best rate as a number")
        if rates.ndim != 1 or rates.shape != losses.shape:
            raise Failure(f"{where}: expected a list of rates and a list of as many losses, got {rates.shape} and "
                          f"{losses.shape}")
        missing = [r for r in start if not np.any(np.isclose(rates, r, rtol=1e-9))]
        if missing:
            raise Failure(f"{where}: the rates tried should include every starting rate; {missing} missing")
        steps = np.log(rates / start[0]) / np.log(_LADDER) if np.all(rates > 0) else np.array([np.nan])
        if not np.allclose(steps, np.round(steps), atol=1e-6):
            raise Failure(f"{where}: every rate tried should be the first starting rate multiplied "
                          f"or divided by {_LADDER:g} a whole number of times; got {_fmt(rates)}")
        if not np.any(np.isclose(rates, best, rtol=1e-9)):
            raise Failure(f"{where}: the best rate {best:g} is not among the rates tried {_fmt(rates)}")
        i = int(np.argmin(np.where(np.isnan(losses), np.inf, losses)))
        if not np.isclose(rates[i], best, rtol=1e-9):
            raise Failure(f"{where}: the lowest validation loss you report is {losses[i]:.6g} at lr={rates[i]:g}, "
                          f"but the best rate you return is {best:g}")
        below, above = rates[rates < best * (1 - 1e-9)], rates[rates > best * (1 + 1e-9)]
        if not len(below) or not len(above):
            side = "smallest" if not len(below) else "largest"
            raise Failure(f"{where}: the best rate {best:g} is the {side} of the rates tried "
                          f"{_fmt(np.sort(rates))}, so it is not bracketed: try the next rate beyond it, until a "
                          "worse rate lies on each side")
        # the best rate and the one below it train smoothly, and the loss is recomputed to 1e-7; the rate
        # above it is often chaotic (its loss moves by tens of percent with the last bit of the inputs, and
        # the grader's process may take other BLAS code paths than the student's kernel): not compared
        for lr in (below.max(), best):
            mine = losses[int(np.argmin(np.abs(rates - lr)))]
            expected = _criterion(X, Y, X_val, Y_val, lr, seed)
            if not (np.isinf(expected) and np.isinf(mine)) and not np.isclose(mine, expected, rtol=1e-7):
                raise Failure(f"{where}: your validation loss for lr={lr:g} is {mine:.6g}; the protocol's (the "
                              f"{_BRACKET_WIDTH}-unit network of seed {seed} after {_BRACKET_EPOCHS} epochs of fit "
                              f"with batch_size=32 and seed={seed}, on X_val) is {expected:.6g}")


# ex-digits-stopping-epoch --------------------------------------------------------------------------

_STOP_WIDTH, _STOP_LR = 16, 1.0
_TEST_SETS = ("the held-out test set", "the training set as the test set", "the test set with its labels shuffled")


def _stopping_reference(X, Y, X_val, Y_val, tests, epochs, seed):
    """The validation losses per epoch and, for each test set, its loss and accuracy per epoch."""
    net = _tanh_net(X, Y, _STOP_WIDTH, seed)
    val, test_loss, test_acc = [], [[] for _ in tests], [[] for _ in tests]
    for epoch in range(1, epochs + 1):
        net.fit(X, Y, epochs=1, lr=_STOP_LR, batch_size=32, seed=epoch)
        val.append(net.loss(X_val, Y_val))
        for k, (X_t, Y_t) in enumerate(tests):
            test_loss[k].append(net.loss(X_t, Y_t))
            test_acc[k].append(float(np.mean(net.forward(X_t).argmax(axis=1) == Y_t.argmax(axis=1))))
    return np.array(val), np.array(test_loss), np.array(test_acc)


def _stopping_inputs(rng):
    """(X, Y, X_val, Y_val, X_test, Y_test, epochs, seed) three times on the same data with three test sets:
    the held-out one, the training set, and the held-out images with their labels shuffled. Drawn until the
    lowest validation loss is clear of the others, and choosing by a test set would pick another epoch."""
    epochs = 30
    for attempt in range(20):
        X, Y, X_val, Y_val, X_test, Y_test = _digits_rows(rng, 50, 100, 100)
        tests = [(X_test, Y_test), (X, Y), (X_test, Y_test[rng.permutation(len(Y_test))])]
        seed = int(rng.integers(1000))
        val, test_loss, test_acc = _stopping_reference(X, Y, X_val, Y_val, tests, epochs, seed)
        best = int(np.argmin(val))
        clear = np.sort(val)[1] - val[best] > 1e-6 * val[best]
        by_test = {int(np.argmin(loss)) for loss in test_loss} | {int(np.argmax(acc)) for acc in test_acc}
        if clear and by_test - {best} or attempt == 19:
            return [(X, Y, X_val, Y_val, X_t, Y_t, epochs, seed) for X_t, Y_t in tests]


@exercise("ex-digits-stopping-epoch", inputs=_stopping_inputs)
def _stopping_epoch(answer, inputs):
    what = "a function stopping_epoch(X, Y, X_val, Y_val, X_test, Y_test, epochs, seed)"
    X, Y, X_val, Y_val, _, _, epochs, seed = inputs[0]
    tests = [(args[4], args[5]) for args in inputs]
    val, test_loss, test_acc = _stopping_reference(X, Y, X_val, Y_val, tests, epochs, seed)
    best = int(np.argmin(val)) + 1
    chosen = []
    for k, (_, got, where) in enumerate(calls(answer, inputs, what, lambda *args: "")):
        where = f"with {_TEST_SETS[k]} (epochs={epochs}, seed={seed})"
        epoch, losses, accuracy = as_parts(got, 3, where, ["the epoch", "the validation losses", "the test accuracy"])
        epoch = as_count(epoch, where, "the epoch chosen, a whole number")
        accuracy = as_number(accuracy, where, "the test accuracy as a number")
        try:
            losses = np.asarray(losses, dtype=float)
        except (TypeError, ValueError):
            raise Failure(f"{where}: expected the validation losses as a list of numbers") from None
        if losses.shape != (epochs,):
            raise Failure(f"{where}: expected {epochs} validation losses, one after each epoch, got an array of "
                          f"shape {losses.shape}")
        if not np.allclose(losses, val, rtol=1e-7, atol=1e-10):
            e = int(np.flatnonzero(~np.isclose(losses, val, rtol=1e-7, atol=1e-10))[0]) + 1
            raise Failure(f"{where}: your validation loss after epoch {e} is {losses[e - 1]:.8g}, the protocol's "
                          f"{val[e - 1]:.8g} (the {_STOP_WIDTH}-unit network of seed {seed}, each epoch "
                          f"fit(X, Y, epochs=1, lr={_STOP_LR:g}, batch_size=32, seed=epoch), the loss on X_val)")
        if epoch != best:
            by_test = (epoch == int(np.argmin(test_loss[k])) + 1 or epoch == int(np.argmax(test_acc[k])) + 1)
            changed = (f"; with {_TEST_SETS[0]} you chose epoch {chosen[0]}, so your choice changed when only "
                       "the test set changed" if chosen and chosen[0] != epoch else "")
            raise Failure(f"{where}: you chose epoch {epoch}; the lowest validation loss is in epoch {best}{changed}"
                          + (f". Epoch {epoch} is where this test set looks best: the choice must come from the "
                             "validation losses alone, and the test set is used once, for the network chosen"
                             if by_test else ""))
        chosen.append(epoch)
        if not np.isclose(accuracy, test_acc[k][best - 1], rtol=0, atol=1e-12):
            hint = (f" (that is the accuracy of the network after the last epoch, {epochs}; report the network "
                    f"of the epoch chosen: keep a copy of it)" if np.isclose(accuracy, test_acc[k][-1], atol=1e-12)
                    else "")
            raise Failure(f"{where}: the test accuracy of the network after epoch {best} is "
                          f"{test_acc[k][best - 1]:.6g}, you report {accuracy:.6g}{hint}")
