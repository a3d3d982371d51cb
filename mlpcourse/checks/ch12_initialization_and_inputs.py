"""Checks of chapter 12, initialisation and inputs."""

import numpy as np

from mlpcore.network import MLP

from . import Failure, calls, compare_arrays, exercise, require_function, require_network


def _uniform_inputs(rng):
    """(sizes, scheme, seed): one call twice (the same seed must give the same weights), layers of equal and
    unequal widths under both schemes, and two seeds of one network."""
    s = [int(v) for v in rng.integers(0, 10**6, size=8)]
    return [([100, 40, 10], "glorot", s[0]), ([100, 40, 10], "glorot", s[0]), ([100, 40, 10], "he", s[1]),
            ([32, 32, 32], "he", s[2]), ([32, 32, 32], "glorot", s[3]), ([3, 300], "glorot", s[4]),
            ([2, 1], "he", s[5]), ([30, 20, 25, 20], "he", s[6]), ([30, 20, 25, 20], "he", s[7])]


def _check_layer(W, n_in, n_out, scheme, where):
    """One matrix against the scheme's variance: its shape, the bound sqrt(3 Var) that U(-r, r) needs, and,
    for a matrix of 400 entries or more, its variance, its largest |w| and its mean, within six standard
    errors (the variance of m draws of U(-r, r) has a relative standard error of sqrt(4/5)/sqrt(m))."""
    variance = 2.0 / (n_in + n_out) if scheme == "glorot" else 2.0 / n_in
    name = "Glorot's 2/(n_in + n_out)" if scheme == "glorot" else "He's 2/n_in"
    r = np.sqrt(3.0 * variance)
    W = np.asarray(W, dtype=float)
    if W.shape != (n_out, n_in):
        raise Failure(f"{where}: expected shape ({n_out}, {n_in}), got {W.shape}")
    if np.abs(W).max() > r * (1 + 1e-12):
        raise Failure(f"{where}: entries up to {np.abs(W).max():.6g}, beyond the bound {r:.6g} of a uniform "
                      f"distribution of {name} = {variance:.6g}")
    m = W.size
    if m >= 400:
        if np.abs(W).max() < 0.95 * r:
            raise Failure(f"{where}: the largest |w| of {m} draws is {np.abs(W).max():.6g}, far inside the bound "
                          f"{r:.6g} that {name} = {variance:.6g} gives: the interval is too narrow")
        if abs(W.var() / variance - 1) > 6 * np.sqrt(0.8 / m):
            raise Failure(f"{where}: the variance of its {m} entries is {W.var():.6g}, but {name} is "
                          f"{variance:.6g}: not a uniform distribution on [-r, r]")
        if abs(W.mean()) > 6 * r / np.sqrt(3 * m):
            raise Failure(f"{where}: the mean of its {m} entries is {W.mean():.6g}, far from 0")
    return W


@exercise("ex-init-glorot-bound", inputs=_uniform_inputs)
def _uniform_weights(answer, inputs):
    got = []
    for (sizes, scheme, _), result, where in calls(
            answer, inputs, "a function uniform_weights(sizes, scheme, seed)",
            lambda sizes, scheme, seed: f"uniform_weights({sizes}, {scheme!r}, {seed})"):
        L = len(sizes) - 1
        if isinstance(result, (str, bytes)) or not hasattr(result, "__len__") or len(result) != L:
            raise Failure(f"{where}: expected a list of the {L} weight matrices W^1, ..., W^{L}, got "
                          f"{result!r}"[:300])
        got.append([_check_layer(W, n_in, n_out, scheme, f"{where}: W^{l}")
                    for l, (W, n_in, n_out) in enumerate(zip(result, sizes[:-1], sizes[1:]), start=1)])
    if any(not np.array_equal(a, b) for a, b in zip(got[0], got[1])):
        raise Failure(f"uniform_weights{inputs[0]}: the same seed must give the same weights, got different ones")
    if np.array_equal(got[3][0], got[3][1]):
        raise Failure(f"uniform_weights{inputs[3]}: W^1 and W^2 are the same matrix; each layer needs its own draws")
    if all(np.array_equal(a, b) for a, b in zip(got[7], got[8])):
        raise Failure(f"uniform_weights{inputs[7]} and uniform_weights{inputs[8]}: different seeds gave the same "
                      "weights")


