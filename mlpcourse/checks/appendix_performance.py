"""Checks of the appendix on speed: counts, by brute force over the shapes of every product, and the
counted step's gradients against mlpcore's backpropagation."""

import numpy as np

from mlpcore import MLP

from . import Failure, as_count, as_parts, calls, compare_arrays, exercise, per_layer


def _sizes(rng):
    """Layer sizes, lists of Python ints: fixed ones, then random ones of 2 to 5 layers."""
    fixed = [[784, 256, 10], [2, 2, 1], [64, 32, 10], [3, 5, 4, 2], [1, 1]]
    return fixed + [[int(n) for n in rng.integers(1, 40, size=rng.integers(2, 6))] for _ in range(10)]


def _count_products(sizes, N):
    # run one forward and backward pass with shapes only, counting every product's multiply-adds
    total = 0
    for l in range(1, len(sizes)):
        total += N * sizes[l - 1] * sizes[l]  # Z^l = A^{l-1} (W^l)^T
        total += sizes[l] * N * sizes[l - 1]  # dL/dW^l = (Delta^l)^T A^{l-1}
        if l > 1:
            total += N * sizes[l] * sizes[l - 1]  # Delta^l W^l
    return total


def _counted_step_inputs(rng):
    """(net, X, Y): sigmoid networks with a softmax output and the cross-entropy, one to three layers,
    batches of 1 to 32 samples with one-hot targets."""
    cases = []
    for k, (sizes, N) in enumerate([([16, 8, 4], 5), ([3, 5, 2], 1), ([4, 6, 5, 3], 32), ([2, 3], 7),
                                     ([5, 7, 7, 2], int(rng.integers(1, 33)))]):
        net = MLP(sizes, activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=k)
        cases.append((net, rng.random((N, sizes[0])), np.eye(sizes[-1])[rng.integers(0, sizes[-1], N)]))
    return cases


@exercise("ex-speed-macs", inputs=_counted_step_inputs)
def _counted_step(answer, inputs):
    def where(net, X, Y):
        return f"for a network of sizes {list(net.sizes)} and a batch of {len(X)}"

    for (net, X, Y), got, place in calls(answer, inputs, "a function counted_step(net, X, Y)", where):
        grads_W, macs = as_parts(got, 2, place, ["grads_W", "macs"])
        # mlpcore's backpropagation is the reference for the gradients, the count is the shapes' own
        per_layer(grads_W, net.gradients(X, Y).weights, place, "weight",
                  lambda g, e, l, place=place: compare_arrays(g, e, f"{place.removeprefix('for ')}, dL/dW^{l}",
                                                              rtol=1e-8, atol=1e-12))
        macs = as_count(macs, place, "the count macs")
        sizes, N = list(net.sizes), len(X)
        expected = _count_products(sizes, N)
        if macs != expected:
            hint = ""
            if macs == expected + N * sizes[0] * sizes[1]:
                hint = " (Delta^1 W^1 is counted too: the gradient with respect to X, which no step needs)"
            elif macs * N == expected:
                hint = " (the count of one sample: the batch has N of them)"
            raise Failure(f"{place}: expected macs = {expected}, got {macs}{hint}")


def _bytes_inputs(rng):
    """(sizes, N, itemsize): each size with a float64 sample, a float64 batch and a float32 batch."""
    return [(sizes, N, np.dtype(dtype).itemsize) for sizes in _sizes(rng)
            for N, dtype in ((1, np.float64), (128, np.float64), (32, np.float32))]


@exercise("ex-speed-bytes", inputs=_bytes_inputs)
def _bytes(answer, inputs):
    for sizes, N, itemsize in inputs:
        dtype = {8: np.float64, 4: np.float32}[itemsize]
        arrays = []  # allocate what a step holds, and add up nbytes
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            arrays += [np.empty((N, n_out), dtype) for _ in range(3)]
            arrays += [np.empty((n_out, n_in), dtype), np.empty(n_out, dtype)] * 2
        expected = sum(a.nbytes for a in arrays)
        got = as_count(answer(list(sizes), N, itemsize), f"for sizes={list(map(int, sizes))}, N={N}")
        if got != expected:
            raise Failure(f"for sizes={list(map(int, sizes))}, N={N}, {np.dtype(dtype).name}: "
                          f"expected {expected}, got {got}")
