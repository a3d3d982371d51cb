"""Saving and loading: exact round trips; anything else is refused without running it."""

import pickle

import numpy as np
import pytest

import mlpcore


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_exact(tmp_path, rng, dtype):
    net = mlpcore.MLP([3, 4, 5, 2], activation=mlpcore.activations.get("prelu", alpha=0.1),
                      output_activation="softmax", loss="cross_entropy", seed=4, dtype=dtype)
    net.biases[2] = rng.normal(size=5)
    path = tmp_path / "net.npz"
    net.save(path)
    back = mlpcore.MLP.load(path)
    assert repr(back) == repr(net) and back.dtype == net.dtype
    assert back.activation.params == {"alpha": 0.1}
    for l in range(1, 4):
        np.testing.assert_array_equal(back.weights[l], net.weights[l])
        np.testing.assert_array_equal(back.biases[l], net.biases[l])
    X = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(back.forward(X), net.forward(X))


class _Payload:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(_Payload.target),))


def test_pickled_content_is_refused_and_never_run(tmp_path):
    _Payload.target = str(tmp_path / "pwned")
    path = tmp_path / "evil.npz"
    np.savez(path, meta=np.array([_Payload()], dtype=object))
    with pytest.raises(ValueError, match="not an mlpcore parameter file, and pickled data is never loaded"):
        mlpcore.MLP.load(path)
    plain = tmp_path / "evil.pkl"
    plain.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(ValueError, match="not an mlpcore parameter file"):
        mlpcore.MLP.load(plain)
    assert not (tmp_path / "pwned").exists()


def test_other_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an mlpcore parameter file"):
        mlpcore.MLP.load(text)
    single = tmp_path / "a.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="holds one array, not an .npz archive"):
        mlpcore.MLP.load(single)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W=np.zeros(3))
    with pytest.raises(ValueError, match="it has no 'meta' entry"):
        mlpcore.MLP.load(foreign)
    for i, meta in enumerate(['{"format": "other"}', "not JSON", "[1, 2]"]):
        wrong = tmp_path / f"wrong{i}.npz"
        np.savez(wrong, meta=np.array(meta))
        with pytest.raises(ValueError, match="expected format 'mlpcore-parameters-v1'"):
            mlpcore.MLP.load(wrong)
    with pytest.raises(ValueError, match="not an mlpcore parameter file"):
        mlpcore.MLP.load(tmp_path / "missing.npz")


def test_truncated_file_names_the_missing_array(tmp_path):
    net = mlpcore.MLP([2, 2, 1])
    net.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz") as data:
        parts = {k: data[k] for k in data.files if k != "W2"}
    np.savez(tmp_path / "cut.npz", **parts)
    with pytest.raises(ValueError, match="W2 is missing"):
        mlpcore.MLP.load(tmp_path / "cut.npz")
