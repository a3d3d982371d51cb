"""One epoch of training, timed in one process and one run, against its lower bound.

For each shape and dtype it times, on the same data:

- ``bound``:   the matrix products one epoch needs and nothing else (per batch and
               layer: the forward product, the backward delta product, the
               weight-gradient product), written into preallocated arrays;
- ``mlpcore``: ``MLP.fit`` for one epoch;
- ``sklearn``: ``MLPClassifier`` with the same layers, batch size and plain SGD
               (no momentum, no regularisation), one epoch;
- ``torch``:   an ``nn.Sequential`` with ``torch.optim.SGD`` on the CPU, when torch
               is installed (it is not a dependency of the course).

The contenders take turns, round after round (``--repeats`` rounds; a round times
each contender over as many epochs as fill about a tenth of a second). Each time is
the median over the rounds, and each ratio the median of the ratios taken within a
round: the machines are shared and noisy, and a slow stretch then slows every
contender of the round alike. The quartiles of mlpcore/bound over the rounds show
how noisy the run was; the best mlpcore epoch over the best bound epoch is what a
quiet stretch gives. Peak memory of one training step is measured
with tracemalloc and compared with what a step must hold. Results are printed and
written to ``benchmarks/results.json`` for the book's appendix.

    python benchmarks/bench_epoch.py            # both shapes, float64 and float32
    python benchmarks/bench_epoch.py --quick    # fewer samples and repeats (a smoke test)
    python benchmarks/bench_epoch.py --threads 1 --out /tmp/one-thread.json   # BLAS on one core
"""

import argparse
import json
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

import mlpcore

HERE = Path(__file__).resolve().parent
SHAPES = {
    # name: (layer sizes, samples, batch size, hidden activation)
    "784-256-10": ([784, 256, 10], 20000, 128, "sigmoid"),
    "digits 64-64-10": ([64, 64, 10], 1348, 32, "tanh"),  # chapter 14's network, training split and batch
}
LR = 0.1