def _net(sizes, fill=None, seed=0, activation="sigmoid"):
    net = MLP(sizes, activation=activation, output_activation="identity", seed=seed)
    if fill is not None:
        for l in range(1, net.L + 1):
            net.weights[l][...] = fill
            net.biases[l][...] = fill
    return net


# the fixed cases of the twins exercise, in the order of _fixed_twin_networks: (description, expected answer)
_FIXED_TWINS = [
    ("an all-zero 2-5-1 network", True),
    ("a 3-4-4-2 network with every parameter 0.3", True),
    ("mlpcore's random 2-5-1 network", False),
    ("a random 2-1-1 network (one hidden unit)", True),
    ("a 2-3 network without hidden layers", True),
    ("an all-zero 1-6-1 network after 300 epochs of training", True),
    ("a 1-4-4-1 tanh network started at 0.25 after 200 epochs", True),
    ("an all-zero 2-5-1 network but b^1[3] = 0.001", False),
    ("an all-zero 2-5-1 network but W^2[0, 2] = 0.001 (an outgoing weight)", False),
    ("an all-zero 2-5-1 network but W^1[4, 1] = -0.001 (an incoming weight)", False),
    ("a 3-4-4-2 network with every parameter 0.3 but row 1 of W^2 raised by 0.01", False),
    ("a 3-4-4-2 network with every parameter 0.3 but W^3[1, 2] = 0.2", False),
    ("a 2-5-1 network with random W^1 and zero W^2", False),
    ("a 2-5-1 network with zero W^1 and random W^2", False),
]
# the random cases come in pairs: twin hidden units, then the same network with one parameter of this kind changed
_BROKEN = ["an incoming weight", "a hidden bias", "an outgoing weight"]


def _fixed_twin_networks():
    """The networks of _FIXED_TWINS: the truth is known by construction."""
    x = np.linspace(-2, 2, 21).reshape(-1, 1)
    y = np.exp(-(x**2))
    nets = [_net([2, 5, 1], 0.0), _net([3, 4, 4, 2], 0.3), _net([2, 5, 1]), _net([2, 1, 1]), _net([2, 3])]
    trained = _net([1, 6, 1], 0.0)
    trained.fit(x, y, epochs=300, lr=0.5)
    nets.append(trained)
    trained = _net([1, 4, 4, 1], 0.25, activation="tanh")
    trained.fit(x, y, epochs=200, lr=0.2)
    nets.append(trained)
    net = _net([2, 5, 1], 0.0)
    net.biases[1][3] = 1e-3
    nets.append(net)
    net = _net([2, 5, 1], 0.0)
    net.weights[2][0, 2] = 1e-3
    nets.append(net)
    net = _net([2, 5, 1], 0.0)
    net.weights[1][4, 1] = -1e-3
    nets.append(net)
    net = _net([3, 4, 4, 2], 0.3)
    net.weights[2][1, :] += 0.01
    nets.append(net)
    net = _net([3, 4, 4, 2], 0.3)
    net.weights[3][1, 2] = 0.2
    nets.append(net)
    net = _net([2, 5, 1])
    net.weights[2][...] = 0.0
    nets.append(net)
    net = _net([2, 5, 1], 0.0)
    net.weights[2] = np.random.default_rng(1).normal(size=(1, 5))
    nets.append(net)
    return nets


def _random_twins(rng):
    """A random network with one or two hidden layers of twin units: the rows of W^1 equal, each hidden
    bias vector constant, the weights between hidden layers one number, the columns of W^L equal."""
    sizes = [int(rng.integers(1, 5))] + [int(n) for n in rng.integers(2, 7, size=rng.integers(1, 3))]
    sizes.append(int(rng.integers(1, 4)))
    net = _net(sizes, activation=str(rng.choice(["sigmoid", "tanh"])))
    L = net.L
    net.weights[1] = np.tile(rng.normal(size=sizes[0]), (sizes[1], 1))
    for l in range(2, L):
        net.weights[l] = np.full((sizes[l], sizes[l - 1]), rng.normal())
    net.weights[L] = np.tile(rng.normal(size=(sizes[L], 1)), (1, sizes[L - 1]))
    for l in range(1, L):
        net.biases[l] = np.full(sizes[l], rng.normal())
    net.biases[L] = rng.normal(size=sizes[L])
    return net


