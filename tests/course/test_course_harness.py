"""What crosses the kernel boundary, without a kernel: ``harness.encode``/``decode`` round
trips, what is refused, and ``exercises.Replay`` standing in for a student's function."""

import json

import numpy as np
import pytest

import mlpcore
from mlpcourse import exercises, harness


def roundtrip(x):
    return harness.decode(json.loads(json.dumps(harness.encode(x))))


@pytest.mark.parametrize("x", [None, True, 3, -2**62, 2.5, float("inf"), "text", [1, 2.0], (1, "a"), {"k": [1]},
                               {1: (2, 3)}, [[], ()]])
def test_plain_values_come_back_equal_and_of_the_same_type(x):
    back = roundtrip(x)
    assert back == x and type(back) is type(x)


def test_nan_comes_back_as_nan():
    assert np.isnan(roundtrip(float("nan")))


@pytest.mark.parametrize("a", [np.arange(6, dtype=np.int32).reshape(2, 3), np.array([1.5, -0.0, np.inf]),
                               np.zeros((0, 4)), np.array(True), np.float32([1e-40, 3.25])])
def test_arrays_keep_dtype_shape_and_bits(a):
    back = roundtrip(a)
    assert back.dtype == a.dtype and back.shape == a.shape
    np.testing.assert_array_equal(back.view(np.uint8), a.view(np.uint8))


def test_numpy_scalars_keep_their_type():
    for x in (np.float32(0.1), np.int64(7), np.bool_(False)):
        back = roundtrip(x)
        assert type(back) is type(x) and back == x


def test_a_huge_int_becomes_a_float():
    assert roundtrip(2**70) == float(2**70)


def test_a_network_comes_back_with_its_parameters_and_nothing_else():
    net = mlpcore.MLP([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="mse", seed=4)
    back = roundtrip(net)
    assert type(back) is mlpcore.MLP and back.sizes == net.sizes
    for l in range(1, net.L + 1):
        np.testing.assert_array_equal(back.weights[l], net.weights[l])
        np.testing.assert_array_equal(back.biases[l], net.biases[l])
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(back.forward(X), net.forward(X))


def test_other_objects_cross_as_opaque_stand_ins_that_cannot_run():
    encoded = harness.encode(lambda x: x)
    assert encoded == {"__object__": "function", "callable": True}
    back = harness.decode(encoded)
    assert isinstance(back, harness.Opaque) and type(back).__name__ == "function"
    with pytest.raises(TypeError, match="cannot be called here"):
        back(1)
    assert not callable(harness.decode(harness.encode(object())))


def test_object_arrays_and_deep_nesting_are_refused_or_opaque():
    assert harness.encode(np.array([object()], dtype=object)) == {"__object__": "ndarray", "callable": False}
    deep = []
    for _ in range(harness.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(harness.TooLarge, match="nested"):
        harness.encode(deep)


def test_the_size_budget_is_enforced():
    with pytest.raises(harness.TooLarge, match="more than"):
        harness.encode([np.zeros(10)], _budget=[5])


@pytest.mark.parametrize("bad", [{"__array__": "|O", "shape": [1], "data": [1]}, {"__nothing__": 1}])
def test_decode_refuses_what_encode_never_writes(bad):
    with pytest.raises(ValueError):
        harness.decode(bad)


def test_collect_records_results_exceptions_and_changes_in_place():
    def answer(a, b):
        a[0] = 99.0
        if b < 0:
            raise ValueError("negative")
        return a.sum() + b

    inputs = [(np.array([1.0, 2.0]), 1.0), (np.array([0.0]), -1.0)]
    record = exercises.collected(answer, inputs)
    first, second = record["calls"]
    assert harness.decode(first["result"]) == 102.0
    assert harness.decode(first["after"])[0][0] == 99.0
    assert second["raised"] == ["ValueError", "negative"]


def test_replay_answers_as_the_student_did():
    def answer(a, b):
        a *= 2
        if b == 0:
            raise ZeroDivisionError("b is zero")
        return a / b

    inputs = [(np.array([1.0, 3.0]), 2.0), (np.array([1.0]), 0.0)]
    replay = exercises.Replay(exercises.collected(answer, inputs), inputs)
    a = np.array([1.0, 3.0])
    np.testing.assert_array_equal(replay(a, 2.0), [1.0, 3.0])
    np.testing.assert_array_equal(a, [2.0, 6.0])  # changed in place, as the real call changed it
    with pytest.raises(Exception, match="b is zero") as raised:
        replay(np.array([1.0]), 0.0)
    assert type(raised.value).__name__ == "ZeroDivisionError"
    with pytest.raises(exercises.ReplayMiss):
        replay(np.array([5.0]), 1.0)


def test_judge_says_not_attempted_for_the_stub_and_error_for_other_exceptions():
    label = "ex-softsign-derivative"
    inputs = exercises.find(label).inputs_for(0)

    def stub(z):
        raise NotImplementedError("exercise: replace this line")

    def broken(z):
        raise KeyError("z")

    assert exercises.judge(label, exercises.collected(stub, inputs), inputs) == ("not attempted", "")
    status, detail = exercises.judge(label, exercises.collected(broken, inputs), inputs)
    assert status == "error" and detail.startswith("KeyError")


def test_exact_real_numbers_cross_as_their_nearest_float():
    from decimal import Decimal
    from fractions import Fraction

    import sympy as sp

    assert roundtrip((7 - sp.sqrt(33)) / 2) == (7 - 33**0.5) / 2
    assert roundtrip(Fraction(1, 3)) == 1 / 3 and roundtrip(Decimal("0.5")) == 0.5
    assert roundtrip(sp.Float("0.25")) == 0.25 and roundtrip([sp.Integer(3)]) == [3.0]
    assert roundtrip(sp.Symbol("x")) .__class__.__name__ == "Symbol"  # not a number: opaque
    assert isinstance(roundtrip(1 + 2j), harness.Opaque)
