"""Checks of chapter 6, backpropagation by the chain rule.

Every reference is a central difference of a loss written out here, with its
own sigmoid and forward pass; none uses the backpropagation formulas (B1)-(B4)
the chapter derives, nor mlpcore's backward pass.
"""

import numpy as np

from . import (
    Failure,
    _fmt,
    as_number,
    as_parts,
    compare_arrays,
    compare_value,
    exercise,
    gradient,
    loops_over,
    per_layer,
    require_function,
)

H = 1e-6


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


_OUTPUT_SIGN = ("the book's delta is +dl/dz, so the output delta has y_hat - y; Seung's and Vishwajith's "
                "have y - y_hat")


def _compare(got, expected, what, rtol=1e-6, atol=1e-9, sign_why=_OUTPUT_SIGN):
    """compare_arrays, with a hint (``sign_why``) when the answer is the expected value with the sign flipped."""

    def sign_hint(g):
        if np.allclose(g, -expected, rtol=rtol, atol=atol):
            return f" (the sign is flipped: {sign_why})"
        return ""

    return compare_arrays(got, expected, what, rtol=rtol, atol=atol, hint=sign_hint)


_OUTPUT_LOSSES = {  # the loss of one sample as a function of the output pre-activations z, stable for any z
    "squared_error": lambda z, y: 0.5 * np.sum((y - _sigmoid(z)) ** 2),
    "binary_cross_entropy": lambda z, y: float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))),
}


def _output_delta_inputs(rng):
    """(z, y, loss): for each loss, fixed cases (the notes' output, a confidently wrong unit, pre-activations
    of +-40, where the sigmoid rounds to 0 or 1), then random ones of 1, 4 and 7 outputs."""
    cases = []
    for loss in _OUTPUT_LOSSES:
        cases += [
            (np.array([0.966984]), np.array([0.0]), loss),
            (np.array([0.0, -2.0, -10.0]), np.array([1.0, 1.0, 1.0]), loss),
            (np.array([40.0, -40.0, 3.0]), np.array([0.0, 1.0, 1.0]), loss),
        ]
        cases += [(rng.normal(scale=3.0, size=n), rng.uniform(0, 1, size=n), loss) for n in (1, 4, 7)]
    return cases


@exercise("ex-backprop-output-delta", inputs=_output_delta_inputs)
def _output_delta(answer, inputs):
    require_function(answer, "a function output_delta(z, y, loss)")
    for z, y, loss in inputs:
        expected = gradient(lambda zz, y=y, loss=loss: _OUTPUT_LOSSES[loss](zz, y), z, H)
        what = f"z={_fmt(z)}, y={_fmt(y)}, loss={loss!r}"
        got = answer(z.copy(), y.copy(), loss)
        if got is None:
            raise Failure(f"for {what}: the function returned None (missing return?)")
        try:
            finite = np.all(np.isfinite(np.asarray(got, dtype=float)))
        except (TypeError, ValueError):
            finite = True  # compare_arrays names what came back
        if not finite:
            raise Failure(f"for {what}: the answer holds inf or nan, {_fmt(got)}; where sigma(z) rounds to 0 or 1, "
                          "(y_hat - y) / (y_hat (1 - y_hat)) is 0/0: simplify the product of the two factors first")
        y_hat = _sigmoid(z)
        slips = [(y_hat - y, "that is y_hat - y without the slope f'(z) = y_hat (1 - y_hat) of the sigmoid"),
                 (y_hat * (1 - y_hat) * (y_hat - y), "that is the squared error's delta; with the binary "
                  "cross-entropy the slope cancels")]

        def hint(g, slips=slips, expected=expected):
            if np.allclose(g, -expected, rtol=1e-6, atol=1e-9):
                return f" (the sign is flipped: {_OUTPUT_SIGN})"
            for value, words in slips:
                if np.allclose(g, value, rtol=1e-6, atol=1e-9) and not np.allclose(value, expected, atol=1e-9):
                    return f" ({words})"
            return ""

        compare_arrays(got, expected, what, rtol=1e-6, atol=1e-9, hint=hint)


def _hidden_delta_inputs(rng):
    """(delta_next, W_next, a): the notes' hidden layer, then random layers of several sizes."""
    cases = [(np.array([0.1]), np.array([[0.3, 0.5]]), np.array([0.627, 0.758]))]
    for n_next, n in [(2, 2), (3, 2), (1, 4), (4, 3), (5, 6)]:
        cases.append((rng.normal(size=n_next), rng.normal(size=(n_next, n)), rng.uniform(0.05, 0.95, size=n)))
    return cases


