"""Bad input: a ValueError or TypeError naming the argument, what was expected and what
came, raised before anything changes."""

import numpy as np
import pytest

import mlpcore


def params(net):
    return [W.copy() for W in net.weights] + [b.copy() for b in net.biases]


def assert_unchanged(net, before):
    for p, q in zip(before, params(net)):
        np.testing.assert_array_equal(p, q)


@pytest.fixture
def setup():
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 3, 1], seed=0)
    return net, X, Y, params(net)


BAD_FIT = [
    # (X, Y, keyword arguments, error, message)
    (np.zeros(4), None, {}, ValueError, r"X must have shape \(N, 2\) or \(2,\), got \(4,\)"),
    (np.zeros((4, 2, 1)), None, {}, ValueError, r"X must have shape \(N, 2\) or \(2,\), got \(4, 2, 1\)"),
    (np.zeros((4, 3)), None, {}, ValueError, r"X must have shape \(N, 2\) or \(2,\), got \(4, 3\)"),
    (None, np.zeros((3, 1)), {}, ValueError, r"Y must have shape \(4, 1\) to match X of 4 samples, got \(3, 1\)"),
    (None, np.zeros((4, 2)), {}, ValueError, r"Y must have shape \(4, 1\) to match X of 4 samples, got \(4, 2\)"),
    (None, np.zeros(4), {}, ValueError, r"Y must have shape \(4, 1\) to match X of 4 samples, got \(4,\)"),
    ([["a", "b"]] * 4, None, {}, TypeError, r"X must be a numeric array, got dtype <U1"),
    (None, [[None]] * 4, {}, TypeError, r"Y must be a numeric array, got dtype object"),
    (np.array([[0, 0], [0, 1], [1, np.nan], [1, 1]]), None, {}, ValueError, r"X must be finite, got nan at index \(2, 1\)"),
    (None, np.array([[0], [np.inf], [1], [0]]), {}, ValueError, r"Y must be finite, got inf at index \(1, 0\)"),
    (None, None, {"lr": 0}, ValueError, r"lr must be > 0 and finite, got 0"),
    (None, None, {"lr": -1}, ValueError, r"lr must be > 0 and finite, got -1"),
    (None, None, {"lr": float("nan")}, ValueError, r"lr must be > 0 and finite, got nan"),
    (None, None, {"lr": float("inf")}, ValueError, r"lr must be > 0 and finite, got inf"),
    (None, None, {"lr": "0.1"}, TypeError, r"lr must be a real number, got str"),
    (None, None, {"epochs": 0}, ValueError, r"epochs must be >= 1, got 0"),
    (None, None, {"epochs": 2.5}, TypeError, r"epochs must be an integer, got float"),
    (None, None, {"batch_size": 0}, ValueError, r"batch_size must be between 1 and 4, got 0"),
    (None, None, {"batch_size": 5}, ValueError, r"batch_size must be between 1 and 4, got 5"),
    (None, None, {"shuffle": "yes"}, TypeError, r"shuffle must be True or False, got 'yes'"),
]


@pytest.mark.parametrize("X, Y, kwargs, error, message", BAD_FIT)
def test_fit_rejects_bad_input_before_changing_anything(setup, X, Y, kwargs, error, message):
    net, X0, Y0, before = setup
    X = X0 if X is None else X
    Y = Y0 if Y is None else Y
    with pytest.raises(error, match=message):
        net.fit(X, Y, **{"epochs": 2, "lr": 0.1, **kwargs})
    assert_unchanged(net, before)


def test_loss_gradients_and_forward_check_their_input(setup):
    net, X, Y, before = setup
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        net.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 1\)"):
        net.loss(X, Y[:2])
    with pytest.raises(ValueError, match=r"X must be finite"):
        net.gradients(X * np.nan, Y)
    assert_unchanged(net, before)


def test_one_feature_gets_a_reshape_hint():
    net = mlpcore.MLP([1, 2, 1])
    with pytest.raises(ValueError, match=r"use X.reshape\(-1, 1\)"):
        net.forward(np.zeros(5))


