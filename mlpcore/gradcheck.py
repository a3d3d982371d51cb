r"""Gradient checking: backpropagation against central differences.

For each parameter :math:`\theta` the central difference

.. math::

    \frac{\partial \mathcal L}{\partial \theta} \approx \frac{\mathcal L(\theta + h) - \mathcal L(\theta - h)}{2h}

has error :math:`O(h^2)`; the fourth-order stencil

.. math::

    \frac{-\mathcal L(\theta + 2h) + 8 \mathcal L(\theta + h)
          - 8 \mathcal L(\theta - h) + \mathcal L(\theta - 2h)}{12 h}

has error :math:`O(h^4)`. The agreement is measured with the relative error
recommended by CS231n, elementwise,

.. math::

    \frac{|a - n|}{\max(|a|, |n|, \text{tiny})},

which is 0 when both are exactly zero (a dead ReLU, a step function).

Example
-------
>>> import numpy as np, mlpcore
>>> net = mlpcore.MLP([3, 4, 2], activation="tanh", seed=0)
>>> X = np.random.default_rng(0).normal(size=(5, 3)); Y = np.zeros((5, 2))
>>> bool(mlpcore.gradcheck.max_relative_error(net, X, Y) < 1e-7)
True
"""

import numpy as np

from .network import Gradients

__all__ = ["numerical_gradient", "numerical_gradients", "relative_error", "max_relative_error"]

# order: pairs (k, c) of the stencil sum_k c [fn(P + k h) - fn(P - k h)] / h, for one entry of P at a time
_STENCILS = {2: ((1, 1 / 2),), 4: ((1, 8 / 12), (2, -1 / 12))}


def numerical_gradient(fn, P, h=1e-5, order=2):
    """d fn / d P by central differences, for a scalar function ``fn`` of the array ``P``.

    Each entry of ``P`` is nudged in place, ``fn(P)`` evaluated, and the entry
    restored, so ``P`` is left exactly as it was (``fn`` may also read ``P``
    through another reference, a network's weights for instance). ``order`` is 2
    (the classic two-point formula) or 4 (the five-point stencil). Returns a
    float64 array of the shape of ``P``.
    """
    if order not in _STENCILS:
        raise ValueError(f"order must be 2 or 4, got {order}")
    if not isinstance(P, np.ndarray) or P.dtype.kind != "f":
        raise TypeError(f"P must be a numpy array of floats (it is changed in place), got {type(P).__name__}")
    G = np.zeros(P.shape, dtype=np.float64)
    for i in np.ndindex(P.shape):  # every entry, one at a time
        saved = P[i]
        total = 0.0
        for k, c in _STENCILS[order]:
            P[i] = saved + k * h
            up = fn(P)
            P[i] = saved - k * h
            total += c * (up - fn(P))  # exactly 0 where fn is flat
        P[i] = saved
        G[i] = total / h
    return G


def numerical_gradients(net, X, Y, h=1e-5, order=2):
    r""":math:`\partial\mathcal L/\partial W^l` and :math:`\partial\mathcal L/\partial b^l` by central
    differences over every parameter (:func:`numerical_gradient` of the loss in each :math:`W^l` and :math:`b^l`).

    ``order`` is 2 (the classic two-point formula) or 4 (the five-point
    stencil). The network is left exactly as it was.
    """
    X, Y = net.check_batch(X, Y)
    loss = lambda _: net.loss(X, Y)  # noqa: E731  (the parameter is nudged in place, inside net)
    return Gradients([numerical_gradient(loss, W, h, order) for W in net.weights],
                     [numerical_gradient(loss, b, h, order) for b in net.biases])


def relative_error(a, n, tiny=1e-30):
    r"""Elementwise :math:`|a - n| / \max(|a|, |n|, \text{tiny})`, for arrays of any shape."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), tiny)


def max_relative_error(net, X, Y, h=1e-5, order=2):
    """The largest relative error between ``net.gradients`` and central differences."""
    analytic, numeric = net.gradients(X, Y), numerical_gradients(net, X, Y, h=h, order=order)
    errors = [
        relative_error(a, n).max()
        for kind in ("weights", "biases")
        for a, n in zip(getattr(analytic, kind), getattr(numeric, kind))
    ]
    return float(max(errors))
