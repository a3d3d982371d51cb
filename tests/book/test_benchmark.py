"""The benchmark script: its yardstick trains like fit, and a quick run writes every
target. (Speed itself is measured by running the script, never asserted here.)"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import mlpcore

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_epoch  # noqa: E402


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_lean_epoch_trains_like_fit(activation):
    sizes = [12, 9, 4]
    rng = np.random.default_rng(0)
    X = rng.random((70, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 70)]
    lean = bench_epoch.lean_epoch(sizes, activation, X, Y, 16, np.float64)
    lean()
    net = mlpcore.MLP(sizes, activation=activation, output_activation="softmax", loss="cross_entropy", seed=0)
    net.fit(X, Y, epochs=1, lr=bench_epoch.LR, batch_size=16, seed=0)
    W1, b1, W2, b2 = lean.parameters
    for mine, theirs in ((W1, net.weights[1]), (b1, net.biases[1]), (W2, net.weights[2]), (b2, net.biases[2])):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
    assert not np.allclose(W1, mlpcore.MLP(sizes, activation=activation, seed=0).weights[1])  # it did train


def test_bound_does_the_products_of_an_epoch():
    calls = []
    real = np.matmul

    def counting(*args, **kwargs):
        calls.append((args[0].shape, args[1].shape))
        return real(*args, **kwargs)

    X = np.zeros((40, 6))
    epoch = bench_epoch.bound_epoch([6, 5, 3], X, 16, np.float64)
    np.matmul = counting
    try:
        epoch()
    finally:
        np.matmul = real
    # per batch (16, 16, 8 rows): 2 forward, 2 weight-gradient and 1 backward product
    assert len(calls) == 3 * 5
    assert ((16, 6), (6, 5)) in calls and ((5, 16), (16, 6)) in calls and ((16, 3), (3, 5)) in calls


def test_quick_run_writes_every_target(tmp_path, monkeypatch, capsys):
    small = {"tiny 8-6-3": ([8, 6, 3], 300, 32, "sigmoid")}
    monkeypatch.setattr(bench_epoch, "SHAPES", small)
    monkeypatch.setattr(bench_epoch, "torch_epoch", lambda *args: None)  # whether or not torch is installed
    out = tmp_path / "results.json"
    assert bench_epoch.main(["--quick", "--repeats", "2", "--threads", "1", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert [r["dtype"] for r in results["runs"]] == ["float64", "float32"]
    assert all(b["num_threads"] == 1 for b in results["blas"] if b["internal_api"] == "openblas")
    run = results["runs"][0]
    assert set(run["seconds"]) == {"bound", "lean", "mlpcore", "sklearn"}
    assert run["mlpcore/torch"] is None
    targets = {(t["target"], t["dtype"]) for t in results["targets"]}
    assert len(targets) == len(results["targets"]) == 4 * 2
    printed = capsys.readouterr().out
    assert "torch not installed: skipped" in printed and "mlpcore epoch / lower bound" in printed
