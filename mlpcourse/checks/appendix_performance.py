"""Checks of the appendix on speed: counts, by brute force."""

import numpy as np

from . import Failure, exercise


def _sizes(rng):
    fixed = [[784, 256, 10], [2, 2, 1], [64, 32, 10], [3, 5, 4, 2], [1, 1]]
    return fixed + [list(rng.integers(1, 40, size=rng.integers(2, 6))) for _ in range(10)]


def _count_products(sizes, N):
    # run one forward and backward pass with shapes only, counting every product's multiply-adds
    total = 0
    for l in range(1, len(sizes)):
        total += N * sizes[l - 1] * sizes[l]  # Z^l = A^{l-1} (W^l)^T
        total += sizes[l] * N * sizes[l - 1]  # dL/dW^l = (Delta^l)^T A^{l-1}
        if l > 1:
            total += N * sizes[l] * sizes[l - 1]  # Delta^l W^l
    return total


@exercise("ex-speed-macs")
def _macs(answer):
    rng = np.random.default_rng(8)
    for sizes in _sizes(rng):
        for N in (1, 32, 128):
            expected, got = _count_products(sizes, N), answer(list(sizes), N)
            if got != expected:
                raise Failure(f"for sizes={list(map(int, sizes))}, N={N}: expected {expected}, got {got}")


@exercise("ex-speed-bytes")
def _bytes(answer):
    rng = np.random.default_rng(9)
    for sizes in _sizes(rng):
        for N, dtype in ((1, np.float64), (128, np.float64), (32, np.float32)):
            arrays = []  # allocate what a step holds, and add up nbytes
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                arrays += [np.empty((N, n_out), dtype) for _ in range(3)]
                arrays += [np.empty((n_out, n_in), dtype), np.empty(n_out, dtype)] * 2
            expected = sum(a.nbytes for a in arrays)
            got = answer(list(sizes), N, np.dtype(dtype).itemsize)
            if got != expected:
                raise Failure(f"for sizes={list(map(int, sizes))}, N={N}, {np.dtype(dtype).name}: "
                              f"expected {expected}, got {got}")
