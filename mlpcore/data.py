"""Small data sets, all generated or shipped inside a package: nothing is downloaded.

Every function returns float64 arrays with one sample per row; targets for
classification come one-hot (``Y``), with the integer labels one ``argmax``
away. Random sets take a ``seed`` and are the same on every machine.

Example
-------
>>> import mlpcore
>>> X, Y = mlpcore.data.xor()
>>> X.tolist(), Y.ravel().tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
"""

import numpy as np

from ._checks import integer

__all__ = ["xor", "digits", "mnist1d", "moons", "spirals", "one_hot", "minmax_scale"]


def xor():
    """The four points of XOR: X of shape (4, 2), Y of shape (4, 1)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.logical_xor(X[:, :1], X[:, 1:]).astype(np.float64)


def one_hot(labels, k=None):
    """Integer labels (N,) as rows of the k x k identity: shape (N, k)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or (labels.size and labels.min() < 0):
        raise ValueError(
            f"labels must be a 1-D array of non-negative integers, got {labels.dtype} of shape {labels.shape}"
        )
    k = int(labels.max()) + 1 if k is None else integer(k, "k", 1)
    if labels.size and labels.max() >= k:
        raise ValueError(f"labels must be < k={k}, got {labels.max()}")
    return np.eye(k)[labels]


def minmax_scale(X, low=None, high=None):
    """Rescale each column of X to [0, 1]: (X - low) / (high - low).

    ``low`` and ``high`` default to the column minimum and maximum of X; pass the
    training set's values to scale a test set the same way. Constant columns
    become 0.
    """
    X = np.asarray(X, dtype=np.float64)
    low = X.min(axis=0) if low is None else np.asarray(low, dtype=np.float64)
    high = X.max(axis=0) if high is None else np.asarray(high, dtype=np.float64)
    span = np.where(high > low, high - low, 1.0)
    return (X - low) / span


def _split(X, labels, test_fraction, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    k = int(labels.max()) + 1
    return X[train], one_hot(labels[train], k), X[test], one_hot(labels[test], k)


def digits(test_fraction=0.25, seed=0):
    """scikit-learn's bundled 8 x 8 handwritten digits (1797 images, no download).

    Pixels (0 to 16 in the original) are scaled to [0, 1]. Returns
    ``X_train (N, 64), Y_train (N, 10), X_test, Y_test`` from a seeded shuffle.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # scikit-learn is the book's dependency, not mlpcore's
        raise ImportError("mlpcore.data.digits needs scikit-learn (pip install scikit-learn)") from None
    bunch = load_digits()
    return _split(bunch.data / 16.0, bunch.target, test_fraction, seed)


def mnist1d(seed=42):
    """MNIST-1D (Greydanus, 2020): 5000 one-dimensional signals of length 40, ten classes,
    made by the published generator of the ``mnist1d`` package (no download).

    Each class is a template of 12 points, padded, scaled, shifted, sheared, with
    correlated and independent noise added, then sampled at 40 points; the set is
    standardised to mean 0 and standard deviation 1. ``seed=42`` is the generator's
    own default, the data set of the paper. Returns ``X_train (4000, 40), Y_train
    (4000, 10), X_test (1000, 40), Y_test``: the generator's own split. NumPy's and
    Python's global random states are left as they were (the generator seeds them).
    """
    seed = integer(seed, "seed", 0)
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:  # the book's dependency, not mlpcore's
        raise ImportError("mlpcore.data.mnist1d needs the mnist1d package (pip install mnist1d)") from None
    import random

    args = get_dataset_args()
    args.seed = seed
    saved = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
    return (data["x"].astype(np.float64), one_hot(data["y"].astype(np.int64), 10),
            data["x_test"].astype(np.float64), one_hot(data["y_test"].astype(np.int64), 10))


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (as scikit-learn's make_moons), X (n, 2), Y (n, 2)."""
    n = integer(n, "n", 2)
    rng = np.random.default_rng(seed)
    n_top = n // 2
    t = np.pi * rng.random(n)
    top = np.column_stack([np.cos(t[:n_top]), np.sin(t[:n_top])])
    bottom = np.column_stack([1 - np.cos(t[n_top:]), 0.5 - np.sin(t[n_top:])])
    X = np.vstack([top, bottom]) + noise * rng.normal(size=(n, 2))
    labels = np.repeat([0, 1], [n_top, n - n_top])
    return X, one_hot(labels, 2)


def spirals(n_per_class=100, classes=3, noise=0.2, seed=0):
    """``classes`` interleaved spiral arms (the CS231n toy set), X (n, 2), Y (n, classes)."""
    n_per_class, classes = integer(n_per_class, "n_per_class", 1), integer(classes, "classes", 2)
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    labels = np.repeat(np.arange(classes), n_per_class)
    t = labels * 2 * np.pi / classes + 4 * r + noise * rng.normal(size=r.size)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X, one_hot(labels, classes)
