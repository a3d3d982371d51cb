"""Checks of chapter 16, backpropagation on a computational graph.

Every reference is a central difference of a function written out here in numpy, or,
for the topological order, the definition itself (every node that the root depends on,
once, each after all of its parents); none uses the chapter's engine.
"""

import numpy as np

from . import Failure, _fmt, as_parts, calls, compare_arrays, exercise, gradient, require_function

H = 1e-6


def _parts(got, n, where, names):
    """The answer as a list of ``n`` parts, or a Failure saying what came."""
    return as_parts(got, n, where, names)


# the local rules of multiply and tanh --------------------------------------------------


def _mul_tanh_inputs(rng):
    """(a, b, c_bar): fixed numbers (a zero among them), then random ones."""
    cases = [(2.0, 0.5, 1.0), (-1.5, -2.0, 0.5), (0.0, 1.0, 3.0), (3.0, 0.0, -2.0)]
    cases += [tuple(float(v) for v in rng.uniform(-3, 3, size=3)) for _ in range(4)]
    return cases


@exercise("ex-graph-mul-tanh", inputs=_mul_tanh_inputs)
def _mul_tanh(answer, inputs):
    what = "a function mul_tanh_backward(a, b, c_bar)"
    for (a, b, c_bar), got, where in calls(answer, inputs, what,
                                           lambda a, b, c: f"a={a:.6g}, b={b:.6g}, c_bar={c:.6g}"):
        # c_bar * c is a loss whose adjoint at c is c_bar
        expected = gradient(lambda P, c_bar=c_bar: c_bar * P[0] * np.tanh(P[1]), [a, b], H)
        got = _parts(got, 2, f"for {where}", ["a_bar", "b_bar"])
        compare_arrays(got, expected, where, rtol=1e-6, atol=1e-8)


# a topological order -------------------------------------------------------------------


def _random_graph(rng, n):
    """parents lists of a random graph of n nodes: built in a hidden order, each node with
    0 to 2 parents before it (the same one twice possible), then renumbered at random."""
    hidden = [[] for _ in range(n)]
    for i in range(1, n):
        k = int(rng.integers(0, 3)) if i > 2 else int(rng.integers(1, 3))
        hidden[i] = [int(j) for j in rng.integers(0, i, size=k)]
    label = rng.permutation(n)  # hidden node i is called label[i]
    parents = [[] for _ in range(n)]
    for i, ps in enumerate(hidden):
        parents[int(label[i])] = [int(label[j]) for j in ps]
    root = int(label[n - 1]) if rng.uniform() < 0.7 else int(label[int(rng.integers(n // 2, n))])
    return parents, root


def _order_inputs(rng):
    """(parents, root): small fixed graphs (one neuron, a node used twice, nodes the root
    does not need, numbers not in order), then random graphs of 6 to 30 nodes."""
    cases = [
        ([[], [], [0, 1], [2, 2], [3]], 4),
        ([[1], [], [0, 0], [2, 1]], 3),
        ([[], [0], [0], [1, 2], [0], [4]], 3),
        ([[3, 2], [], [1], [1, 2], [0, 0], [4]], 5),
        ([[]], 0),
    ]
    cases += [_random_graph(rng, int(n)) for n in rng.integers(6, 31, size=5)]
    return cases


def _ancestors(parents, root):
    seen, todo = {root}, [root]
    while todo:
        for p in parents[todo.pop()]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


@exercise("ex-graph-topological-order", inputs=_order_inputs)
def _order(answer, inputs):
    what = "a function order_nodes(parents, root)"
    for (parents, root), got, where in calls(answer, inputs, what, lambda p, r: f"for parents={p}, root={r}"):
        try:
            order = [int(v) for v in np.asarray(got).ravel()]
            integral = np.asarray(got).ndim == 1 and all(float(v) == int(v) for v in np.asarray(got).ravel())
        except (TypeError, ValueError):
            order, integral = None, False
        if not integral:
            raise Failure(f"{where}: expected a list of node numbers, got {got!r}"[:600])
        needed = _ancestors(parents, root)
        if len(order) != len(set(order)):
            twice = sorted({v for v in order if order.count(v) > 1})
            raise Failure(f"{where}: every node must appear once, got {order} (twice: {twice})")
        if set(order) != needed:
            missing, extra = sorted(needed - set(order)), sorted(set(order) - needed)
            raise Failure(f"{where}: expected the {len(needed)} nodes that the root depends on (itself "
                          f"included), got {order}; missing {missing}, not needed {extra}")
        position = {v: i for i, v in enumerate(order)}
        for v in order:
            late = [p for p in parents[v] if position[p] > position[v]]
            if late:
                raise Failure(f"{where}: node {v} comes before its parent {late[0]} in {order}")


# the backward rule of matmul, along a chain -----------------------------------------------


def _chain_inputs(rng):
    """(factors, C_bar): a product of two small fixed matrices, then random chains of one to four factors
    whose shapes are not square."""
    cases = [([np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])], np.array([[1.0]])),
             ([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0], [2.0, 0.0]])],
              np.array([[1.0, 0.0], [0.0, 0.0]]))]
    for widths in ([2, 3], [2, 3, 4], [4, 2, 3, 1], [1, 5, 2, 3, 2], [3, 4, 1, 2, 5]):
        factors = [rng.normal(size=(m, n)) for m, n in zip(widths[:-1], widths[1:])]
        cases.append((factors, rng.normal(size=(widths[0], widths[-1]))))
    return cases