def synthetic(sizes, n, dtype, seed=0):
    """Seeded inputs in [0, 1] labelled by a random linear teacher, one-hot."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, sizes[0])).astype(dtype)
    labels = np.argmax(X @ rng.normal(size=(sizes[0], sizes[-1])), axis=1)
    return X, np.eye(sizes[-1], dtype=dtype)[labels], labels


def digits_data(dtype):
    X, Y, _, _ = mlpcore.data.digits()
    return X.astype(dtype), Y.astype(dtype), Y.argmax(axis=1)


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info

        return max(i.get("num_threads", 1) for i in threadpool_info() if i.get("user_api") == "blas")
    except (ImportError, ValueError):
        return 1


def epochs_per_round(fn, seconds=0.1):
    """How many calls of fn fill about ``seconds`` (at least one)."""
    start = time.perf_counter()
    fn()
    return max(1, round(seconds / max(time.perf_counter() - start, 1e-9)))


def rounds(contenders, repeats):
    """Per contender, the time of one epoch in each round (the contenders take turns)."""
    counts = {key: epochs_per_round(fn) for key, fn in contenders.items()}  # also warms caches and threads
    times = {key: [] for key in contenders}
    for _ in range(repeats):
        for key, fn in contenders.items():
            start = time.perf_counter()
            for _ in range(counts[key]):
                fn()
            times[key].append((time.perf_counter() - start) / counts[key])
    return times


def ratio(times, a, b):
    """Median over the rounds of time[a] / time[b], and its quartiles."""
    r = [x / y for x, y in zip(times[a], times[b])]
    q1, _, q3 = statistics.quantiles(r, n=4) if len(r) > 1 else r * 3
    return statistics.median(r), q1, q3


def bound_epoch(sizes, X, batch, dtype):
    """The products of one epoch, into preallocated arrays: the lower bound."""
    rng = np.random.default_rng(1)
    L = len(sizes) - 1
    W = [rng.random((sizes[l + 1], sizes[l])).astype(dtype) for l in range(L)]
    full = [(np.zeros((batch, n), dtype), rng.random((batch, n)).astype(dtype)) for n in sizes[1:]]  # Z, Delta
    grads = [np.zeros_like(w) for w in W]

    def epoch():
        for start in range(0, len(X), batch):
            A = X[start:start + batch]
            m = len(A)
            acts = [A]
            for l in range(L):  # forward: Z^l = A^{l-1} W^l^T
                Z = full[l][0][:m]
                np.matmul(acts[-1], W[l].T, out=Z)
                acts.append(Z)
            for l in range(L - 1, -1, -1):  # backward: dW^l = Delta^l^T A^{l-1}, Delta^{l-1} = Delta^l W^l
                D = full[l][1][:m]
                np.matmul(D.T, acts[l], out=grads[l])
                if l > 0:
                    np.matmul(D, W[l], out=full[l - 1][1][:m])

    return epoch


def lean_epoch(sizes, activation, X, Y, batch, dtype):
    """The leanest numpy epoch we could write for one hidden layer: not a contender, a yardstick.

    Everything mlpcore's step does that the mathematics allows to skip is skipped:
    no loss is recorded, no input is checked, the learning rate is folded into the
    output delta (so W -= dW is one pass), the logistic is 1 / (1 + exp(-z)) in four
    passes. What remains over the bound is what any numpy implementation pays: the
    gathered batch, the elementwise passes and one call's fixed cost per operation.
    """
    net = mlpcore.MLP(sizes, activation=activation, output_activation="softmax", loss="cross_entropy",
                      seed=0, dtype=dtype)
    (W1, W2), (b1, b2) = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    Xb, Yb = np.empty((batch, sizes[0]), dtype), np.empty((batch, sizes[2]), dtype)
    Z1, T, S = (np.empty((batch, sizes[1]), dtype) for _ in range(3))
    Z2 = np.empty((batch, sizes[2]), dtype)
    dW1, dW2 = np.empty_like(W1), np.empty_like(W2)

    def epoch():
        order = np.random.default_rng(0).permutation(len(X))
        with np.errstate(over="ignore"):  # exp(-z) may overflow to inf in the logistic: 1 / inf = 0
            for start in range(0, len(X), batch):
                rows = order[start:start + batch]
                m = len(rows)
                x, y = np.take(X, rows, 0, Xb[:m], "clip"), np.take(Y, rows, 0, Yb[:m], "clip")
                a, t, s, z = Z1[:m], T[:m], S[:m], Z2[:m]
                np.matmul(x, W1.T, out=a)
                a += b1
                if activation == "tanh":
                    np.tanh(a, out=a)
                else:
                    np.negative(a, out=a)
                    np.exp(a, out=a)
                    a += 1.0
                    np.divide(1.0, a, out=a)
                np.matmul(a, W2.T, out=z)
                z += b2
                z -= z.max(axis=1, keepdims=True)
                np.exp(z, out=z)
                z /= z.sum(axis=1, keepdims=True)
                z -= y
                z *= LR / m  # lr times the output delta
                np.matmul(z.T, a, out=dW2)
                d = np.matmul(z, W2, out=t)
                np.subtract(W2, dW2, out=W2)  # (the parameters are the enclosing function's arrays)
                np.subtract(b2, z.sum(axis=0), out=b2)
                if activation == "tanh":
                    np.square(a, out=a)
                    np.subtract(1.0, a, out=a)
                else:
                    np.subtract(1.0, a, out=s)
                    a *= s
                d *= a
                np.matmul(d.T, x, out=dW1)
                np.subtract(W1, dW1, out=W1)
                np.subtract(b1, d.sum(axis=0), out=b1)

    epoch.parameters = W1, b1, W2, b2  # for tests/library/test_benchmark.py: the same training as fit's
    return epoch


def mlpcore_epoch(sizes, activation, X, Y, batch, dtype):
    net = mlpcore.MLP(sizes, activation=activation, output_activation="softmax", loss="cross_entropy",
                      seed=0, dtype=dtype)
    return lambda: net.fit(X, Y, epochs=1, lr=LR, batch_size=batch, shuffle=True, seed=0)


def sklearn_epoch(sizes, activation, X, labels, batch):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def epoch():
        clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]),
                            activation={"sigmoid": "logistic", "tanh": "tanh"}[activation],
                            solver="sgd", batch_size=batch, learning_rate_init=LR, momentum=0.0,
                            nesterovs_momentum=False, alpha=0.0, max_iter=1, shuffle=True, random_state=0)
        with warnings.catch_warnings():  # one epoch is max_iter=1: sklearn warns that it did not converge
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, labels)

    return epoch


def torch_epoch(sizes, activation, X, labels, batch, dtype):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(_blas_threads())  # the same number of threads as numpy's BLAS
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[np.dtype(dtype).type]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out, dtype=tdtype),
                   {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[activation]()]
    model = torch.nn.Sequential(*layers[:-1])
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(labels)
    generator = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(Xt), generator=generator)
        for start in range(0, len(Xt), batch):
            idx = order[start:start + batch]
            optimiser.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            optimiser.step()

    return epoch


def step_memory(sizes, activation, X, Y, batch, dtype):
    """Peak bytes allocated during one training step, and what the step must hold."""
    net = mlpcore.MLP(sizes, activation=activation, output_activation="softmax", loss="cross_entropy",
                      seed=0, dtype=dtype)
    Xb, Yb = X[:batch], Y[:batch]
    net.fit(Xb, Yb, epochs=1, lr=LR)  # warm up
    tracemalloc.start()
    tracemalloc.reset_peak()
    net.fit(Xb, Yb, epochs=1, lr=LR)  # one batch: one forward pass, one backward pass, one step
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    itemsize = np.dtype(dtype).itemsize
    activations = sum(2 * batch * n for n in sizes[1:]) * itemsize  # Z and A of every layer
    deltas = sum(batch * n for n in sizes[1:]) * itemsize
    params = sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:])) * itemsize
    allowed = activations + deltas + 2 * params  # the parameters' gradients, and a batch of inputs
    allowed += batch * (sizes[0] + sizes[-1]) * itemsize
    return peak, allowed


def run(quick=False, repeats=None):
    repeats = repeats or (3 if quick else 15)
    threads = None
    try:
        from threadpoolctl import threadpool_info

        threads = [{k: i.get(k) for k in ("internal_api", "num_threads", "architecture")} for i in threadpool_info()]
    except ImportError:
        pass
    results = {"machine": platform.platform(), "python": sys.version.split()[0], "numpy": np.__version__,
               "blas": threads, "repeats": repeats, "runs": []}
    for name, (sizes, n, batch, activation) in SHAPES.items():
        for dtype in (np.float64, np.float32):
            if name.startswith("digits"):
                X, Y, labels = digits_data(dtype)
            else:
                X, Y, labels = synthetic(sizes, 4000 if quick else n, dtype)
            contenders = {
                "bound": bound_epoch(sizes, X, batch, dtype),
                "lean": lean_epoch(sizes, activation, X, Y, batch, dtype),
                "mlpcore": mlpcore_epoch(sizes, activation, X, Y, batch, dtype),
                "sklearn": sklearn_epoch(sizes, activation, X, labels, batch),
                "torch": torch_epoch(sizes, activation, X, labels, batch, dtype),
            }
            samples = rounds({k: fn for k, fn in contenders.items() if fn is not None}, repeats)
            times = {k: statistics.median(v) for k, v in samples.items()}
            peak, allowed = step_memory(sizes, activation, X, Y, batch, dtype)
            mlpcore_bound, q1, q3 = ratio(samples, "mlpcore", "bound")
            row = {"shape": name, "sizes": sizes, "samples": len(X), "batch": batch, "activation": activation,
                   "dtype": np.dtype(dtype).name, "seconds": times,
                   "mlpcore/bound": mlpcore_bound, "mlpcore/bound quartiles": [q1, q3],
                   "mlpcore/bound best": min(samples["mlpcore"]) / min(samples["bound"]),
                   "lean/bound": ratio(samples, "lean", "bound")[0],
                   "sklearn/bound": ratio(samples, "sklearn", "bound")[0],
                   "sklearn/mlpcore": ratio(samples, "sklearn", "mlpcore")[0],
                   "mlpcore/torch": ratio(samples, "mlpcore", "torch")[0] if "torch" in times else None,
                   "step_peak_bytes": peak, "step_allowed_bytes": allowed}
            results["runs"].append(row)
            report(row)
    return results


def report(row):
    t = {k: v * 1e3 for k, v in row["seconds"].items()}
    times = "   ".join(f"{k} {t[k]:7.1f} ms" for k in ("bound", "lean", "mlpcore", "sklearn", "torch") if k in t)
    print(f"{row['shape']:16s} {row['dtype']:8s} {times}" + ("" if "torch" in t else "   torch not installed: skipped"))
    q1, q3 = row["mlpcore/bound quartiles"]
    torch_part = f"   mlpcore/torch {row['mlpcore/torch']:.2f}" if row["mlpcore/torch"] is not None else ""
    print(f"{'':25s} mlpcore/bound {row['mlpcore/bound']:.2f} (quartiles {q1:.2f}-{q3:.2f},"
          f" best epoch over best epoch {row['mlpcore/bound best']:.2f})"
          f"   lean/bound {row['lean/bound']:.2f}   sklearn/bound {row['sklearn/bound']:.2f}"
          f"   sklearn/mlpcore {row['sklearn/mlpcore']:.2f}{torch_part}")
    print(f"{'':25s} step memory {row['step_peak_bytes'] / 1e6:.3f} MB of "
          f"{row['step_allowed_bytes'] / 1e6:.3f} MB allowed", flush=True)


TARGETS = [  # (what, key, comparison, limit)
    ("mlpcore epoch / lower bound", "mlpcore/bound", "<=", 1.4),
    ("mlpcore epoch / PyTorch epoch", "mlpcore/torch", "<=", 1.0),
    ("scikit-learn epoch / mlpcore epoch", "sklearn/mlpcore", ">=", 2.0),
]


def targets(results):
    """Each of the TARGETS, per shape and dtype: the ratio this run measured and whether it meets the limit."""
    rows = []
    print("\ntargets (ratios from this run):")
    for what, key, op, limit in TARGETS:
        for r in results["runs"]:
            value = r[key]
            met = None if value is None else (value <= limit if op == "<=" else value >= limit)
            rows.append({"target": what, "shape": r["shape"], "dtype": r["dtype"], "value": value, "met": met})
            shown = "skipped (torch not installed)" if value is None else f"{value:5.2f}  {'met' if met else 'NOT met'}"
            print(f"  {what:36s} {op} {limit:<4} {r['shape']:16s} {r['dtype']:8s} {shown}")
    for r in results["runs"]:
        met = r["step_peak_bytes"] <= r["step_allowed_bytes"]
        rows.append({"target": "peak step memory within one batch's arrays and the parameters", "shape": r["shape"],
                     "dtype": r["dtype"], "value": r["step_peak_bytes"], "met": met})
        print(f"  {'peak memory of one step':36s} <= {r['step_allowed_bytes']:<9d} {r['shape']:16s} {r['dtype']:8s} "
              f"{r['step_peak_bytes']}  {'met' if met else 'NOT met'}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples and repeats: a smoke test")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (default 15, quick 3)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json", help="where to write the results")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for every contender (default: the machine's; 1 gives steadier numbers "
                             "on a shared machine, but not the fastest)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.threads, user_api="blas"):
            results = run(quick=args.quick, repeats=args.repeats)
    else:
        results = run(quick=args.quick, repeats=args.repeats)
    results["targets"] = targets(results)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
