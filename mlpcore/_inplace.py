"""The training loop's step, written into arrays allocated once.

:meth:`MLP.fit <mlpcore.network.MLP.fit>` runs one step per batch. Read as mathematics, a step is
``net.gradients`` followed by ``net.step`` (see :mod:`mlpcore.network`):

.. math::

    Z^l = A^{l-1} (W^l)^\\top + \\mathbf 1 (b^l)^\\top, \\quad A^l = f_l(Z^l), \\quad
    \\Delta^{l-1} = (\\Delta^l W^l) \\odot f_{l-1}'(Z^{l-1}), \\quad
    W^l \\leftarrow W^l - \\eta\\, (\\Delta^l)^\\top A^{l-1}, \\quad
    b^l \\leftarrow b^l - \\eta\\, (\\Delta^l)^\\top \\mathbf 1 .

That readable code allocates every Z, A, Delta and gradient afresh for each
batch. This module does the same operations, in the same order, on the same
numbers, but into arrays made once per call of ``fit`` (numpy's ``out=``
arguments and in-place operators), and it gathers a shuffled batch into a
buffer instead of a new array. Each activation's in-place forms are below, in
``KERNELS``, keyed by its name (:func:`mlpcore.activations.get` hands them to the
activations it makes); an activation without them runs its readable f and f'.
The result is the same to the last bit:
``tests/library/test_inplace.py`` compares the parameters after several steps with
those of the readable path, with ``assert_array_equal``, for every activation
and loss. With ``clip_norm``, the step first finishes the backward pass, then
measures the whole gradient with :func:`norm_of` (the one function that
:meth:`Gradients.clip_by_norm <mlpcore.network.Gradients.clip_by_norm>` uses
too) and scales it before any update, to the same bits as the readable
clipping (``tests/library/test_schedules.py``). It exists for speed only (the
book's appendix on performance shows where an epoch's time goes); to learn the
algorithm, read :mod:`mlpcore.network`.
"""

import math

import numpy as np

# The in-place forms of the elementwise activations, keyed by name. Each does the operations of the
# readable form in mlpcore/activations.py, in the same order, into arrays it is given:
#   f_into(z, out, scratch, **params):         out = f(z)
#   slope_into(z, a, grad, scratch, **params): grad = grad * f'(z), as Activation.backward computes it
# scratch is an array like z that either may overwrite; slope_into may overwrite z too.


def _identity_into(z, out, scratch):
    np.multiply(z, 1.0, out=out)


def _identity_slope_into(z, a, grad, t):
    pass  # grad * 1 is grad


def _step_into(z, out, scratch):
    np.greater_equal(z, 0.0, out=out, casting="unsafe")  # 1.0 where z >= 0, else 0.0


def _step_slope_into(z, a, grad, t):
    np.multiply(grad, 0.0, out=grad)  # grad * 0 (nan where grad is not finite, as the readable form)


