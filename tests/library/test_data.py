"""The data sets: shapes, ranges, seeds and splits."""

import importlib.util

import numpy as np
import pytest

from mlpcore import data


def test_xor_truth_table():
    X, Y = data.xor()
    assert X.shape == (4, 2) and Y.shape == (4, 1)
    np.testing.assert_array_equal(Y[:, 0], [a != b for a, b in X])


def test_digits_scaled_split_and_reproducible():
    if importlib.util.find_spec("sklearn") is None:  # scikit-learn is the book's, not mlpcore's, dependency
        with pytest.raises(ImportError, match=r"needs scikit-learn \(pip install scikit-learn\)"):
            data.digits()
        return
    Xtr, Ytr, Xte, Yte = data.digits()
    assert Xtr.shape[1] == 64 and Ytr.shape[1] == 10
    assert len(Xtr) + len(Xte) == 1797 and len(Xte) == round(0.25 * 1797)
    assert Xtr.min() == 0.0 and Xtr.max() == 1.0
    np.testing.assert_array_equal(Ytr.sum(axis=1), 1)
    again = data.digits()
    np.testing.assert_array_equal(again[0], Xtr)
    other = data.digits(seed=1)
    assert not np.array_equal(other[0], Xtr)
    # no test image also sits in the training set (the data has no exact duplicates across this split)
    train = {row.tobytes() for row in Xtr}
    assert sum(row.tobytes() in train for row in Xte) == 0
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1, got 1.5"):
        data.digits(test_fraction=1.5)


def test_mnist1d_is_the_published_generators_set_and_leaves_the_global_random_states_alone(monkeypatch):
    if importlib.util.find_spec("mnist1d") is None:  # the book's dependency, not mlpcore's
        with pytest.raises(ImportError, match=r"needs the mnist1d package \(pip install mnist1d\)"):
            data.mnist1d()
        return
    import random

    np.random.seed(7)
    random.seed(7)
    before = np.random.random(), random.random()
    np.random.seed(7)
    random.seed(7)
    Xtr, Ytr, Xte, Yte = data.mnist1d()
    assert (np.random.random(), random.random()) == before  # as if mnist1d had not run
    assert Xtr.shape == (4000, 40) and Xte.shape == (1000, 40) and Ytr.shape == (4000, 10)
    assert Xtr.dtype == np.float64 and Ytr.dtype == np.float64
    np.testing.assert_array_equal(Ytr.sum(axis=1), 1)
    np.testing.assert_array_equal(np.bincount(np.r_[Ytr.argmax(1), Yte.argmax(1)]), [500] * 10)
    everything = np.vstack([Xtr, Xte])  # standardised as a whole
    np.testing.assert_allclose([everything.mean(), everything.std()], [0.0, 1.0], atol=1e-12)
    generator = pytest.importorskip("mnist1d.data")  # the book's dependency: imported only where installed

    direct = generator.make_dataset(generator.get_dataset_args())  # the generator itself, its own seed 42
    np.testing.assert_array_equal(Xtr, direct["x"])
    np.testing.assert_array_equal(Yte.argmax(1), direct["y_test"])
    seen = []  # the seed reaches the generator (without a second, slow generation)
    monkeypatch.setattr(generator, "make_dataset", lambda args: seen.append(args.seed) or direct)
    data.mnist1d(seed=1)
    assert seen == [1]
    with pytest.raises(ValueError, match="seed"):
        data.mnist1d(seed=-1)


@pytest.mark.parametrize("make, k", [(lambda s: data.moons(100, seed=s), 2), (lambda s: data.spirals(30, 3, seed=s), 3)])
def test_synthetic_sets_are_seeded(make, k):
    X, Y = make(0)
    assert X.shape[1] == 2 and Y.shape == (len(X), k)
    np.testing.assert_array_equal(Y.sum(axis=0), len(X) // k)
    np.testing.assert_array_equal(make(0)[0], X)
    assert not np.array_equal(make(1)[0], X)


def test_one_hot_and_minmax():
    np.testing.assert_array_equal(data.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="labels must be < k=2, got 2"):
        data.one_hot(np.array([2]), 2)
    with pytest.raises(ValueError, match="non-negative integers"):
        data.one_hot(np.array([0.5]))
    X = np.array([[0.0, 5.0], [10.0, 5.0]])
    np.testing.assert_array_equal(data.minmax_scale(X), [[0, 0], [1, 0]])