def test_step_rejects_bad_rate_and_foreign_gradients(setup):
    net, X, Y, before = setup
    g = net.gradients(X, Y)
    with pytest.raises(ValueError, match="lr must be > 0 and finite, got -0.5"):
        net.step(g, lr=-0.5)
    with pytest.raises(TypeError, match="grads must be the Gradients returned by gradients"):
        net.step({"weights": []}, lr=0.1)
    other = mlpcore.MLP([2, 4, 1]).gradients(X, Y)
    with pytest.raises(ValueError, match=r"grads.weights must have shapes \[\(3, 2\), \(1, 3\)\], got \[\(4, 2\), \(1, 4\)\]"):
        net.step(other, lr=0.1)
    assert_unchanged(net, before)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"sizes": [2, 0, 1]}, ValueError, r"sizes\[1\] must be >= 1, got 0"),
        ({"sizes": [2, -3]}, ValueError, r"sizes\[1\] must be >= 1, got -3"),
        ({"sizes": [2, 2.5, 1]}, TypeError, r"sizes\[1\] must be an integer, got float"),
        ({"sizes": [3]}, ValueError, r"sizes must list at least an input and an output layer, got \[3\]"),
        ({"sizes": 3}, TypeError, r"sizes must be a list of layer sizes"),
        ({"activation": "sigmod"}, ValueError, r"activation must be one of \[.*'sigmoid'.*\], got 'sigmod'"),
        ({"output_activation": "reLu2"}, ValueError, r"activation must be one of \[.*\], got 'reLu2'"),
        ({"loss": "hinge"}, ValueError, r"loss must be one of \['binary_cross_entropy', 'cross_entropy', 'mse', 'squared_error'\], got 'hinge'"),
        ({"activation": "softmax"}, ValueError, r"activation must be elementwise; 'softmax' is only allowed as output_activation"),
        ({"loss": "cross_entropy"}, ValueError, r"loss='cross_entropy' needs output_activation='softmax', got 'sigmoid'"),
        ({"loss": "binary_cross_entropy", "output_activation": "identity"}, ValueError,
         r"loss='binary_cross_entropy' needs output_activation='sigmoid', got 'identity'"),
        ({"dtype": np.int32}, ValueError, r"dtype must be float64 or float32, got int32"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        mlpcore.MLP(**{"sizes": [2, 2, 1], **kwargs})


PROBABILITY_ROWS = r"Y must hold a probability vector in each row \(entries >= 0 that sum to 1 within 1.5e-08\) "


@pytest.mark.parametrize(
    "bad_row, shown",
    [
        ([1.0, 1.0, 0.0], r"\[1. 1. 0.\]"),  # a row of counts: sums to 2
        ([0.0, 2.0, 0.0], r"\[0. 2. 0.\]"),  # chapter 5's merged data set
        ([0.2, 0.3, 0.0], r"\[0.2 0.3 0. \]"),  # not normalised
        ([1.2, -0.1, -0.1], r"\[ 1.2 -0.1 -0.1\]"),  # sums to 1, with negative entries
        ([0.5, 0.5 + 1e-7, 0.0], r"\[0.5       0.5000001 0.       \]"),  # off by 1e-7: more than rounding
    ],
)
def test_cross_entropy_needs_a_probability_vector_in_each_row(bad_row, shown):
    net = mlpcore.MLP([2, 3, 3], output_activation="softmax", loss="cross_entropy")
    before = params(net)
    X = np.zeros((3, 2))
    Y = [[1, 0, 0], [0.1, 0.8, 0.1], bad_row]
    message = PROBABILITY_ROWS + r"for loss='cross_entropy', got row 2: " + shown
    with pytest.raises(ValueError, match=message):
        net.fit(X, Y, epochs=1, lr=0.1)
    with pytest.raises(ValueError, match=message):
        net.gradients(X, Y)
    with pytest.raises(ValueError, match=message):
        net.loss(X, Y)
    assert_unchanged(net, before)


def test_cross_entropy_allows_the_rounding_of_its_rows_and_no_more():
    ce = mlpcore.losses.get("cross_entropy")
    smoothed = 0.9 * np.eye(7) + 0.1 / 7  # rows that sum to 1 only up to rounding
    assert np.any(smoothed.sum(axis=1) != 1)
    ce.check_targets(smoothed)
    ce.check_targets(smoothed.astype(np.float32))
    ce.check_targets(np.eye(3, dtype=int))  # integers: one-hot rows
    ce.check_targets([[0.5, 0.5 + 1e-9]])
    with pytest.raises(ValueError, match=PROBABILITY_ROWS):
        ce.check_targets([[0.5, 0.5 + 1e-7]])
    # a float32 network checks its float32 targets, within float32's tolerance
    net = mlpcore.MLP([2, 3, 2], output_activation="softmax", loss="cross_entropy", dtype=np.float32)
    net.check_batch(np.zeros((1, 2)), [[0.5, 0.5 + 1e-5]])
    with pytest.raises(ValueError, match=r"sum to 1 within 3.5e-04\) for loss='cross_entropy', got row 0"):
        net.check_batch(np.zeros((1, 2)), [[0.5, 0.501]])


def test_binary_cross_entropy_needs_targets_in_the_unit_interval():
    net = mlpcore.MLP([2, 3, 1], loss="binary_cross_entropy")
    with pytest.raises(ValueError, match=r"Y must lie in \[0, 1\] .*got values from 0.0 to 2.0"):
        net.loss(np.zeros((2, 2)), [[0], [2]])


def test_parameter_assignment_checks_shape_and_values():
    net = mlpcore.MLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(3, 2\), got \(2, 2\)"):
        net.weights[1] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"biases\[2\] must be finite"):
        net.biases[2] = [np.nan]
    with pytest.raises(IndexError, match="weights are numbered 1 to 2 as in the book, got 0"):
        net.weights[0]
    with pytest.raises(IndexError, match="numbered 1 to 2 as in the book, got 3"):
        net.biases[3] = [0.0]
    assert net.weights[-1] is net.weights[2]


def test_large_finite_inputs_are_not_mistaken_for_infinite():
    # the finiteness check sums the array once; a sum that overflows must not reject finite entries
    from mlpcore._checks import as_array

    big = np.full((3, 2), 1e308)
    np.testing.assert_array_equal(as_array(big, "X", np.float64), big)
    with pytest.raises(ValueError, match=r"X must be finite, got -inf at index \(2, 0\)"):
        as_array(np.vstack([big[:2], [[-np.inf, 1e308]]]), "X", np.float64)


def test_the_rarer_mistakes_are_named_too():
    net = mlpcore.MLP([2, 3, 1])
    with pytest.raises(TypeError, match=r"X must be a numeric array, got list \("):
        net.forward([[0.0, 1.0], [2.0]])  # a ragged list
    with pytest.raises(ValueError, match="X must hold at least one sample, got 0"):
        net.forward(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="weights index must be an integer layer number, got str"):
        net.weights["1"]
    with pytest.raises(TypeError, match=r"softmax takes no parameters, got \['alpha'\]"):
        mlpcore.activations.get("softmax", alpha=1.0)
    with pytest.raises(TypeError, match="loss must be a name .str. or a Loss, got int"):
        mlpcore.losses.get(2)
    assert mlpcore.losses.get("mse").f([1.0, 2.0], [1.0, 4.0]) == 2.0  # one sample, as a 1-D pair