@exercise("ex-backprop-hidden-delta", inputs=_hidden_delta_inputs)
def _hidden_delta(answer, inputs):
    require_function(answer, "a function hidden_delta(delta_next, W_next, a)")
    for delta_next, W_next, a in inputs:
        z = np.log(a) - np.log(1 - a)

        # a loss whose gradient with respect to z^{l+1} is delta_next: delta_next . z^{l+1}
        def loss(zz, d=delta_next, W=W_next):
            return float(d @ (W @ _sigmoid(zz)))

        expected = gradient(loss, z, H)
        what = f"delta_next={_fmt(delta_next)}, W_next of shape {W_next.shape}, a={_fmt(a)}"
        _compare(answer(delta_next.copy(), W_next.copy(), a.copy()), expected, what,
                 sign_why="a hidden delta adds no sign of its own: it carries the sign of the delta after it, "
                 "through the weights and the slope f'(z)")


def _squared_error(weights, biases, x, y):
    a = x
    for W, b in zip(weights, biases):
        a = _sigmoid(W @ a + b)
    return 0.5 * np.sum((y - a) ** 2)


def _network_gradients(weights, biases, x, y):
    """dl/dW^l and dl/db^l by central differences of the squared error, one parameter at a time."""
    gW, gb = [], []
    for l in range(len(weights)):
        def in_W(P, l=l):
            return _squared_error(weights[:l] + [P] + weights[l + 1:], biases, x, y)

        def in_b(P, l=l):
            return _squared_error(weights, biases[:l] + [P] + biases[l + 1:], x, y)

        gW.append(gradient(in_W, weights[l], H))
        gb.append(gradient(in_b, biases[l], H))
    return gW, gb


def _any_depth_inputs(rng):
    """(weights, biases, x, y), weights and biases lists of arrays: the notes' network, then random ones."""
    networks = [  # the course notes' 2-2-1 network, then random ones of depth 1 to 4
        ([np.array([[0.2, 0.4], [0.6, 0.8]]), np.array([[0.3, 0.5]])],
         [np.array([0.1, 0.2]), np.array([0.4])], np.array([0.5, 0.8]), np.array([0.0])),
    ]
    for depth in [1, 2, 3, 4]:
        sizes = rng.integers(1, 5, size=depth + 1)
        networks.append(([rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])],
                         [rng.normal(size=n) for n in sizes[1:]],
                         rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])))
    return networks


@exercise("ex-backprop-any-depth", inputs=_any_depth_inputs)
def _any_depth(answer, inputs):
    require_function(answer, "a function backprop(weights, biases, x, y)")
    for weights, biases, x, y in inputs:
        shapes = " -> ".join(str(n) for n in [weights[0].shape[1]] + [W.shape[0] for W in weights])
        eW, eb = _network_gradients(weights, biases, x, y)
        got = answer([W.copy() for W in weights], [b.copy() for b in biases], x.copy(), y.copy())
        gW, gb = as_parts(got, 2, f"network {shapes}", ["the weight gradients", "the bias gradients"])
        for kind, g, e in [("weight", gW, eW), ("bias", gb, eb)]:
            def compare(gl, el, l, kind=kind, shapes=shapes):
                _compare(gl, el, f"network {shapes}, the {kind} gradient of layer {l}", rtol=1e-5, atol=1e-8)

            per_layer(g, e, f"network {shapes}", kind, compare)


@exercise("ex-backprop-seung-update")
def _seung_update(answer):
    weights = [np.array([[0.1, -0.4], [0.3, 0.2]]), np.array([[0.5, -0.6]])]
    biases = [np.array([0.0, 0.1]), np.array([0.2])]
    x, d, eta = np.array([1.0, 0.5]), np.array([1.0]), 0.5
    # eq. 7: Delta W = -eta dE/dW, dE/dW by central differences of E = 1/2 (d - x^2)^2
    expected = -eta * gradient(lambda P: _squared_error([P, weights[1]], biases, x, d), weights[0], H)
    if np.shape(answer) != expected.shape:
        raise Failure(f"expected a 2 x 2 array, got {answer!r}")
    got = np.asarray(answer, dtype=float)
    # four significant digits suffice: an answer typed from a rounded printout passes
    if np.allclose(got, -expected, rtol=1e-3, atol=1e-7):
        raise Failure(f"{_fmt(got)} is not right: the sign is flipped "
                      "(Seung's update adds eta * delta * x with delta = f'(u)(d - x))")
    compare_value(got, expected, rtol=1e-3, atol=1e-7)