def _chain_product(factors):
    C = factors[0]
    for A in factors[1:]:
        C = C @ A
    return C


@exercise("ex-graph-matmul-rule", inputs=_chain_inputs)
def _chain(answer, inputs):
    require_function(answer, "a function chain_backward(factors, C_bar)")
    for factors, C_bar in inputs:
        where = f"{len(factors)} factors of shapes {[A.shape for A in factors]}"
        # sum(C_bar * A_1 ... A_k) is a loss whose adjoint at C is C_bar: its central differences in each factor
        expected = []
        for i in range(len(factors)):
            def loss(P, i=i, factors=factors, C_bar=C_bar):
                return np.sum(C_bar * _chain_product([*factors[:i], P, *factors[i + 1:]]))

            expected.append(gradient(loss, factors[i], H))
        got = answer([A.copy() for A in factors], C_bar.copy())
        if got is None:
            raise Failure(f"for {where}: the function returned None (missing return?)")
        got = _parts(got, len(factors), f"for {where}", [f"A{i + 1}_bar" for i in range(len(factors))])
        def agree(parts, expected=expected):
            return all(np.shape(g) == e.shape and np.allclose(g, e, rtol=1e-6, atol=1e-8)
                       for g, e in zip(parts, expected))

        if len(factors) > 1 and agree(got[::-1]) and not agree(got):
            raise Failure(f"for {where}: the adjoints are right but in reverse order: the list should start with "
                          "A1_bar, the first factor's")
        for i, (g, e) in enumerate(zip(got, expected), start=1):
            compare_arrays(g, e, f"{where}, A{i}_bar", rtol=1e-6, atol=1e-8)


# a Jacobian-vector product by forward mode ---------------------------------------------


def _jvp_inputs(rng):
    """(W, b, x, x_dot): a fixed layer, then random layers of several shapes."""
    cases = [(np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, 0.1]), np.array([0.3, -0.2]),
              np.array([1.0, 0.0]))]
    for n_out, n_in in [(3, 2), (1, 4), (4, 3), (2, 5)]:
        cases.append((rng.normal(size=(n_out, n_in)), rng.normal(size=n_out), rng.normal(size=n_in),
                      rng.normal(size=n_in)))
    return cases


@exercise("ex-graph-jvp", inputs=_jvp_inputs)
def _jvp(answer, inputs):
    what = "a function layer_jvp(W, b, x, x_dot)"
    for (W, b, x, x_dot), got, where in calls(answer, inputs, what,
                                              lambda W, b, x, v: f"W of shape {W.shape}, x_dot={_fmt(v)}"):
        # the derivative of tanh(W x + b) along x_dot: a central difference in the step t
        def along(t, W=W, b=b, x=x, x_dot=x_dot):
            return np.tanh(W @ (x + t * x_dot) + b)

        expected = (along(H) - along(-H)) / (2 * H)
        compare_arrays(got, expected, where, rtol=1e-6, atol=1e-8)


# the gradient through a skip connection ------------------------------------------------


def _residual_inputs(rng):
    """(W, b, x, y): a fixed block, then random blocks of several widths."""
    cases = [(np.array([[0.5, -1.0], [1.0, 0.2]]), np.array([0.1, -0.3]), np.array([1.0, 2.0]),
              np.array([0.0, 1.0]))]
    for n in [1, 3, 4, 6]:
        cases.append((rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)))
    return cases


def _residual_loss(W, b, x, y):
    a = x + np.tanh(W @ x + b)
    return 0.5 * np.sum((a - y) ** 2)


@exercise("ex-graph-skip", inputs=_residual_inputs)
def _residual(answer, inputs):
    what = "a function residual_gradients(W, b, x, y)"
    for (W, b, x, y), got, where in calls(answer, inputs, what, lambda W, b, x, y: f"a block of width {len(x)}"):
        got = _parts(got, 3, f"for {where}", ["dl/dW", "dl/db", "dl/dx"])
        expected = [gradient(lambda P, b=b, x=x, y=y: _residual_loss(P, b, x, y), W, H),
                    gradient(lambda P, W=W, x=x, y=y: _residual_loss(W, P, x, y), b, H),
                    gradient(lambda P, W=W, b=b, y=y: _residual_loss(W, b, P, y), x, H)]
        for name, g, e in zip(["dl/dW", "dl/db", "dl/dx"], got, expected):
            def skip_hint(g, e=e, name=name, W=W, b=b, x=x, y=y):
                # the branch alone: what an answer without the identity path would give for x
                a = x + np.tanh(W @ x + b)
                branch = W.T @ ((1 - np.tanh(W @ x + b) ** 2) * (a - y))
                if name == "dl/dx" and np.allclose(g, branch, rtol=1e-6, atol=1e-8):
                    return " (the skip path is missing: x reaches a directly too, so add a - y)"
                return ""

            compare_arrays(g, e, f"{where}, {name}", rtol=1e-6, atol=1e-8, hint=skip_hint)