def _twin_inputs(rng):
    """(network,): the fixed networks, then pairs of random ones, twins and the same with one parameter changed."""
    nets = _fixed_twin_networks()
    for kind in _BROKEN:
        twins = _random_twins(rng)
        broken = twins.copy()
        if kind == "an incoming weight":
            W = broken.weights[1]
        elif kind == "a hidden bias":
            W = broken.biases[int(rng.integers(1, broken.L))]
        else:
            W = broken.weights[broken.L]
        W[tuple(int(rng.integers(n)) for n in W.shape)] += 1e-3
        nets += [twins, broken]
    return [(net,) for net in nets]


def _twin_case(k, net):
    """(description, expected answer) of the k-th input, ``net``."""
    if k < len(_FIXED_TWINS):
        return _FIXED_TWINS[k]
    sizes = "-".join(str(n) for n in net.sizes)
    r = k - len(_FIXED_TWINS)
    if r % 2 == 0:
        return f"a random {sizes} {net.activation.name} network with twin hidden units", True
    return f"a random {sizes} {net.activation.name} network with twin hidden units but {_BROKEN[r // 2]} " \
           "changed by 0.001", False


@exercise("ex-init-identical-units", inputs=_twin_inputs)
def _identical_hidden_units(answer, inputs):
    require_function(answer, "a function")
    for k, (net,) in enumerate(inputs):
        description, expected = _twin_case(k, net)
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


def _fold_inputs(rng):
    """(net, X_train): networks of several depths and activations, each with a training set whose columns
    have very different scales and offsets."""
    nets = [MLP([2, 16, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0),
            MLP([3, 5, 1], activation="sigmoid", output_activation="identity", loss="mse", seed=1),
            MLP([1, 4, 4, 2], activation="tanh", output_activation="sigmoid", loss="mse", seed=2),
            MLP([5, 3], activation="sigmoid", output_activation="identity", loss="mse", seed=3)]
    cases = []
    for net in nets:
        n_0 = net.sizes[0]
        scale, offset = rng.uniform(0.1, 100.0, size=n_0), rng.normal(size=n_0) * 50
        cases.append((net, rng.normal(size=(int(rng.integers(5, 60)), n_0)) * scale + offset))
    return cases


@exercise("ex-init-scale-like-training", inputs=_fold_inputs)
def _fold_scaling(answer, inputs):
    require_function(answer, "a function fold_scaling(net, X_train)")
    for net, X_train in inputs:
        where = f"for a network of sizes {list(net.sizes)} and X_train of shape {X_train.shape}"
        given_net, given_X = net.copy(), X_train.copy()
        folded = answer(given_net, given_X)
        if not np.array_equal(given_X, X_train):
            raise Failure(f"{where}: the function changed X_train; leave it as it is")
        if any(not np.array_equal(p, q) for p, q in zip([*given_net.weights, *given_net.biases],
                                                        [*net.weights, *net.biases])):
            raise Failure(f"{where}: the function changed net; return a new network (net.copy()) instead")
        if folded is None:
            raise Failure(f"{where}: the function returned None (missing return?)")
        try:
            require_network(folded, net.sizes)
        except Failure as exc:
            raise Failure(f"{where}: {exc}") from None
        # raw inputs inside and outside the training range: the folded network on them against the
        # given one on the same inputs scaled with the training statistics
        low, high = X_train.min(axis=0), X_train.max(axis=0)
        X_new = np.random.default_rng(len(X_train)).uniform(low - (high - low), high + (high - low),
                                                            size=(25, X_train.shape[1]))
        compare_arrays(folded.forward(X_new), net.forward(_affine_reference(X_train, X_new)),
                       f"{where.removeprefix('for ')}: the outputs on 25 raw inputs", rtol=1e-9, atol=1e-9)