# ex-backprop-gradient-checker ---------------------------------------------------------------

# the networks the checker is tried on: sizes, hidden activation, output activation, loss
_CHECKER_NETS = [
    ([2, 3, 1], "sigmoid", "sigmoid", "mse"),
    ([3, 4, 2], "tanh", "identity", "squared_error"),
    ([2, 3, 3], "softplus", "softmax", "cross_entropy"),
    ([3, 2, 2, 1], "elu", "sigmoid", "binary_cross_entropy"),
    ([2, 4, 3, 3, 2], "arctan", "identity", "mse"),
]
_KINDS = ("the true gradients", "the true gradients with one entry changed", "the true gradients doubled")


def _checker_inputs(rng):
    """(net, X, Y, grads_W, grads_b) for each network and each kind of given gradients: the true
    ones (net.gradients), the true ones with one entry changed (a bias of layer 1, a weight of
    layer 1, then a random parameter), and all of them doubled."""
    from mlpcore.network import MLP

    cases = []
    for k, (sizes, act, out, loss) in enumerate(_CHECKER_NETS):
        net = MLP(sizes, activation=act, output_activation=out, loss=loss, seed=int(rng.integers(1000)))
        for l in range(1, net.L + 1):
            net.biases[l] = rng.normal(scale=0.5, size=sizes[l])
        X = rng.normal(size=(5, sizes[0]))
        if loss == "cross_entropy":
            Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=5)]
        else:
            Y = rng.uniform(size=(5, sizes[-1]))
        g = net.gradients(X, Y)
        gW, gb = [W.copy() for W in g.weights], [b.copy() for b in g.biases]
        cases.append((net, X, Y, gW, gb))
        # one entry changed: a bias of layer 1, a weight of layer 1, then anywhere
        changed_W, changed_b = [W.copy() for W in gW], [b.copy() for b in gb]
        kind = ("b", "W")[k] if k < 2 else ("W", "b")[int(rng.integers(2))]
        layer = 0 if k < 2 else int(rng.integers(net.L))
        P = (changed_W if kind == "W" else changed_b)[layer]
        i = tuple(int(rng.integers(n)) for n in P.shape)
        P[i] += rng.choice([-1.0, 1.0]) * rng.uniform(0.02, 0.5) * max(abs(P[i]), 1e-3)
        cases.append((net, X, Y, changed_W, changed_b))
        cases.append((net, X, Y, [2 * W for W in gW], [2 * b for b in gb]))
    return cases


def _reference_check(net, X, Y, grads_W, grads_b):
    """The largest relative error, by mlpcore.gradcheck's central differences and measure."""
    from mlpcore.gradcheck import numerical_gradients, relative_error

    numeric = numerical_gradients(net, X, Y, h=1e-5)
    given = [*grads_W, *grads_b]
    return max(float(relative_error(a, n).max()) for a, n in zip(given, [*numeric.weights, *numeric.biases]))


@exercise("ex-backprop-gradient-checker", inputs=_checker_inputs)
def _gradient_checker(answer, inputs):
    require_function(answer, "a function gradient_check(net, X, Y, grads_W, grads_b, h=1e-5)")
    for k, (net, X, Y, gW, gb) in enumerate(inputs):
        sizes = "-".join(str(n) for n in net.sizes)
        where = (f"the {sizes} network ({net.activation.name}, {net.output_activation.name} output, "
                 f"loss {net.loss_fn.name!r}) with {_KINDS[k % 3]}")
        given = net.copy()  # the student's function may change what it is given: the reference must not see it
        got = answer(given, X.copy(), Y.copy(), [W.copy() for W in gW], [b.copy() for b in gb])
        if got is None:
            raise Failure(f"for {where}: the function returned None (missing return?)")
        changed = [float(np.max(np.abs(p - q))) for p, q in zip([*given.weights, *given.biases],
                                                                 [*net.weights, *net.biases])]
        if max(changed) > 0:
            raise Failure(f"for {where}: the network's parameters changed (by up to {max(changed):.1e}); "
                          "write each parameter's saved value back: nudging it by +h, -2h and +h "
                          "does not always give back the same float")
        got = as_number(got, f"for {where}", "a number (the largest relative error)")
        expected = _reference_check(net, X, Y, gW, gb)
        if k % 3 == 0:  # the true gradients: rounding only, of the order of the reference's own error
            if not expected / 100 <= got <= max(100 * expected, 1e-12):
                raise Failure(f"for {where}: the true gradients should give a tiny relative error, the rounding "
                              f"of the central differences (here about {expected:.0e}), got {got:.3g}")
        elif not np.isclose(got, expected, rtol=1e-3, atol=0):
            hint = ""
            if k % 3 == 2 and np.isclose(got, 1 / 3, rtol=1e-2):
                hint = (" (1/3 is |a - n| / (|a| + |n|) for a = 2n; the measure here divides by "
                        "max(|a|, |n|), which gives 1/2)")
            raise Failure(f"for {where}: expected {expected:.6g}, got {got:.6g}{hint}")


