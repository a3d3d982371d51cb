"""Activation functions f and their derivatives f', by name.

Every activation acts on the pre-activation ``z`` of a layer, elementwise, and
returns an array of the same shape; ``df`` is the derivative with respect to
``z``. ``softmax`` is the exception: it acts on each row of ``Z`` (one sample)
as a whole, so it may only be the activation of the output layer.

Example
-------
>>> from mlpcore import activations
>>> sigma = activations.get("sigmoid")
>>> float(sigma.f(0.0)), float(sigma.df(0.0))
(0.5, 0.25)

Conventions at the kinks: step, relu and prelu are not differentiable at
z = 0; ``df`` returns the left derivative there (0 for step and relu, alpha for
prelu), as PyTorch and scikit-learn do. Any value between the left and right
derivatives is a valid subgradient.
"""

import numpy as np

from ._inplace import KERNELS

__all__ = ["Activation", "Softmax", "get", "names", "sigmoid", "softmax"]


class Activation:
    """An elementwise activation: ``f(z)``, ``df(z)``, its name, and everything else known about it.

    ``params`` holds the constants of the function (``alpha`` of prelu and
    elu), so that a network can be saved and rebuilt from names and numbers.
    ``phi``, where it exists, is f' written through the output,
    :math:`\\phi(f(z)) = f'(z)`, as the backward pass uses it.

    ``f_into`` and ``slope_into``, optional, are the in-place forms that ``fit`` runs
    (``mlpcore/_inplace.py`` holds the built-in activations' own and calls them):
    ``f_into(z, out, scratch, **params)`` writes f(z) into ``out``,
    ``slope_into(z, a, grad, scratch, **params)`` multiplies ``grad`` by f'(z) in place;
    both may overwrite ``scratch``, and ``slope_into`` may overwrite ``z`` too. They must
    do the same operations as ``f`` and ``backward``, so that ``fit`` gives the same
    numbers to the last bit (``tests/library/test_inplace.py``). Without them ``fit``
    runs ``f`` and ``backward``, which give those numbers through temporary arrays.
    """

    elementwise = True

    def __init__(self, name, f, df, phi=None, f_into=None, slope_into=None, **params):
        self.name, self._f, self._df, self._phi, self.params = name, f, df, phi, params
        self.f_into, self.slope_into = f_into, slope_into

    @property
    def has_inplace_forms(self):
        """Whether this activation brings its own in-place ``f_into`` and ``slope_into``."""
        return self.f_into is not None and self.slope_into is not None

    def f(self, z):
        """The activation :math:`a = f(z)`, elementwise: same shape as ``z``."""
        return self._f(_as_float(z), **self.params)

    def df(self, z):
        """The derivative :math:`f'(z)`, elementwise: same shape as ``z``."""
        return self._df(_as_float(z), **self.params)

    def backward(self, z, a, grad_a):
        """Chain rule through the activation, elementwise:
        :math:`\\partial\\mathcal L/\\partial z = \\partial\\mathcal L/\\partial a \\odot f'(z)`, where ``grad_a`` is
        :math:`\\partial\\mathcal L/\\partial a`.

        Where the slope is a function of the output, :math:`f'(z) = \\phi(a)` (the
        logistic's :math:`a(1-a)`, tanh's :math:`1-a^2`), it is computed from the stored
        activation ``a``: the same numbers, without evaluating f again.
        """
        if self._phi is not None:
            return grad_a * self._phi(a)
        return grad_a * self.df(z)

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Activation({self.name!r}{extra})"


def _as_float(z):
    z = np.asarray(z)
    return z if z.dtype.kind == "f" else z.astype(np.float64)


# f(z), elementwise, for each activation -----------------------------------------------------------


def _identity(z):
    return z * 1.0  # a new array, as every other activation gives


def _step(z):
    return np.where(z >= 0, 1.0, 0.0).astype(np.result_type(z, 1.0))


def sigmoid(z):
    r"""Logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`, without overflow.

    For z < 0 it uses the equal form :math:`e^{z} / (1 + e^{z})`, so that
    ``exp`` only ever sees non-positive numbers.
    """
    z = _as_float(z)
    e = np.abs(z, out=np.empty_like(z))
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|z|), in (0, 1]: no overflow
    numerator = np.where(z >= 0, 1.0, e).astype(e.dtype, copy=False)
    e += 1.0
    numerator /= e  # 1 / (1 + e) for z >= 0, e / (1 + e) for z < 0: the same numbers, fewer temporaries
    return numerator


def _relu(z):
    return np.maximum(z, 0.0)


