"""Each activation against its definition and its derivative against central differences."""

import numpy as np
import pytest

from mlpcore import activations

ELEMENTWISE = [n for n in activations.names() if n != "softmax"]


def away_from_kinks(rng, n=200, margin=1e-2):
    z = rng.uniform(-5, 5, size=n)
    return z[np.abs(z) > margin]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name, rng):
    act = activations.get(name)
    z, h = away_from_kinks(rng), 1e-6
    numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
    np.testing.assert_allclose(act.df(z), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(
    "name, formula",
    [
        ("identity", lambda z: z),
        ("step", lambda z: (z >= 0).astype(float)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("logistic", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", lambda z: 2 / (1 + np.exp(-2 * z)) - 1),  # the form in the activation table of Vishwajith's slides
        ("arctan", np.arctan),
        ("relu", lambda z: np.where(z < 0, 0, z)),
        ("prelu", lambda z: np.where(z < 0, 0.25 * z, z)),
        ("elu", lambda z: np.where(z < 0, np.exp(z) - 1, z)),
        ("softplus", lambda z: np.log(1 + np.exp(z))),
    ],
)
def test_value_matches_table_formula(name, formula):
    z = np.linspace(-6, 6, 121)
    np.testing.assert_allclose(activations.get(name).f(z), formula(z), rtol=1e-12, atol=1e-15)


def test_tanh_is_a_rescaled_sigmoid():
    z = np.linspace(-10, 10, 201)
    np.testing.assert_allclose(np.tanh(z), 2 * activations.sigmoid(2 * z) - 1, atol=1e-15)


def test_table_derivative_identities():
    z = np.linspace(-5, -0.1, 50)
    elu, sig = activations.get("elu"), activations.get("sigmoid")
    np.testing.assert_allclose(elu.df(z), elu.f(z) + 1.0)  # f'(z) = f(z) + alpha for z < 0
    np.testing.assert_allclose(sig.df(z), sig.f(z) * (1 - sig.f(z)))
    np.testing.assert_allclose(activations.get("softplus").df(z), sig.f(z))


def test_derivative_at_the_kinks_is_the_left_derivative():
    zero = np.array([0.0])
    assert activations.get("relu").df(zero)[0] == 0.0
    assert activations.get("step").df(zero)[0] == 0.0
    assert activations.get("prelu", alpha=0.1).df(zero)[0] == pytest.approx(0.1)
    assert activations.get("step").f(zero)[0] == 1.0


def test_parameters_change_the_function():
    z = np.array([-2.0])
    assert activations.get("prelu", alpha=0.1).f(z)[0] == pytest.approx(-0.2)
    assert activations.get("elu", alpha=2.0).f(z)[0] == pytest.approx(2 * (np.exp(-2) - 1))


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "tanh", "elu", "arctan", "softmax"])
def test_stable_for_huge_inputs(name):
    act = activations.get(name)
    z = np.array([[-1000.0, 1000.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is harmless
        value = act.f(z)
        if act.elementwise:
            slope = act.df(z)
            assert np.all(np.isfinite(slope))
    assert np.all(np.isfinite(value))


def test_sigmoid_and_softplus_limits():
    z = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(activations.sigmoid(z), [0.0, 1.0])
    np.testing.assert_allclose(activations.get("softplus").f(z), [0.0, 1000.0])


def test_softmax_rows_sum_to_one_and_jacobian_matches_differences(rng):
    sm = activations.get("softmax")
    Z = rng.normal(size=(4, 3))
    np.testing.assert_allclose(sm.f(Z).sum(axis=1), 1.0)
    J, h = sm.df(Z), 1e-6
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        numeric = (sm.f(Z + e) - sm.f(Z - e)) / (2 * h)  # column j of each sample's Jacobian
        np.testing.assert_allclose(J[:, :, j], numeric, rtol=1e-7, atol=1e-10)
    g = rng.normal(size=(4, 3))
    vjp = np.einsum("ni,nij->nj", g, J)
    np.testing.assert_allclose(sm.backward(Z, sm.f(Z), g), vjp, atol=1e-14)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"activation must be one of \[.*'relu'.*\], got 'rleu'"):
        activations.get("rleu")
    with pytest.raises(TypeError, match="activation must be a name"):
        activations.get(3)
    with pytest.raises(TypeError, match="takes parameters \\['alpha'\\], got \\['beta'\\]"):
        activations.get("prelu", beta=1)


def test_float32_stays_float32():
    z = np.linspace(-3, 3, 7, dtype=np.float32)
    for name in ELEMENTWISE:
        act = activations.get(name)
        assert act.f(z).dtype == np.float32, name
        assert act.df(z).dtype == np.float32, name
