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

__all__ = ["Activation", "Softmax", "get", "names", "sigmoid", "softmax"]


class Activation:
    """An elementwise activation: ``f(z)``, ``df(z)`` and its name.

    ``params`` holds the constants of the function (``alpha`` of prelu and
    elu), so that a network can be saved and rebuilt from names and numbers.
    """

    elementwise = True

    def __init__(self, name, f, df, phi=None, **params):
        self.name, self._f, self._df, self.params = name, f, df, params
        self._phi = phi  # f' written through the output, phi(f(z)) = f'(z), when it needs no z

    def f(self, z):
        """The activation :math:`a = f(z)`, elementwise: same shape as ``z``."""
        return self._f(_as_float(z), **self.params)

    def df(self, z):
        """The derivative :math:`f'(z)`, elementwise: same shape as ``z``."""
        return self._df(_as_float(z), **self.params)

    def backward(self, z, a, grad_a):
        """Chain rule through the activation: dL/dz = dL/da * f'(z), elementwise.

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


def _dsigmoid(z):
    s = sigmoid(z)
    return s * (1.0 - s)  # sigma' = sigma (1 - sigma)


def _elu(z, alpha):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _delu(z, alpha):
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))  # = f(z) + alpha for z < 0


def _softplus(z):
    return np.logaddexp(0.0, z)  # log(1 + e^z) without overflow


def _one(z):
    return np.ones_like(z)


def _zero(z):
    return np.zeros_like(z)


_PHI = {  # f'(z) as a function of a = f(z), exactly as df computes it
    "sigmoid": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a**2,
}

_ELEMENTWISE = {
    # name: (f, df, default parameters)
    "identity": (lambda z: z * 1.0, _one, {}),
    "step": (lambda z: np.where(z >= 0, 1.0, 0.0).astype(np.result_type(z, 1.0)), _zero, {}),
    "sigmoid": (sigmoid, _dsigmoid, {}),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, {}),
    "arctan": (np.arctan, lambda z: 1.0 / (1.0 + z * z), {}),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: np.where(z > 0, 1.0, 0.0).astype(np.result_type(z, 1.0)), {}),
    "prelu": (
        lambda z, alpha: np.where(z > 0, z, alpha * z),
        lambda z, alpha: np.where(z > 0, 1.0, alpha).astype(np.result_type(z, 1.0)),
        {"alpha": 0.25},
    ),
    "elu": (_elu, _delu, {"alpha": 1.0}),
    "softplus": (_softplus, sigmoid, {}),  # d/dz log(1 + e^z) = sigma(z)
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
        """Vector-Jacobian product: dL/dz_j = a_j (dL/da_j - sum_i dL/da_i a_i)."""
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
    f, df, defaults = _ELEMENTWISE[key]
    unknown = set(params) - set(defaults)
    if unknown:
        raise TypeError(f"activation {key!r} takes parameters {sorted(defaults) or 'none'}, got {sorted(unknown)}")
    return Activation(key, f, df, phi=_PHI.get(key), **{**defaults, **params})
