r"""Loss functions :math:`\mathcal L(Y, \hat Y)`, each averaged over the N samples of a batch:
:math:`\mathcal L = \frac1N \sum_n \ell_n`, with :math:`\ell_n` the loss of sample n.

``Y`` and ``Y_hat`` have shape ``(N, K)``: one row per sample, one column per
output. ``f`` returns the loss (a float), ``df`` the gradient
:math:`\partial\mathcal L/\partial\hat Y` (shape ``(N, K)``, the 1/N included).

The two cross-entropies are paired with the output activation they are meant
for (softmax, sigmoid), and they take the logits: the network never forms
:math:`\log \hat Y`, since ``f_logits`` and ``delta_logits`` work from the output
pre-activation Z, which stays finite for any Z, and give the well-known output
delta :math:`(\hat Y - Y) / N`. Each loss checks its own targets (``check_targets``):
cross-entropy wants a probability vector in each row (entries >= 0 that sum to 1:
one-hot, or smoothed labels such as :math:`0.9\,y + 0.1/K`), binary cross-entropy
values in [0, 1]. The rows must sum to 1 for the delta :math:`(\hat Y - Y)/N`
to be the derivative of the loss.

Example
-------
>>> import numpy as np
>>> from mlpcore import losses
>>> mse = losses.get("mse")
>>> float(mse.f(np.array([[0.0]]), np.array([[0.5]])))
0.25
"""

import numpy as np

from .activations import sigmoid, softmax

__all__ = ["Loss", "get", "names"]

_TINY = np.finfo(np.float64).tiny


class Loss:
    r"""A loss: its value ``f(Y, Y_hat)`` and gradient ``df(Y, Y_hat)``, the targets it accepts,
    and, for a loss on the logits, the forms that take the output pre-activation Z.

    Parameters
    ----------
    name : str
    f, df : functions of ``(Y, Y_hat)``, both of shape ``(N, K)``
        The loss averaged over the N samples (a number) and its gradient
        :math:`\partial\mathcal L/\partial\hat Y` (the 1/N included).
    targets : function of ``Y``, optional
        Checks the targets and raises a ValueError that says what Y must be and what came
        ("Y must hold a probability vector in each row ... for loss='cross_entropy', got row 2: ...");
        the network calls it on every batch (:meth:`check_targets`). None: any finite Y of the right shape.
    output_activation : str, optional
        The output activation the loss needs (the network refuses any other), or None for any.
    f_logits, delta_logits : functions of ``(Y, Z)``, optional
        The loss and :math:`\partial\mathcal L/\partial Z` computed from the output pre-activation Z
        of ``output_activation``, which must then be given: a loss with these :attr:`takes_logits`,
        and the network uses them instead of ``f`` and the chain rule through the output activation.
    value_and_delta_logits : function of ``(Y, Z)``, optional
        Both at once, sharing their work (the same numbers as the two apart).
    """

    def __init__(self, name, f, df, targets=None, output_activation=None, f_logits=None, delta_logits=None,
                 value_and_delta_logits=None):
        if (f_logits is None) != (delta_logits is None):
            raise TypeError(f"loss {name!r} needs both f_logits and delta_logits, or neither")
        if f_logits is not None and output_activation is None:
            raise TypeError(f"loss {name!r} takes the logits, so it needs the output_activation they are the "
                            "pre-activation of")
        if value_and_delta_logits is not None and f_logits is None:
            raise TypeError(f"loss {name!r} has value_and_delta_logits without f_logits and delta_logits")
        self.name, self._f, self._df, self._targets = name, f, df, targets
        self.output_activation = output_activation  # required output activation, or None for any
        self._f_logits, self._delta_logits, self._both_logits = f_logits, delta_logits, value_and_delta_logits

    @property
    def takes_logits(self):
        """Whether the network computes this loss and its output delta from Z^L (:meth:`f_logits`,
        :meth:`delta_logits`) rather than from Y_hat."""
        return self._f_logits is not None

    def check_targets(self, Y):
        """Raise a ValueError unless this loss accepts the targets ``Y`` (shape ``(N, K)``)."""
        if self._targets is not None:
            self._targets(np.asarray(Y))

    def f(self, Y, Y_hat):
        """The loss :math:`\\mathcal L(Y, \\hat Y)`, a float; ``Y`` and ``Y_hat`` of shape ``(N, K)`` (or ``(K,)``)."""
        return float(self._f(*_pair(Y, Y_hat)))

    def df(self, Y, Y_hat):
        """The gradient :math:`\\partial \\mathcal L / \\partial \\hat Y`, shape ``(N, K)``, the 1/N included."""
        return self._df(*_pair(Y, Y_hat))

    def f_logits(self, Y, Z):
        """The loss computed from the output pre-activation Z (a loss that :attr:`takes_logits`)."""
        return float(self._f_logits(*_pair(Y, Z)))

    def delta_logits(self, Y, Z):
        r""":math:`\partial\mathcal L/\partial Z^L` at the output, computed from Z (a loss that
        :attr:`takes_logits`)."""
        return self._delta_logits(*_pair(Y, Z))

    def value_and_delta_logits(self, Y, Z):
        """``(f_logits(Y, Z), delta_logits(Y, Z))``, the same numbers, sharing their work where the loss can."""
        Y, Z = _pair(Y, Z)
        if self._both_logits is not None:
            value, delta = self._both_logits(Y, Z)
            return float(value), delta
        return float(self._f_logits(Y, Z)), self._delta_logits(Y, Z)

    def __repr__(self):
        return f"Loss({self.name!r})"


