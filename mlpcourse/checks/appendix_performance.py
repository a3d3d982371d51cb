"""Checks of the appendix on speed: counts, by brute force."""

import numpy as np

from . import Failure, as_count, exercise


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


@exercise("ex-speed-macs", inputs=lambda rng: [(sizes, N) for sizes in _sizes(rng) for N in (1, 32, 128)])
def _macs(answer, inputs):
    for sizes, N in inputs:
        expected = _count_products(sizes, N)
        got = as_count(answer(list(sizes), N), f"for sizes={list(map(int, sizes))}, N={N}")
        if got != expected:
            raise Failure(f"for sizes={list(map(int, sizes))}, N={N}: expected {expected}, got {got}")


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
