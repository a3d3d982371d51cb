"""Checks of chapter 12, initialisation and inputs."""

import numpy as np

from mlpcore.network import MLP

from . import Failure, compare_function, exercise, require_function, single


def _glorot_inputs(rng):
    """(n_in, n_out), Python ints: fixed layer sizes, then random ones."""
    fixed = [(2, 1), (1, 1), (64, 32), (784, 100), (3, 1000), (50, 50)]
    return fixed + [(int(rng.integers(1, 1000)), int(rng.integers(1, 1000))) for _ in range(2)]


@exercise("ex-init-glorot-bound", inputs=_glorot_inputs)
def _glorot_uniform_bound(answer, inputs):
    require_function(answer, "a function")
    rng = np.random.default_rng(12)  # the check's own sample of the answer's interval, not an input
    for n_in, n_out in inputs:
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


def _scale_inputs(rng):
    """(X_train, X_new): two fixed pairs, then random columns of very different scales."""
    pairs = [(np.array([[0.0, 10.0], [2.0, 30.0], [1.0, 20.0]]), np.array([[1.0, 20.0], [3.0, 0.0]])),
             (np.array([[0.0, 10.0], [2.0, 30.0], [1.0, 20.0]]), np.array([[-1.0, 40.0]]))]
    for shape, n_new in [((50, 3), 7), ((20, 1), 4), ((100, 5), 1)]:
        scale = rng.uniform(0.1, 100.0, size=shape[1])
        X_train = rng.normal(size=shape) * scale + rng.normal(size=shape[1]) * 10
        X_new = rng.normal(size=(n_new, shape[1])) * scale * 1.5  # some outside the training range
        pairs.append((X_train, X_new))
    return pairs


@exercise("ex-init-scale-like-training", inputs=_scale_inputs)
def _scale_like_training(answer, inputs):
    require_function(answer, "a function")
    for X_train, X_new in inputs:
        given = X_train.copy()
        compare_function(lambda X, T=given: answer(T, X), lambda X, T=X_train: _affine_reference(T, X),
                         single([X_new]), rtol=1e-9, atol=1e-12, arg="X_new")
        if not np.array_equal(given, X_train):
            raise Failure("the function changed X_train; return a new array instead")
