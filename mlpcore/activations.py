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
    """An elementwise activation: ``f(z)``, ``df(z)``, its name, and everything else known about it.

    ``params`` holds the constants of the function (``alpha`` of prelu and
    elu), so that a network can be saved and rebuilt from names and numbers.
    ``phi``, where it exists, is f' written through the output,
    :math:`\\phi(f(z)) = f'(z)`, as the backward pass uses it.

    ``f_into(z, out, scratch, **params)`` and ``slope_into(z, a, grad, scratch, **params)``
    are the in-place forms that :func:`mlpcore.training.fit` runs: the first writes f(z) into
    ``out``, the second multiplies ``grad`` by f'(z) in place; both may overwrite
    ``scratch``, and ``slope_into`` may overwrite ``z`` too. They must do the same
    operations as ``f`` and ``backward`` (the same numbers to the last bit:
    ``tests/library/test_inplace.py``). Without them, :meth:`forward_into` and
    :meth:`backward_into` fall back to ``f`` and ``backward``, which give the same
    numbers through temporary arrays.
    """

    elementwise = True

    def __init__(self, name, f, df, phi=None, f_into=None, slope_into=None, **params):
        self.name, self._f, self._df, self.params = name, f, df, params
        self._phi, self._f_into, self._slope_into = phi, f_into, slope_into

    @property
    def has_inplace_forms(self):
        """Whether this activation brings its own in-place ``f_into`` and ``slope_into``."""
        return self._f_into is not None and self._slope_into is not None

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

    def forward_into(self, z, out, scratch=None):
        """:meth:`f` of the float array ``z`` written into ``out`` (``scratch``: an array like
        ``z`` that may be overwritten; without one, ``f`` itself is used)."""
        if self._f_into is None or scratch is None:
            out[...] = self.f(z)
        else:
            self._f_into(z, out, scratch, **self.params)
        return out

    def backward_into(self, z, a, grad, scratch=None):
        """:meth:`backward` in place: ``grad`` becomes dL/dz (``scratch``, and ``z``, may be overwritten)."""
        if self._slope_into is not None and scratch is not None:
            self._slope_into(z, a, grad, scratch, **self.params)
        elif self._phi is not None:
            grad *= self._phi(a)
        else:
            grad *= self.df(z)
        return grad

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


def _sigmoid_into(z, out, e):
    # sigmoid, step by step into out: e = exp(-|z|), then 1 or e over 1 + e
    np.abs(z, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.greater_equal(z, 0.0, out=out, casting="unsafe")  # 1.0 where z >= 0, else 0.0 (z may be nan)
    np.maximum(out, e, out=out)  # 1 where z >= 0 (there e <= 1), e elsewhere: np.where(z >= 0, 1, e)
    e += 1.0
    out /= e


def _sigmoid_phi_into(z, a, grad, t):
    np.subtract(1.0, a, out=t)  # grad * (a * (1 - a))
    np.multiply(a, t, out=t)
    grad *= t


def _tanh_phi_into(z, a, grad, t):
    np.square(a, out=t)  # grad * (1 - a**2)
    np.subtract(1.0, t, out=t)
    grad *= t


def _arctan_slope_into(z, a, grad, t):
    np.multiply(z, z, out=t)  # grad * (1 / (1 + z * z))
    t += 1.0
    np.divide(1.0, t, out=t)
    grad *= t


def _indicator_into(z, out, where_true, elsewhere):
    # where(z > 0, where_true, elsewhere) into out; where_true may be z itself
    out[...] = elsewhere
    np.copyto(out, where_true, where=z > 0)


def _prelu_into(z, out, scratch, alpha):
    np.multiply(z, alpha, out=out)  # where(z > 0, z, alpha * z)
    np.copyto(out, z, where=z > 0)


def _elu_into(z, out, scratch, alpha):
    np.minimum(z, 0.0, out=out)  # where(z > 0, z, alpha * expm1(min(z, 0)))
    np.expm1(out, out=out)
    out *= alpha
    np.copyto(out, z, where=z > 0)


def _elu_slope_into(z, a, grad, t, alpha):
    np.minimum(z, 0.0, out=t)  # grad * where(z > 0, 1, alpha * exp(min(z, 0)))
    np.exp(t, out=t)
    t *= alpha
    np.copyto(t, 1.0, where=z > 0)
    grad *= t


def _softplus_slope_into(z, a, grad, t):
    # grad * sigmoid(z), the operations of _sigmoid_into with z as its scratch (z is not needed after)
    np.greater_equal(z, 0.0, out=t, casting="unsafe")
    np.abs(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    np.maximum(t, z, out=t)
    z += 1.0
    t /= z
    grad *= t


def _one(z):
    return np.ones_like(z)


def _zero(z):
    return np.zeros_like(z)


def _indicator(z, elsewhere=0.0):
    return np.where(z > 0, 1.0, elsewhere).astype(np.result_type(z, 1.0))


def _elu(z, alpha):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _delu(z, alpha):
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))  # = f(z) + alpha for z < 0


