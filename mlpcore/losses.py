"""Loss functions L(Y, Y_hat), each averaged over the N samples of a batch.

``Y`` and ``Y_hat`` have shape ``(N, K)``: one row per sample, one column per
output. ``f`` returns the loss (a float), ``df`` the gradient dL/dY_hat (shape
``(N, K)``, the 1/N included).

The two cross-entropies are paired with the output activation they are meant
for (softmax, sigmoid). For such a pair the network never forms log(Y_hat):
``f_logits`` and ``delta_logits`` work from the output pre-activation Z, which
stays finite for any Z, and give the well-known output delta (Y_hat - Y) / N.

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
    """A loss: ``f(Y, Y_hat)``, ``df(Y, Y_hat)`` and, for a cross-entropy, the
    name of its output activation and the forms that take the logits Z."""

    def __init__(self, name, f, df, output_activation=None, f_logits=None, delta_logits=None, both_logits=None):
        self.name, self._f, self._df = name, f, df
        self.output_activation = output_activation  # required output activation, or None for any
        self._f_logits, self._delta_logits, self._both_logits = f_logits, delta_logits, both_logits

    def f(self, Y, Y_hat):
        """The loss :math:`\\mathcal L(Y, \\hat Y)`, a float; ``Y`` and ``Y_hat`` of shape ``(N, K)`` (or ``(K,)``)."""
        return float(self._f(*_pair(Y, Y_hat)))

    def df(self, Y, Y_hat):
        """The gradient :math:`\\partial \\mathcal L / \\partial \\hat Y`, shape ``(N, K)``, the 1/N included."""
        return self._df(*_pair(Y, Y_hat))

    def f_logits(self, Y, Z):
        """The loss computed from the output pre-activation Z (cross-entropies only)."""
        return float(self._f_logits(*_pair(Y, Z)))

    def delta_logits(self, Y, Z):
        """dL/dZ at the output, computed from Z (cross-entropies only)."""
        return self._delta_logits(*_pair(Y, Z))

    def value_and_delta_logits(self, Y, Z):
        """``(f_logits(Y, Z), delta_logits(Y, Z))``, the same numbers, sharing their work."""
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


# mse: L = 1/(N K) sum_n sum_k (y_nk - yhat_nk)^2 ; dL/dyhat = -2 (y - yhat) / (N K)
def _mse(Y, Yh):
    return np.mean((Y - Yh) ** 2)


def _dmse(Y, Yh):
    return 2.0 * (Yh - Y) / Y.size


# squared_error: L = 1/N sum_n 1/2 sum_k (y_nk - yhat_nk)^2 ; dL/dyhat = (yhat - y) / N
def _se(Y, Yh):
    return 0.5 * np.sum((Y - Yh) ** 2) / len(Y)


def _dse(Y, Yh):
    return (Yh - Y) / len(Y)


# cross_entropy: L = -1/N sum_n sum_k y_nk log yhat_nk, with yhat = softmax(z)
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


# binary_cross_entropy: L = -1/N sum_n sum_k [y log yhat + (1 - y) log(1 - yhat)], yhat = sigmoid(z)
def _bce(Y, Yh):
    return -np.sum(Y * np.log(np.maximum(Yh, _TINY)) + (1 - Y) * np.log(np.maximum(1 - Yh, _TINY))) / len(Y)


def _dbce(Y, Yh):
    return (-Y / np.maximum(Yh, _TINY) + (1 - Y) / np.maximum(1 - Yh, _TINY)) / len(Y)


def _bce_logits(Y, Z):
    # -[y log sigma(z) + (1-y) log(1 - sigma(z))] = log(1 + e^z) - y z
    return np.sum(np.logaddexp(0.0, Z) - Y * Z) / len(Y)


def _bce_delta(Y, Z):
    return (sigmoid(Z) - Y) / len(Y)


_LOSSES = {
    "mse": Loss("mse", _mse, _dmse),
    "squared_error": Loss("squared_error", _se, _dse),
    "cross_entropy": Loss("cross_entropy", _ce, _dce, "softmax", _ce_logits, _ce_delta, _ce_both),
    "binary_cross_entropy": Loss("binary_cross_entropy", _bce, _dbce, "sigmoid", _bce_logits, _bce_delta),
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