# ex-backprop-batch-gradient -------------------------------------------------------------------


def _mean_squared_error(weights, biases, X, Y):
    """The mean over the rows of X of the squared error 1/2 sum_k (y_k - y_hat_k)^2, sigmoid layers."""
    A = X
    for W, b in zip(weights, biases):
        A = _sigmoid(A @ W.T + b)
    return 0.5 * np.sum((Y - A) ** 2) / len(X)


def _batch_gradients(weights, biases, X, Y):
    """dL/dW^l and dL/db^l of the mean loss by central differences, one parameter at a time."""
    gW, gb = [], []
    for l in range(len(weights)):
        def in_W(P, l=l):
            return _mean_squared_error(weights[:l] + [P] + weights[l + 1:], biases, X, Y)

        def in_b(P, l=l):
            return _mean_squared_error(weights, biases[:l] + [P] + biases[l + 1:], X, Y)

        gW.append(gradient(in_W, weights[l], H))
        gb.append(gradient(in_b, biases[l], H))
    return gW, gb


def _batch_inputs(rng):
    """(weights, biases, X, Y) for random sigmoid networks of depth 1 to 4 and batches of 1, 5 and 17."""
    cases = []
    for depth in [1, 2, 3, 4]:
        sizes = rng.integers(1, 5, size=depth + 1)
        weights = [rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
        biases = [rng.normal(size=n) for n in sizes[1:]]
        for N in [1, 5, 17]:
            cases.append((weights, biases, rng.normal(size=(N, sizes[0])), rng.uniform(size=(N, sizes[-1]))))
    return cases


@exercise("ex-backprop-batch-gradient", inputs=_batch_inputs)
def _batch_gradient(answer, inputs):
    require_function(answer, "a function batch_backprop(weights, biases, X, Y)")
    for weights, biases, X, Y in inputs:
        N = len(X)
        shapes = " -> ".join(str(n) for n in [weights[0].shape[1]] + [W.shape[0] for W in weights])
        eW, eb = _batch_gradients(weights, biases, X, Y)
        got = answer([W.copy() for W in weights], [b.copy() for b in biases], X.copy(), Y.copy())
        gW, gb = as_parts(got, 2, f"network {shapes}, N={N}", ["the weight gradients", "the bias gradients"])
        for kind, g, e in [("weight", gW, eW), ("bias", gb, eb)]:
            def compare(gl, el, l, kind=kind, N=N, shapes=shapes):
                def hint(x):
                    if np.allclose(x, -el, rtol=1e-5, atol=1e-8):
                        return " (the sign is flipped: the book's delta is +dl/dz, with y_hat - y at the output)"
                    if N > 1 and np.allclose(x, N * el, rtol=1e-5, atol=1e-8):
                        return (" (N times the expected value: that is the gradient of the sum of the "
                                "per-sample losses; the loss is their mean)")
                    return ""

                what = f"network {shapes}, a batch of N={N}, the {kind} gradient of layer {l}"
                compare_arrays(gl, el, what, rtol=1e-5, atol=1e-8, hint=hint)

            per_layer(g, e, f"network {shapes}, N={N}", kind, compare)
    loops = loops_over(getattr(answer, "source", None), positions=(2, 3))
    if loops:
        raise Failure(f"the gradients are right, but batch_backprop loops over the samples (line "
                      f"{', '.join(map(str, loops))} of the function): the exercise asks for every layer computed "
                      "for the whole batch at once, as matrix products over the rows of X")