def _softplus(z):
    return np.logaddexp(0.0, z)  # log(1 + e^z) without overflow


# Everything known about each elementwise activation, in one place: f and f' (the readable
# forms, which define the numbers), phi(a) = f'(z) where the slope is a function of the output,
# and the in-place forms that fit runs, each doing the same operations as the readable form.
_ELEMENTWISE = {
    "identity": dict(f=lambda z: z * 1.0, df=_one,
                     f_into=lambda z, out, s: np.multiply(z, 1.0, out=out),
                     slope_into=lambda z, a, grad, t: None),  # grad * 1 is grad
    "step": dict(f=lambda z: np.where(z >= 0, 1.0, 0.0).astype(np.result_type(z, 1.0)), df=_zero,
                 f_into=lambda z, out, s: np.greater_equal(z, 0.0, out=out, casting="unsafe"),
                 slope_into=lambda z, a, grad, t: np.multiply(grad, 0.0, out=grad)),  # grad * 0
    "sigmoid": dict(f=sigmoid, df=_dsigmoid, phi=lambda a: a * (1.0 - a),
                    f_into=_sigmoid_into, slope_into=_sigmoid_phi_into),
    "tanh": dict(f=np.tanh, df=lambda z: 1.0 - np.tanh(z) ** 2, phi=lambda a: 1.0 - a**2,
                 f_into=lambda z, out, s: np.tanh(z, out=out), slope_into=_tanh_phi_into),
    "arctan": dict(f=np.arctan, df=lambda z: 1.0 / (1.0 + z * z),
                   f_into=lambda z, out, s: np.arctan(z, out=out), slope_into=_arctan_slope_into),
    "relu": dict(f=lambda z: np.maximum(z, 0.0), df=_indicator,
                 f_into=lambda z, out, s: np.maximum(z, 0.0, out=out),
                 slope_into=lambda z, a, grad, t: (_indicator_into(z, t, 1.0, 0.0), np.multiply(grad, t, out=grad))),
    "prelu": dict(f=lambda z, alpha: np.where(z > 0, z, alpha * z), df=lambda z, alpha: _indicator(z, alpha),
                  f_into=_prelu_into,
                  slope_into=lambda z, a, grad, t, alpha: (_indicator_into(z, t, 1.0, alpha),
                                                           np.multiply(grad, t, out=grad)),
                  params={"alpha": 0.25}),
    "elu": dict(f=_elu, df=_delu, f_into=_elu_into, slope_into=_elu_slope_into, params={"alpha": 1.0}),
    "softplus": dict(f=_softplus, df=sigmoid,  # d/dz log(1 + e^z) = sigma(z)
                     f_into=lambda z, out, s: np.logaddexp(0.0, z, out=out), slope_into=_softplus_slope_into),
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

    def backward_into(self, z, a, grad, scratch=None):
        """:meth:`backward` written into ``grad`` (the Jacobian is not diagonal: no slope to multiply by)."""
        grad[...] = self.backward(z, a, grad)
        return grad


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
    return Activation(key, **spec, **{**defaults, **params})