def _pair(Y, Y_hat):
    Y, Y_hat = np.asarray(Y), np.asarray(Y_hat)
    if Y.ndim < 2:  # one sample
        Y, Y_hat = Y.reshape(1, -1), Y_hat.reshape(1, -1)
    if Y.shape != Y_hat.shape:
        raise ValueError(f"Y and Y_hat must have the same shape, got {Y.shape} and {Y_hat.shape}")
    return Y, Y_hat


# mse: ℒ = 1/(N K) sum_n sum_k (y_nk - yhat_nk)^2 ; ∂ℒ/∂yhat = 2 (yhat - y) / (N K)
def _mse(Y, Yh):
    return np.mean((Y - Yh) ** 2)


def _dmse(Y, Yh):
    return 2.0 * (Yh - Y) / Y.size


# squared_error: ℒ = 1/N sum_n 1/2 sum_k (y_nk - yhat_nk)^2 ;
# ∂ℒ/∂yhat = (yhat - y) / N
def _se(Y, Yh):
    return 0.5 * np.sum((Y - Yh) ** 2) / len(Y)


def _dse(Y, Yh):
    return (Yh - Y) / len(Y)


# cross_entropy: ℒ = -1/N sum_n sum_k y_nk log yhat_nk, with yhat = softmax(z); each row y_n a
# probability vector (sum_k y_nk = 1), which makes ∂ℒ/∂z = (yhat - y) / N
def _ce(Y, Yh):
    return -np.sum(Y * np.log(np.maximum(Yh, _TINY))) / len(Y)


def _dce(Y, Yh):
    return -Y / np.maximum(Yh, _TINY) / len(Y)


def _logsumexp(Z):
    m = np.max(Z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))


def _ce_logits(Y, Z):
    # log softmax(z)_k = z_k - logsumexp(z)
    return -np.sum(Y * (Z - _logsumexp(Z))) / len(Y)


def _ce_delta(Y, Z):
    return (softmax(Z) - Y) / len(Y)


def _ce_both(Y, Z):
    # one exponential for both: logsumexp(z) = m + log(sum(E)), softmax(z) = E / sum(E).
    # The training loop calls this once a batch: np.maximum.reduce and np.add.reduce are what np.max and
    # np.sum call, minus a Python layer that costs a good part of a small network's step.
    m = np.maximum.reduce(Z, axis=1, keepdims=True)
    E = np.exp(Z - m)
    S = np.add.reduce(E, axis=1, keepdims=True)
    value = -np.add.reduce(Y * (Z - (m + np.log(S))), axis=None) / len(Y)
    E /= S
    E -= Y
    E /= len(Y)
    return value, E


# binary_cross_entropy: ℒ = -1/N sum_n sum_k [y log yhat + (1 - y) log(1 - yhat)], yhat = sigmoid(z)
def _bce(Y, Yh):
    return -np.sum(Y * np.log(np.maximum(Yh, _TINY)) + (1 - Y) * np.log(np.maximum(1 - Yh, _TINY))) / len(Y)


def _dbce(Y, Yh):
    return (-Y / np.maximum(Yh, _TINY) + (1 - Y) / np.maximum(1 - Yh, _TINY)) / len(Y)


def _bce_logits(Y, Z):
    # -[y log sigma(z) + (1-y) log(1 - sigma(z))] = log(1 + e^z) - y z
    return np.sum(np.logaddexp(0.0, Z) - Y * Z) / len(Y)


def _bce_delta(Y, Z):
    return (sigmoid(Z) - Y) / len(Y)


# the targets each cross-entropy accepts


def _probability_rows(Y):
    # one-hot rows, or any probability vector (label smoothing): the delta (Y_hat - Y) / N needs sum_k y_k = 1,
    # which a row computed in floating point meets only up to rounding. sqrt(eps) of Y's precision (1.5e-08 in
    # float64, 3.5e-04 in float32) is far above that rounding and far below what a mistake gives (a row of
    # counts, a doubled row, a row not normalised at all)
    tolerance = float(np.sqrt(np.finfo(Y.dtype if Y.dtype.kind == "f" else np.float64).eps))
    rows = np.all(Y >= 0, axis=1) & (np.abs(Y.sum(axis=1) - 1) <= tolerance)
    if not rows.all():
        row = int(np.argmin(rows))
        raise ValueError(f"Y must hold a probability vector in each row (entries >= 0 that sum to 1 within "
                         f"{tolerance:.1e}) for loss='cross_entropy', got row {row}: {Y[row]}")


def _unit_interval(Y):
    if not np.all((Y >= 0) & (Y <= 1)):
        raise ValueError("Y must lie in [0, 1] for loss='binary_cross_entropy', "
                         f"got values from {Y.min()} to {Y.max()}")


_LOSSES = {
    "mse": Loss("mse", _mse, _dmse),
    "squared_error": Loss("squared_error", _se, _dse),
    "cross_entropy": Loss("cross_entropy", _ce, _dce, targets=_probability_rows, output_activation="softmax",
                          f_logits=_ce_logits, delta_logits=_ce_delta, value_and_delta_logits=_ce_both),
    "binary_cross_entropy": Loss("binary_cross_entropy", _bce, _dbce, targets=_unit_interval,
                                 output_activation="sigmoid", f_logits=_bce_logits, delta_logits=_bce_delta),
}


def names():
    """All valid loss names."""
    return sorted(_LOSSES)


def get(name):
    """The loss called ``name`` (a :class:`Loss` is returned as it is)."""
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise TypeError(f"loss must be a name (str) or a Loss, got {type(name).__name__}")
    if name.lower() not in _LOSSES:
        raise ValueError(f"loss must be one of {names()}, got {name!r}")
    return _LOSSES[name.lower()]