def _sigmoid_into(z, out, e):
    # sigmoid, step by step into out: e = exp(-|z|), then 1 or e over 1 + e
    np.abs(z, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.greater_equal(z, 0.0, out=out, casting="unsafe")  # 1.0 where z >= 0, else 0.0 (z may be nan)
    np.maximum(out, e, out=out)  # 1 where z >= 0 (there e <= 1), e elsewhere: np.where(z >= 0, 1, e)
    e += 1.0
    out /= e


def _sigmoid_slope_into(z, a, grad, t):
    np.subtract(1.0, a, out=t)  # grad * (a * (1 - a))
    np.multiply(a, t, out=t)
    grad *= t


def _tanh_into(z, out, scratch):
    np.tanh(z, out=out)


def _tanh_slope_into(z, a, grad, t):
    np.square(a, out=t)  # grad * (1 - a**2)
    np.subtract(1.0, t, out=t)
    grad *= t


def _arctan_into(z, out, scratch):
    np.arctan(z, out=out)


def _arctan_slope_into(z, a, grad, t):
    np.multiply(z, z, out=t)  # grad * (1 / (1 + z * z))
    t += 1.0
    np.divide(1.0, t, out=t)
    grad *= t


def _indicator_into(z, out, where_true, elsewhere):
    # where(z > 0, where_true, elsewhere) into out; where_true may be z itself
    out[...] = elsewhere
    np.copyto(out, where_true, where=z > 0)


def _relu_into(z, out, scratch):
    np.maximum(z, 0.0, out=out)


def _relu_slope_into(z, a, grad, t):
    _indicator_into(z, t, 1.0, 0.0)  # grad * where(z > 0, 1, 0)
    grad *= t


def _prelu_into(z, out, scratch, alpha):
    np.multiply(z, alpha, out=out)  # where(z > 0, z, alpha * z)
    np.copyto(out, z, where=z > 0)


def _prelu_slope_into(z, a, grad, t, alpha):
    _indicator_into(z, t, 1.0, alpha)  # grad * where(z > 0, 1, alpha)
    grad *= t


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


def _softplus_into(z, out, scratch):
    np.logaddexp(0.0, z, out=out)


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


KERNELS = {
    "identity": dict(f_into=_identity_into, slope_into=_identity_slope_into),
    "step": dict(f_into=_step_into, slope_into=_step_slope_into),
    "sigmoid": dict(f_into=_sigmoid_into, slope_into=_sigmoid_slope_into),
    "tanh": dict(f_into=_tanh_into, slope_into=_tanh_slope_into),
    "arctan": dict(f_into=_arctan_into, slope_into=_arctan_slope_into),
    "relu": dict(f_into=_relu_into, slope_into=_relu_slope_into),
    "prelu": dict(f_into=_prelu_into, slope_into=_prelu_slope_into),
    "elu": dict(f_into=_elu_into, slope_into=_elu_slope_into),
    "softplus": dict(f_into=_softplus_into, slope_into=_softplus_slope_into),
}


def norm_of(arrays):
    """The Euclidean norm of ``arrays`` taken together as one vector: the square root of the sum, in
    the order given, of each array's sum of squares (numpy's pairwise sum of its entries, row by row).

    The one computation of a gradient's norm: :meth:`Gradients.clip_by_norm
    <mlpcore.network.Gradients.clip_by_norm>` and fit's step (``clip_norm=``) both call it on
    every dL/dW^l, then every dL/db^l, so the two agree to the last bit."""
    total = 0.0
    for p in arrays:
        entries = p.ravel()  # row by row; a view for the contiguous arrays of both paths
        total += float(_sum(np.square(entries)))
    return math.sqrt(total)


def forward_into(act, z, out, scratch=None):
    """``act.f(z)`` written into ``out``, by the activation's ``f_into`` when it has one and there is
    ``scratch`` (an array like ``z`` that may be overwritten), else by ``f`` itself."""
    if act.f_into is None or scratch is None:
        out[...] = act.f(z)
    else:
        act.f_into(z, out, scratch, **act.params)
    return out


def backward_into(act, z, a, grad, scratch=None):
    """``act.backward(z, a, grad)`` written into ``grad``, by the activation's ``slope_into`` when it
    has one and there is ``scratch``; ``scratch`` and ``z`` may be overwritten."""
    if act.slope_into is None or scratch is None:
        grad[...] = act.backward(z, a, grad)
    else:
        act.slope_into(z, a, grad, scratch, **act.params)
    return grad


class InPlaceStep:
    """One gradient-descent step on a batch of at most ``batch_size`` samples.

    ``step.gather(X, Y, rows)`` copies the batch's rows into the step's
    buffers; ``step(Xb, Yb, lr)`` does the forward pass, the backward pass and
    the update in place and returns the batch loss (a float).
    ``step(Xb, Yb, None, optimizer)`` updates with an optimizer of
    :mod:`mlpcore.optimizers` instead, which keeps its own state.
    ``step(Xb, Yb, lr, optimizer, clip_norm)`` first computes the whole gradient and its norm
    (kept in ``step.grad_norm``), scales the gradient to norm ``clip_norm`` if it is larger, and
    only then updates: the readable ``grads.clip_by_norm(clip_norm)`` before ``net.step`` or
    ``optimizer.step``.
    """

    def __init__(self, net, batch_size):
        self.net = net
        n, dtype = net.sizes, net.dtype
        self._X = np.empty((batch_size, n[0]), dtype)
        self._Y = np.empty((batch_size, n[-1]), dtype)
        fused = net.loss_fn.takes_logits
        self._Z = [np.empty((batch_size, k), dtype) for k in n[1:]]  # Z^1 .. Z^L
        # A^1 .. A^{L-1}, and A^L unless the loss takes Z^L; Delta^1 .. Delta^{L-1} (the loss returns Delta^L)
        kept = n[1:-1] if fused else n[1:]
        self._A = [np.empty((batch_size, k), dtype) for k in kept]
        self._D = [np.empty((batch_size, k), dtype) for k in n[1:-1]]
        self._S = [np.empty((batch_size, k), dtype) for k in n[1:-1]]  # the activations' scratch on the way back
        self._dW = [np.empty_like(W) for W in net.weights]
        self._db = [np.empty_like(b) for b in net.biases]
        self._W, self._b = list(net.weights), list(net.biases)  # the network's own arrays, updated in place
        self._f = [net.activation_of(l) for l in range(1, net.L + 1)]
        self._views = {}
        self.grad_norm = None  # the norm of the last step's whole gradient, measured when the step clips

    def _rows(self, m):
        # the first m rows of every per-sample buffer (the last batch of an epoch may be smaller)
        if m not in self._views:
            self._views[m] = [[a[:m] for a in arrays] for arrays in (self._Z, self._A, self._D, self._S)]
        return self._views[m]

    def gather(self, X, Y, rows):
        """X[rows] and Y[rows], copied into the step's buffers."""
        m = len(rows)
        # mode="clip": rows come from a permutation, so they are valid, and numpy skips a buffered copy
        return X.take(rows, axis=0, out=self._X[:m], mode="clip"), Y.take(rows, axis=0, out=self._Y[:m], mode="clip")

    def __call__(self, Xb, Yb, lr, optimizer=None, clip_norm=None):
        net, W, b, f = self.net, self._W, self._b, self._f
        L, fused = len(W), net.loss_fn.takes_logits
        Z, A, D, S = self._rows(len(Xb))

        # forward pass: Z^l = A^{l-1} W^l^T + b^l, A^l = f(Z^l); A^L is not needed when the loss takes Z^L.
        # A hidden activation's in-place form gets scratch memory: Delta^l's, which the backward pass fills
        # later; the output layer's activation (no scratch) runs its readable f
        a = Xb
        for i in range(L):  # i = l - 1
            np.matmul(a, W[i].T, out=Z[i])
            Z[i] += b[i]
            if i < L - 1 or not fused:
                a = forward_into(f[i], Z[i], A[i], D[i] if i < L - 1 else None)

        # loss and output delta Delta^L, as MLP.loss and MLP.backward compute them (with a loss that takes
        # Z^L, value_and_delta_logits gives both from one exponential)
        if fused:
            loss, delta = net.loss_fn.value_and_delta_logits(Yb, Z[L - 1])
        else:
            loss = net.loss_fn.f(Yb, a)
            delta = f[L - 1].backward(Z[L - 1], a, net.loss_fn.df(Yb, a))
        if not math.isfinite(loss):  # diverged: leave the parameters as they were, fit reports it
            return loss
        if optimizer is not None:
            optimizer.begin_step()  # step t of the optimizer, which keeps its own state

        # backward pass and update, layer L down to 1; W^l changes only after Delta^{l-1} used it. With
        # clipping, the updates wait until the whole gradient is known
        clipping = clip_norm is not None
        for i in range(L - 1, -1, -1):
            # ∂ℒ/∂W^l = (Δ^l)ᵀ A^(l-1), ∂ℒ/∂b^l = column sums
            np.matmul(delta.T, A[i - 1] if i else Xb, out=self._dW[i])
            _sum(delta, axis=0, out=self._db[i])
            if i:  # Delta^{l-1} = (Delta^l W^l) * f'(Z^{l-1}), in place; Z^{l-1} is not needed after
                delta = np.matmul(delta, W[i], out=D[i - 1])
                backward_into(f[i - 1], Z[i - 1], A[i - 1], delta, S[i - 1])
            if not clipping:
                self._update(i, lr, optimizer)
        if clipping:  # Gradients.clip_by_norm, in place: every gradient times clip_norm / ||∇ℒ|| if that is < 1
            self.grad_norm = norm = norm_of([*self._dW, *self._db])
            if norm > clip_norm:
                scale = clip_norm / norm
                for dp in (*self._dW, *self._db):
                    dp *= scale
            for i in range(L - 1, -1, -1):
                self._update(i, lr, optimizer)
        return loss

    def _update(self, i, lr, optimizer):
        # layer l = i + 1 from its gradients in self._dW[i], self._db[i]
        W, b, dW, db = self._W[i], self._b[i], self._dW[i], self._db[i]
        if optimizer is not None:  # the optimizer's own update, the one its step(net, grads) makes
            optimizer.update(("weights", i + 1), W, dW)
            optimizer.update(("biases", i + 1), b, db)
            return
        for p, dp in ((W, dW), (b, db)):  # MLP.step's p -= lr * dp, with no temporary
            dp *= lr
            p -= dp


# np.sum is a Python function that calls this ufunc method; called directly it saves a few microseconds a
# call, which on a small network is a good part of a step
_sum = np.add.reduce
