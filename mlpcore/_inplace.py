"""The training loop's step, written into arrays allocated once.

:func:`mlpcore.fit` runs one step per batch. Read as mathematics, a step is
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
buffer instead of a new array. Each activation brings its own in-place forms
(:meth:`~mlpcore.activations.Activation.forward_into` and
:meth:`~mlpcore.activations.Activation.backward_into`, defined in
:mod:`mlpcore.activations` beside its readable f and f'). The result is the same to the last bit:
``tests/library/test_inplace.py`` compares the parameters after several steps with
those of the readable path, with ``assert_array_equal``, for every activation
and loss. It exists for speed only (the book's appendix on performance shows
where an epoch's time goes); to learn the algorithm, read :mod:`mlpcore.network`.
"""

import math

import numpy as np


class InPlaceStep:
    """One gradient-descent step on a batch of at most ``batch_size`` samples.

    ``step.gather(X, Y, rows)`` copies the batch's rows into the step's
    buffers; ``step(Xb, Yb, lr)`` does the forward pass, the backward pass and
    the update in place and returns the batch loss (a float).
    ``step(Xb, Yb, None, optimizer)`` updates with an optimizer of
    :mod:`mlpcore.optimizers` instead, which keeps its own state.
    """

    def __init__(self, net, batch_size):
        self.net = net
        n, dtype = net.sizes, net.dtype
        self._X = np.empty((batch_size, n[0]), dtype)
        self._Y = np.empty((batch_size, n[-1]), dtype)
        fused = net._fused
        self._Z = [np.empty((batch_size, k), dtype) for k in n[1:]]  # Z^1 .. Z^L
        # A^1 .. A^{L-1}, and A^L unless the loss takes Z^L; Delta^1 .. Delta^{L-1} (the loss returns Delta^L)
        kept = n[1:-1] if fused else n[1:]
        self._A = [np.empty((batch_size, k), dtype) for k in kept]
        self._D = [np.empty((batch_size, k), dtype) for k in n[1:-1]]
        self._S = [np.empty((batch_size, k), dtype) for k in n[1:-1]]  # the activations' scratch on the way back
        self._dW = [np.empty_like(W) for W in net.weights]
        self._db = [np.empty_like(b) for b in net.biases]
        self._W, self._b = list(net.weights), list(net.biases)  # the network's own arrays, updated in place
        self._f = [net.f(l) for l in range(1, net.L + 1)]
        self._views = {}

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

    def __call__(self, Xb, Yb, lr, optimizer=None):
        net, W, b, f = self.net, self._W, self._b, self._f
        L, fused = len(W), net._fused
        Z, A, D, S = self._rows(len(Xb))

        # forward pass: Z^l = A^{l-1} W^l^T + b^l, A^l = f(Z^l); A^L is not needed when the loss takes Z^L.
        # A hidden activation's in-place form gets scratch memory: Delta^l's, which the backward pass fills
        # later; the output layer's activation (no scratch) runs its readable f
        a = Xb
        for i in range(L):  # i = l - 1
            np.matmul(a, W[i].T, out=Z[i])
            Z[i] += b[i]
            if i < L - 1 or not fused:
                a = f[i].forward_into(Z[i], A[i], D[i] if i < L - 1 else None)

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
            optimizer._count()  # step t of the optimizer, which keeps its own state

        # backward pass and update, layer L down to 1; W^l changes only after Delta^{l-1} used it
        for i in range(L - 1, -1, -1):
            np.matmul(delta.T, A[i - 1] if i else Xb, out=self._dW[i])  # dL/dW^l = Delta^l^T A^{l-1}
            _sum(delta, axis=0, out=self._db[i])  # dL/db^l
            if i:  # Delta^{l-1} = (Delta^l W^l) * f'(Z^{l-1}), in place; Z^{l-1} is not needed after
                delta = np.matmul(delta, W[i], out=D[i - 1])
                f[i - 1].backward_into(Z[i - 1], A[i - 1], delta, S[i - 1])
            if optimizer is not None:  # the optimizer's own update, the one its step(net, grads) makes
                optimizer._update(("weights", i + 1), W[i], self._dW[i])
                optimizer._update(("biases", i + 1), b[i], self._db[i])
                continue
            for p, dp in ((W[i], self._dW[i]), (b[i], self._db[i])):  # MLP.step's p -= lr * dp, with no temporary
                dp *= lr
                p -= dp
        return loss


# np.sum is a Python function that calls this ufunc method; called directly it saves a few microseconds a
# call, which on a small network is a good part of a step
_sum = np.add.reduce
