"""The numbers that the chapters paste into their prose (mlpcourse.prose)."""

import mpmath
import numpy as np
import pytest

from mlpcourse.prose import power_of_ten, sci


@pytest.mark.parametrize(
    "x, expected",
    [
        (3.2e-11, "$10^{-10}$"),
        (1e-10, "$10^{-10}$"),  # at or above: a power of ten is its own bound
        (1.0000001e-10, "$10^{-9}$"),
        (np.float32(0.5), "$10^{0}$"),
        (0.0, "$10^{-300}$"),
        (7, "$10^{1}$"),
    ],
)
def test_power_of_ten_is_the_smallest_at_or_above(x, expected):
    assert power_of_ten(x).data == expected
    exponent = int(expected[5:-2])
    assert x <= 10.0**exponent and (x == 0 or x > 10.0 ** (exponent - 1))


@pytest.mark.parametrize(
    "x, digits, expected",
    [
        (2.345e-7, 2, r"$2.3 \times 10^{-7}$"),
        (0.000125, 2, r"$1.3 \times 10^{-4}$"),  # 0.000125 is a little above its decimal in binary
        (9.96e-3, 2, r"$1.0 \times 10^{-2}$"),  # rounding up carries into the exponent
        (9.96e-3, 3, r"$9.96 \times 10^{-3}$"),
        (-3, 1, r"$-3 \times 10^{0}$"),
        (np.exp(40.0), 3, r"$2.35 \times 10^{17}$"),
        (mpmath.mpf("1.234e-400"), 2, r"$1.2 \times 10^{-400}$"),  # below the float range
        (mpmath.mpf("9.96e-500"), 2, r"$1.0 \times 10^{-499}$"),
    ],
)
def test_sci(x, digits, expected):
    assert sci(x, digits).data == expected


def test_sci_agrees_with_the_float_it_prints():
    # the printed mantissa times the power of ten is x to the digits asked for
    rng = np.random.default_rng(0)
    for x in 10.0 ** rng.uniform(-30, 30, size=200):
        mantissa, exponent = sci(x, 4).data.strip("$").split(r" \times 10^")
        value = float(mantissa) * 10.0 ** int(exponent.strip("{}"))
        assert 1 <= abs(float(mantissa)) < 10
        assert abs(value - x) <= 0.5e-3 * 10.0 ** int(exponent.strip("{}")) * (1 + 1e-9)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: sci(0.0), ValueError, "x must be finite and nonzero, got 0.0"),
        (lambda: sci(float("inf")), ValueError, "x must be finite and nonzero, got inf"),
        (lambda: sci(1.0, digits=0), ValueError, "digits must be an integer >= 1, got 0"),
        (lambda: sci("1e-3"), TypeError, "x must be a real number, got str"),
        (lambda: power_of_ten(-1e-3), ValueError, "x must be >= 0"),
        (lambda: power_of_ten(np.array([1.0, 2.0])), TypeError, "x must be a real number, got ndarray"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(")):
        call()
