"""mlpcore.schedules and gradient-norm clipping: each schedule against its formula written out apart
(the boundaries among the points), the named argument errors, and fit with schedule= and clip_norm=
bit for bit against the readable path written below with public names only (net.gradients,
grads.clip_by_norm, net.step or optimizer.step at the rate lr * schedule(t)), for plain gradient
descent and each optimizer, shuffled and not; that clipping happens when the norm exceeds the
threshold and changes nothing when it does not; that fit gives the optimizer its own rate back,
also when it raises."""

import math

import numpy as np
import pytest

import mlpcore
from mlpcore import Gradients, flatten, optimizers, schedules


def data(sizes, n=23, seed=0):
    """X, and one-hot targets for a softmax output."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    return X, np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]


def readable_fit(net, X, Y, epochs, batch_size, shuffle=True, seed=0, lr=None, optimizer=None, schedule=None,
                 clip_norm=None):
    """fit with schedule= and clip_norm=, written with the public, allocating methods: per batch,
    the gradients, clipped to norm clip_norm, then one update at the rate lr * schedule(t) (an
    optimizer's lr set to that for the update and given back at the end). Returns what fit records:
    the batch losses, the rates, the norms before clipping."""
    rng = np.random.default_rng(seed)
    base = lr if optimizer is None else optimizer.lr
    losses, rates, norms, t = [], [], [], 0
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            t += 1
            rate = base if schedule is None else base * schedule(t)
            losses.append(net.loss(X[rows], Y[rows]))
            grads = net.gradients(X[rows], Y[rows])
            if clip_norm is not None:
                grads, norm = grads.clip_by_norm(clip_norm)
                norms.append(norm)
            if optimizer is not None:
                optimizer.lr = rate
                optimizer.step(net, grads)
            elif rate > 0:  # net.step refuses a rate of 0, an update that changes nothing
                net.step(grads, rate)
            rates.append(rate)
    if optimizer is not None:
        optimizer.lr = base
    return losses, rates, norms


def assert_same_parameters(a, b):
    for l in range(1, a.L + 1):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.biases[l], b.biases[l])


# each schedule against its formula, written out apart ---------------------------------------------------------


def test_constant_is_one_everywhere():
    assert [schedules.Constant()(t) for t in (1, 2, 17, 10**9)] == [1.0, 1.0, 1.0, 1.0]


def test_step_by_hand():
    step = schedules.Step(every=3, factor=0.5)
    # updates 1-3 at the full rate, 4-6 at half, 7-9 at a quarter, ...
    expected = {1: 1.0, 2: 1.0, 3: 1.0, 4: 0.5, 6: 0.5, 7: 0.25, 9: 0.25, 10: 0.125, 31: 0.5**10}
    assert {t: step(t) for t in expected} == expected


@pytest.mark.parametrize("every, factor", [(1, 0.9), (4, 0.5), (10, 0.1), (7, 1.0)])
def test_step_is_a_decay_applied_every_so_many_updates(every, factor):
    # PyTorch's StepLR stepped after each update: the multiplier, updated by multiplying, not by a power
    multiplier, got, expected = 1.0, [], []
    step = schedules.Step(every, factor)
    for t in range(1, 50):
        got.append(step(t))
        expected.append(multiplier)
        if t % every == 0:  # after update every, 2 every, ...: one decay
            multiplier *= factor
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert step(every) == 1.0 and step(every + 1) == factor  # the boundary, exactly


def test_cosine_by_hand():
    cosine = schedules.Cosine(total=5, floor=0.2)
    # pi (t - 1) / 4 for t = 1 .. 5: 0, pi/4, pi/2, 3 pi/4, pi; cos: 1, sqrt(2)/2, 0, -sqrt(2)/2, -1
    r = math.sqrt(2) / 2
    expected = [1.0, 0.2 + 0.8 * (1 + r) / 2, 0.6, 0.2 + 0.8 * (1 - r) / 2, 0.2, 0.2, 0.2]
    np.testing.assert_allclose([cosine(t) for t in range(1, 8)], expected, rtol=1e-15)
    assert cosine(1) == 1.0 and cosine(5) == 0.2 and cosine(10**6) == 0.2  # both ends exactly


@pytest.mark.parametrize("total, floor", [(2, 0.0), (3, 0.5), (10, 0.0), (101, 0.01)])
def test_cosine_is_half_a_cosine_from_one_to_its_floor(total, floor):
    t = np.arange(1, total + 4)
    phase = np.minimum((t - 1) / (total - 1), 1.0)  # 0 .. 1 over the decay, 1 after
    expected = floor + (1 - floor) * (1 + np.cos(np.pi * phase)) / 2
    got = np.array([schedules.Cosine(total, floor)(int(k)) for k in t])
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-16)
    assert got[0] == 1.0 and got[total - 1] == floor and np.all(np.diff(got) <= 0)
    if total % 2:  # half-way, at t = (1 + total) / 2: the mean of 1 and the floor
        np.testing.assert_allclose(got[(total - 1) // 2], (1 + floor) / 2, rtol=1e-15)


def test_warmup_by_hand():
    warm = schedules.Warmup(4)
    assert [warm(t) for t in range(1, 8)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
    # then: counted from the end of the warm-up (its update 1 is update 5)
    then = schedules.Warmup(4, then=schedules.Step(every=2, factor=0.5))
    assert [then(t) for t in range(1, 11)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    cosine = schedules.Warmup(3, then=schedules.Cosine(total=5))
    np.testing.assert_allclose([cosine(t) for t in range(1, 10)],
                               [1 / 3, 2 / 3, 1.0, 1.0, (1 + math.sqrt(2) / 2) / 2, 0.5, (1 - math.sqrt(2) / 2) / 2,
                                0.0, 0.0], rtol=1e-15, atol=1e-17)
    assert schedules.Warmup(1)(1) == 1.0  # a warm-up of one update is no warm-up


def test_a_schedule_of_ones_own_is_a_subclass():
    class Exponential(schedules.Schedule):
        """eta_t = eta * decay^(t - 1)"""

        def __init__(self, decay):
            self.decay = decay

        def __call__(self, t):
            return self.decay ** (t - 1)

    warm = schedules.Warmup(2, then=Exponential(0.5))
    assert repr(warm) == "Warmup(steps=2, then=Exponential(decay=0.5))"
    assert [warm(t) for t in range(1, 6)] == [0.5, 1.0, 1.0, 0.5, 0.25]
    X, Y = data([3, 4, 2])
    history = mlpcore.MLP([3, 4, 2], activation="tanh", output_activation="softmax", loss="cross_entropy").fit(
        X, Y, epochs=2, lr=0.4, batch_size=10, schedule=warm)  # 3 updates an epoch
    assert history.lr == [0.2, 0.4, 0.4, 0.2, 0.1, 0.05]

    class Unfinished(schedules.Schedule):
        pass

    with pytest.raises(NotImplementedError, match=r"Unfinished must define __call__\(t\)"):
        Unfinished()(1)


def test_repr_names_the_settings():
    assert repr(schedules.Constant()) == "Constant()"
    assert repr(schedules.Step(100, 0.5)) == "Step(every=100, factor=0.5)"
    assert repr(schedules.Cosine(1000)) == "Cosine(total=1000, floor=0.0)"
    assert repr(schedules.Warmup(10, then=schedules.Cosine(90, floor=0.1))) == (
        "Warmup(steps=10, then=Cosine(total=90, floor=0.1))")
    assert repr(schedules.Warmup(3)) == "Warmup(steps=3, then=None)"


# bad arguments: the message names the argument, what is allowed and what came --------------------------------

BAD = [
    (schedules.Step, {"every": 0, "factor": 0.5}, ValueError, r"every must be >= 1, got 0"),
    (schedules.Step, {"every": 2.5, "factor": 0.5}, TypeError, r"every must be an integer, got float"),
    (schedules.Step, {"every": 2, "factor": 0}, ValueError, r"factor must be > 0 and finite, got 0"),
    (schedules.Step, {"every": 2, "factor": float("nan")}, ValueError, r"factor must be > 0 and finite, got nan"),
    (schedules.Step, {"every": 2, "factor": 1.5}, ValueError, r"factor must be in \(0, 1\] \(a decay\), got 1.5"),
    (schedules.Step, {"every": 2, "factor": "0.5"}, TypeError, r"factor must be a real number, got str"),
    (schedules.Cosine, {"total": 1}, ValueError, r"total must be >= 2, got 1"),
    (schedules.Cosine, {"total": True}, TypeError, r"total must be an integer, got bool"),
    (schedules.Cosine, {"total": 10, "floor": 1.0}, ValueError, r"floor must be in \[0, 1\), got 1.0"),
    (schedules.Cosine, {"total": 10, "floor": -0.1}, ValueError, r"floor must be in \[0, 1\), got -0.1"),
    (schedules.Warmup, {"steps": 0}, ValueError, r"steps must be >= 1, got 0"),
    (schedules.Warmup, {"steps": 5, "then": 0.5}, TypeError,
     r"then must be a schedule of mlpcore.schedules \(Constant, Step, Cosine, Warmup or a subclass of Schedule\) "
     r"or None, got float"),
    (schedules.Warmup, {"steps": 5, "then": lambda t: 1.0}, TypeError, r"then must be a schedule .* got function"),
    (schedules.Warmup, {"steps": 5, "then": schedules.Cosine}, TypeError, r"then must be a schedule .* got type"),
]


@pytest.mark.parametrize("make, kwargs, error, message", BAD)
def test_constructors_reject_bad_arguments(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**kwargs)


@pytest.mark.parametrize("schedule", [schedules.Constant(), schedules.Step(2, 0.5), schedules.Cosine(3),
                                      schedules.Warmup(2, then=schedules.Cosine(3))])
def test_updates_are_counted_from_one(schedule):
    with pytest.raises(ValueError, match=r"t must be >= 1, got 0"):
        schedule(0)
    with pytest.raises(TypeError, match=r"t must be an integer, got float"):
        schedule(1.5)
    assert schedule(np.int64(3)) == schedule(3)  # numpy's integers are integers


@pytest.mark.parametrize("kwargs, error, message", [
    ({"schedule": "cosine"}, TypeError,
     r"schedule must be a schedule of mlpcore.schedules \(Constant, Step, Cosine, Warmup or a subclass of "
     r"Schedule\) or None, got str"),
    ({"schedule": schedules.Cosine}, TypeError, r"schedule must be a schedule of mlpcore.schedules .* got type"),
    ({"schedule": lambda t: 1.0}, TypeError, r"schedule must be a schedule of mlpcore.schedules .* got function"),
    ({"clip_norm": 0}, ValueError, r"clip_norm must be > 0 and finite, got 0"),
    ({"clip_norm": -1.0}, ValueError, r"clip_norm must be > 0 and finite, got -1.0"),
    ({"clip_norm": math.inf}, ValueError, r"clip_norm must be > 0 and finite, got inf"),
    ({"clip_norm": "1"}, TypeError, r"clip_norm must be a real number, got str"),
])
def test_fit_rejects_a_bad_schedule_or_clip_norm_before_changing_anything(kwargs, error, message):
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], seed=0)
    before = [W.copy() for W in net.weights]
    with pytest.raises(error, match=message):
        net.fit(X, Y, epochs=2, lr=0.1, **kwargs)
    for W, W0 in zip(net.weights, before):
        np.testing.assert_array_equal(W, W0)


def test_clip_by_norm_rejects_a_bad_threshold():
    grads = Gradients([np.ones((2, 2))], [np.ones(2)])
    with pytest.raises(ValueError, match=r"max_norm must be > 0 and finite, got 0"):
        grads.clip_by_norm(0)
    with pytest.raises(TypeError, match=r"max_norm must be a real number, got NoneType"):
        grads.clip_by_norm(None)


# clip_by_norm, the readable clipping ------------------------------------------------------------------------


def test_clip_by_norm_keeps_the_direction_and_cuts_the_length():
    X, Y = data([3, 5, 4, 3])
    net = mlpcore.MLP([3, 5, 4, 3], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
    grads = net.gradients(X, Y)
    vector = flatten(grads)
    length = np.linalg.norm(vector)  # the norm computed apart: numpy's, on the one vector
    clipped, norm = grads.clip_by_norm(length / 4)
    np.testing.assert_allclose(norm, length, rtol=1e-15)
    np.testing.assert_allclose(flatten(clipped), vector / 4, rtol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(flatten(clipped)), length / 4, rtol=1e-15)
    for l in range(1, net.L + 1):  # new arrays; the deltas, which no update reads, carried over
        assert not np.shares_memory(clipped.weights[l], grads.weights[l])
        assert clipped.deltas[l] is grads.deltas[l]
    # within the threshold: the same numbers, in new arrays
    same, norm = grads.clip_by_norm(2 * length)
    np.testing.assert_array_equal(flatten(same), vector)
    assert not np.shares_memory(same.biases[1], grads.biases[1])
    np.testing.assert_array_equal(flatten(grads), vector)  # the gradients given are left alone


# fit's fast path against the readable path, bit for bit ---------------------------------------------------------

SIZES = [3, 5, 4, 3]
HOW = {  # plain gradient descent, and each optimizer
    "lr": lambda: None,
    "sgd": lambda: optimizers.SGD(0.05),
    "momentum": lambda: optimizers.Momentum(0.02, beta=0.9, weight_decay=0.01),
    "adam": lambda: optimizers.Adam(0.01),
}
LR = 0.2  # for "lr"
CLIP = 0.7  # below the first gradients' norms, above others (test_clipping_happens checks both)
CASES = {  # (schedule, clip_norm); the warm-up's cosine reaches 0 at update 12 of 15 and stays there
    "schedule": (schedules.Warmup(4, then=schedules.Cosine(total=8)), None),
    "clip": (None, CLIP),
    "both": (schedules.Step(every=4, factor=0.5), CLIP),
}


def fit_both_ways(how, case, shuffle, sizes=SIZES, X=None, Y=None, epochs=3, batch_size=5, seed=1):
    """(fit's history, the readable path's (losses, rates, norms), the two networks, the two optimizers)."""
    if X is None:
        X, Y = data(sizes)
    schedule, clip_norm = CASES[case] if isinstance(case, str) else case
    a = mlpcore.MLP(sizes, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=seed)
    b = a.copy()
    fast, slow = HOW[how](), HOW[how]()
    lr = LR if fast is None else None
    history = a.fit(X, Y, epochs=epochs, lr=lr, optimizer=fast, batch_size=batch_size, shuffle=shuffle, seed=4,
                    schedule=schedule, clip_norm=clip_norm)
    expected = readable_fit(b, X, Y, epochs, batch_size, shuffle=shuffle, seed=4, lr=lr, optimizer=slow,
                            schedule=schedule, clip_norm=clip_norm)
    return history, expected, (a, b), (fast, slow)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("how", HOW)
def test_fit_equals_gradients_clip_by_norm_then_step_bit_for_bit(how, shuffle, case):
    history, (losses, rates, norms), (a, b), (fast, slow) = fit_both_ways(how, case, shuffle)
    assert history.batch_loss == losses and len(losses) == 15  # 23 samples in batches of 5, 3 epochs
    assert history.lr == rates
    schedule, clip_norm = CASES[case]
    if schedule is not None:
        assert len(set(rates)) > 3  # the rate did change
    if clip_norm is None:
        assert history.grad_norm is None and norms == []
    else:
        assert history.grad_norm == norms and max(norms) > clip_norm  # it clipped
    assert_same_parameters(a, b)
    if fast is not None:
        base = HOW[how]().lr
        assert fast.lr == slow.lr == base  # given back
        assert fast.t == slow.t == 15
        for key in slow.state:
            for x, y in zip(fast.state[key], slow.state[key]):
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("how", HOW)
def test_clipping_happens_above_the_threshold_and_only_there(how):
    history, _, (a, _), _ = fit_both_ways(how, "clip", shuffle=True)
    norms = np.array(history.grad_norm)
    assert np.any(norms > CLIP) and np.any(norms <= CLIP)  # both branches, in one run
    # the first update's gradient, measured apart (numpy's norm of flatten): above the threshold
    X, Y = data(SIZES)
    start = mlpcore.MLP(SIZES, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
    rows = np.random.default_rng(4).permutation(len(X))[:5]
    np.testing.assert_allclose(norms[0], np.linalg.norm(flatten(start.gradients(X[rows], Y[rows]))), rtol=1e-14)
    # and it changed the training: not the parameters of the same run without clipping
    unclipped = start.copy()
    kwargs = dict(lr=LR) if how == "lr" else dict(optimizer=HOW[how]())
    unclipped.fit(X, Y, epochs=3, batch_size=5, seed=4, **kwargs)
    assert not np.array_equal(unclipped.weights[1], a.weights[1])


@pytest.mark.parametrize("how", HOW)
def test_a_threshold_above_every_norm_changes_no_bit(how):
    X, Y = data(SIZES)
    a = mlpcore.MLP(SIZES, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
    b = a.copy()
    kwargs = (lambda: dict(lr=LR)) if how == "lr" else (lambda: dict(optimizer=HOW[how]()))
    clipped = a.fit(X, Y, epochs=3, batch_size=5, seed=4, clip_norm=100.0, **kwargs())
    plain = b.fit(X, Y, epochs=3, batch_size=5, seed=4, **kwargs())
    assert max(clipped.grad_norm) < 100.0 and len(clipped.grad_norm) == 15
    assert clipped.batch_loss == plain.batch_loss and clipped.lr == plain.lr
    assert plain.grad_norm is None  # measured only when asked for
    assert_same_parameters(a, b)


@pytest.mark.parametrize("seed", range(5))
def test_random_networks_schedules_and_thresholds_give_the_same_bits(seed):
    """Sizes, data, batch size, schedule, threshold and rule drawn from the seed; float32 on odd seeds."""
    rng = np.random.default_rng(100 + seed)
    sizes = [int(k) for k in rng.integers(1, 6, size=rng.integers(2, 5))]
    sizes[-1] = max(sizes[-1], 2)
    dtype = np.float32 if seed % 2 else np.float64
    X, Y = data(sizes, n=int(rng.integers(5, 30)), seed=seed)
    X, Y = X.astype(dtype), Y.astype(dtype)
    total = int(rng.integers(2, 12))
    schedule = [schedules.Cosine(total, floor=float(rng.uniform(0, 0.5))), schedules.Step(int(rng.integers(1, 5)), 0.7),
                schedules.Warmup(int(rng.integers(1, 6)), then=schedules.Cosine(total))][seed % 3]
    # a threshold between the smallest and the largest norm of an unclipped run, so that both happen
    how = list(HOW)[seed % 4]
    batch_size = int(rng.integers(1, len(X) + 1))
    probe = mlpcore.MLP(sizes, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=seed,
                        dtype=dtype)
    kwargs = dict(lr=LR) if how == "lr" else dict(optimizer=HOW[how]())
    norms = probe.fit(X, Y, epochs=2, batch_size=batch_size, seed=4, clip_norm=1e9, **kwargs).grad_norm
    clip = float(np.median(norms))
    a = mlpcore.MLP(sizes, activation="tanh", output_activation="softmax", loss="cross_entropy", seed=seed,
                    dtype=dtype)
    b = a.copy()
    fast, slow = HOW[how](), HOW[how]()
    lr = LR if fast is None else None
    history = a.fit(X, Y, epochs=2, lr=lr, optimizer=fast, batch_size=batch_size, seed=4, schedule=schedule,
                    clip_norm=clip)
    expected = readable_fit(b, X, Y, 2, batch_size, seed=4, lr=lr, optimizer=slow, schedule=schedule, clip_norm=clip)
    assert (history.batch_loss, history.lr, history.grad_norm) == expected
    assert a.weights[1].dtype == dtype
    assert_same_parameters(a, b)


# what fit records, and the optimizer's own rate given back ---------------------------------------------------------


def test_history_records_the_rates_and_keeps_its_repr():
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    plain = net.copy().fit(X, Y, epochs=3, lr=0.5, batch_size=2)
    assert plain.lr == [0.5] * 6 and plain.grad_norm is None
    assert repr(plain) == f"History(3 epochs, 6 updates, final loss {plain.loss[-1]:.6g})"
    warm = net.copy().fit(X, Y, epochs=3, lr=0.5, batch_size=2, schedule=schedules.Warmup(4), clip_norm=10.0)
    assert warm.lr == [0.125, 0.25, 0.375, 0.5, 0.5, 0.5] and len(warm.grad_norm) == 6
    assert repr(warm) == f"History(3 epochs, 6 updates, final loss {warm.loss[-1]:.6g})"
    opt = optimizers.Adam(0.01)
    adam = net.copy().fit(X, Y, epochs=2, optimizer=opt, batch_size=2, schedule=schedules.Step(1, 0.5))
    assert adam.lr == [0.01, 0.005, 0.0025, 0.00125] and opt.lr == 0.01


def diverging():
    X = np.linspace(-1, 1, 20).reshape(-1, 1) * 50
    return mlpcore.MLP([1, 8, 1], activation="identity", loss="mse", seed=0), X, 3 * X


@pytest.mark.parametrize("clip_norm", [None, 1e300])  # 1e300: the norm itself overflows
def test_the_optimizer_gets_its_rate_back_after_a_divergence(clip_norm):
    net, X, Y = diverging()
    opt = optimizers.Momentum(1.0)
    # the message names the optimizer's own rate, not the scheduled one
    with pytest.raises(mlpcore.DivergenceError, match=r"smaller learning rate than lr=1.0"):
        net.fit(X, Y, epochs=500, optimizer=opt, schedule=schedules.Warmup(3), clip_norm=clip_norm)
    assert opt.lr == 1.0 and opt.t >= 1


def test_the_optimizer_gets_its_rate_back_after_a_bad_multiplier():
    class Falling(schedules.Schedule):
        def __call__(self, t):
            return 1.0 - 0.5 * t  # 0.5, 0.0, -0.5: the third is refused

    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], seed=0)
    opt = optimizers.Adam(0.1)
    with pytest.raises(ValueError, match=r"schedule\(3\) must be >= 0 and finite, got -0.5"):
        net.fit(X, Y, epochs=5, optimizer=opt, batch_size=2, schedule=Falling())
    assert opt.lr == 0.1 and opt.t == 2
    with pytest.raises(ValueError, match=r"schedule\(3\) must be >= 0 and finite, got -0.5"):
        net.fit(X, Y, epochs=5, lr=0.1, batch_size=2, schedule=Falling())


def test_a_second_fit_counts_its_updates_from_one_and_the_optimizer_goes_on():
    X, Y = data([3, 4, 2])
    net = mlpcore.MLP([3, 4, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    opt = optimizers.Momentum(0.1)
    step = schedules.Step(every=2, factor=0.5)
    first = net.fit(X, Y, epochs=1, optimizer=opt, batch_size=8, schedule=step)  # 3 updates
    second = net.fit(X, Y, epochs=1, optimizer=opt, batch_size=8, schedule=step)
    assert first.lr == second.lr == [0.1, 0.1, 0.05] and opt.t == 6 and opt.lr == 0.1