def _prelu(z, alpha):
    return np.where(z > 0, z, alpha * z)


def _elu(z, alpha):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _softplus(z):
    return np.logaddexp(0.0, z)  # log(1 + e^z) without overflow


# f'(z), elementwise -----------------------------------------------------------------------------------


def _indicator(z, elsewhere=0.0):
    return np.where(z > 0, 1.0, elsewhere).astype(np.result_type(z, 1.0))


def _d_identity(z):
    return np.ones_like(z)


def _d_step(z):
    return np.zeros_like(z)


def _d_sigmoid(z):
    s = sigmoid(z)
    return s * (1.0 - s)  # sigma' = sigma (1 - sigma)


def _d_tanh(z):
    return 1.0 - np.tanh(z) ** 2


def _d_arctan(z):
    return 1.0 / (1.0 + z * z)


def _d_relu(z):
    return _indicator(z)  # 0 at the kink: the left derivative


def _d_prelu(z, alpha):
    return _indicator(z, alpha)


def _d_elu(z, alpha):
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))  # = f(z) + alpha for z < 0


# f'(z) as a function of the output a = f(z), where it is one: phi(a) --------------------------------------


def _sigmoid_phi(a):
    return a * (1.0 - a)


def _tanh_phi(a):
    return 1.0 - a**2


# Every elementwise activation: f, f' (the readable forms, which define the numbers), phi where
# it exists, and the default constants. Their in-place forms are in _inplace.KERNELS.
_ELEMENTWISE = {
    "identity": dict(f=_identity, df=_d_identity),
    "step": dict(f=_step, df=_d_step),
    "sigmoid": dict(f=sigmoid, df=_d_sigmoid, phi=_sigmoid_phi),
    "tanh": dict(f=np.tanh, df=_d_tanh, phi=_tanh_phi),
    "arctan": dict(f=np.arctan, df=_d_arctan),
    "relu": dict(f=_relu, df=_d_relu),
    "prelu": dict(f=_prelu, df=_d_prelu, params={"alpha": 0.25}),
    "elu": dict(f=_elu, df=_d_elu, params={"alpha": 1.0}),
    "softplus": dict(f=_softplus, df=sigmoid),  # d/dz log(1 + e^z) = sigma(z)
}
_ALIASES = {"logistic": "sigmoid"}


def softmax(Z):
    r"""Row-wise softmax :math:`\hat y_k = e^{z_k} / \sum_j e^{z_j}`.

    The row maximum is subtracted first: the result is the same and ``exp``
    cannot overflow.
    """
    Z = _as_float(Z)
    E = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return E / np.sum(E, axis=-1, keepdims=True)


class Softmax(Activation):
    """Softmax over the last axis: an output activation only."""

    elementwise = False

    def __init__(self):
        super().__init__("softmax", None, None)

    def f(self, z):
        """Softmax of each row of ``Z`` (shape ``(N, K)`` or ``(K,)``)."""
        return softmax(z)

    def df(self, z):
        r"""The Jacobian :math:`\partial \hat y_i / \partial z_j = \hat y_i(\delta_{ij} - \hat y_j)`,
        shape ``(..., K, K)``."""
        s = softmax(z)
        return s[..., :, None] * (np.eye(s.shape[-1]) - s[..., None, :])

    def backward(self, z, a, grad_a):
        r"""Vector-Jacobian product: with ``grad_a`` :math:`= \partial\mathcal L/\partial a`,
        :math:`\partial\mathcal L/\partial z_j = a_j (\bar a_j - \sum_i a_i \bar a_i)`, where
        :math:`\bar a_i = \partial\mathcal L/\partial a_i`."""
        return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))


def names():
    """All valid activation names, aliases included."""
    return sorted([*_ELEMENTWISE, *_ALIASES, "softmax"])


def get(name, **params):
    """The activation called ``name`` (an :class:`Activation` is returned as it is).

    ``params`` overrides the defaults, e.g. ``get("prelu", alpha=0.1)``.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name (str) or an Activation, got {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key == "softmax":
        if params:
            raise TypeError(f"softmax takes no parameters, got {sorted(params)}")
        return Softmax()
    if key not in _ELEMENTWISE:
        raise ValueError(f"activation must be one of {names()}, got {name!r}")
    spec = dict(_ELEMENTWISE[key])
    defaults = spec.pop("params", {})
    unknown = set(params) - set(defaults)
    if unknown:
        raise TypeError(f"activation {key!r} takes parameters {sorted(defaults) or 'none'}, got {sorted(unknown)}")
    return Activation(key, **spec, **KERNELS.get(key, {}), **{**defaults, **params})
