r"""The multilayer perceptron: forward pass, loss, backward pass, update.

Notation (the book's notation page is the authority). Layers are numbered
:math:`l = 0, 1, \dots, L`; layer :math:`l` has :math:`n_l` neurons. For a
batch of N samples, one per row,

.. math::

    A^0 = X, \qquad Z^l = A^{l-1} (W^l)^\top + \mathbf 1 (b^l)^\top, \qquad
    A^l = f_l(Z^l), \qquad \hat Y = A^L,

with :math:`W^l` of shape :math:`(n_l, n_{l-1})` and :math:`b^l` of shape
:math:`(n_l,)`. The backward pass computes the deltas
:math:`\Delta^l = \partial \mathcal L / \partial Z^l` (shape :math:`(N, n_l)`), where
:math:`\mathcal L` is the loss averaged over the batch:

.. math::

    \Delta^L = f_L'(Z^L) \odot \frac{\partial \mathcal L}{\partial \hat Y}, \qquad
    \Delta^{l-1} = (\Delta^l W^l) \odot f_{l-1}'(Z^{l-1}),

    \frac{\partial \mathcal L}{\partial W^l} = (\Delta^l)^\top A^{l-1}, \qquad
    \frac{\partial \mathcal L}{\partial b^l} = (\Delta^l)^\top \mathbf 1 .

``net.weights[l]`` is :math:`W^l` with l counted from 1, as in the book:
``net.weights[1]`` is the first layer's matrix and ``net.weights[-1]`` the last.

Example
-------
>>> import numpy as np, mlpcore
>>> net = mlpcore.MLP([2, 3, 1], seed=0)
>>> net.weights[1].shape, net.biases[1].shape, net.weights[2].shape
((3, 2), (3,), (1, 3))
>>> net.forward(np.zeros((5, 2))).shape, net.forward(np.zeros(2)).shape
((5, 1), (1,))
"""

import numpy as np

from . import _npz, activations, losses
from ._checks import as_array, gradients_for, integer, positive_number
from ._inplace import norm_of

__all__ = ["MLP", "Layers", "Gradients", "ForwardPass", "flatten", "assign_flat"]


class Layers:
    """A list of per-layer arrays indexed like the book: ``first`` .. L.

    ``W = net.weights; W[1]`` is :math:`W^1`. Assigning ``W[l] = value`` copies
    ``value`` into the existing array after checking its shape, so the network
    keeps its dtype and nothing else can hold a stale reference.
    """

    def __init__(self, arrays, first=1, name="weights"):
        self._arrays, self.first, self.name = list(arrays), first, name

    def _index(self, l):
        if isinstance(l, bool) or not isinstance(l, (int, np.integer)):
            raise TypeError(f"{self.name} index must be an integer layer number, got {type(l).__name__}")
        last = self.first + len(self._arrays) - 1
        if l < 0:
            l = last + 1 + l
        if not self.first <= l <= last:
            raise IndexError(f"{self.name} are numbered {self.first} to {last} as in the book, got {l}")
        return l - self.first

    def __getitem__(self, l):
        return self._arrays[self._index(l)]

    def __setitem__(self, l, value):
        target = self._arrays[self._index(l)]
        value = as_array(value, f"{self.name}[{l}]", target.dtype)
        if value.shape != target.shape:
            raise ValueError(f"{self.name}[{l}] must have shape {target.shape}, got {value.shape}")
        target[...] = value

    def __len__(self):
        return len(self._arrays)

    def __iter__(self):
        return iter(self._arrays)

    def items(self):
        """Pairs (l, array) for l = first .. L."""
        return zip(range(self.first, self.first + len(self._arrays)), self._arrays)

    def __repr__(self):
        shapes = ", ".join(f"{l}: {a.shape}" for l, a in self.items())
        return f"Layers({{{shapes}}})"


class Gradients:
    r"""The gradients :math:`\partial\mathcal L/\partial W^l` and :math:`\partial\mathcal L/\partial b^l`
    (``.weights[l]``, ``.biases[l]``) and the deltas :math:`\Delta^l = \partial\mathcal L/\partial Z^l`
    (``.deltas[l]``, shape (N, n_l))."""

    def __init__(self, weights, biases, deltas=None):
        self.weights = Layers(weights, name="weight gradients")
        self.biases = Layers(biases, name="bias gradients")
        self.deltas = Layers(deltas or [], name="deltas")

    def __repr__(self):
        return f"Gradients(weights={self.weights!r})"

    def clip_by_norm(self, max_norm):
        r"""The gradients scaled down to Euclidean norm ``max_norm`` if theirs is larger, and their norm
        before: ``(clipped, norm)``, new :class:`Gradients` and a float.

        With :math:`\tau` = ``max_norm`` and the whole gradient :math:`\nabla\mathcal L` (every
        :math:`\partial\mathcal L/\partial W^l`, then every :math:`\partial\mathcal L/\partial b^l`,
        as :func:`flatten` orders them),

        .. math::

            \lVert\nabla\mathcal L\rVert = \sqrt{\textstyle\sum_l \lVert \partial\mathcal L/\partial W^l\rVert_F^2
            + \sum_l \lVert \partial\mathcal L/\partial b^l\rVert^2}, \qquad
            \nabla\mathcal L \leftarrow \frac{\tau}{\lVert\nabla\mathcal L\rVert}\, \nabla\mathcal L
            \quad \text{if } \lVert\nabla\mathcal L\rVert > \tau :

        the direction is kept and only the length is cut (a gradient within :math:`\tau` is
        copied as it is). The deltas, which no update reads, are carried over unchanged.
        ``grads.clip_by_norm(c)`` and then ``net.step`` or ``optimizer.step`` is what
        ``fit(..., clip_norm=c)`` does on each batch, to the last bit.

        >>> import numpy as np, mlpcore
        >>> grads = mlpcore.Gradients([np.array([[3.0]])], [np.array([4.0])])
        >>> clipped, norm = grads.clip_by_norm(2.5)
        >>> norm, clipped.weights[1].tolist(), clipped.biases[1].tolist()
        (5.0, [[1.5]], [2.0])
        """
        max_norm = positive_number(max_norm, "max_norm")
        norm = norm_of([*self.weights, *self.biases])  # the one function fit's step uses too
        if norm > max_norm:
            scale = max_norm / norm
            weights, biases = [nabla * scale for nabla in self.weights], [nabla * scale for nabla in self.biases]
        else:
            weights, biases = [nabla.copy() for nabla in self.weights], [nabla.copy() for nabla in self.biases]
        return Gradients(weights, biases, list(self.deltas)), norm


class ForwardPass:
    """What the forward pass keeps for the backward pass: ``z[l]`` for l = 1..L
    and ``a[l]`` for l = 0..L (``a[0]`` is the input batch)."""

    def __init__(self, z, a):
        self.z = Layers(z, first=1, name="pre-activations")
        self.a = Layers(a, first=0, name="activations")


class MLP:
    """A fully connected feedforward network.

    Parameters
    ----------
    sizes : list of int
        ``[n_0, n_1, ..., n_L]``: inputs, hidden layers, outputs.
    activation : str or Activation
        f of the hidden layers (any name in :func:`mlpcore.activations.names` but softmax).
    output_activation : str or Activation, optional
        f of the output layer; defaults to ``activation``.
    loss : str or Loss
        One of :func:`mlpcore.losses.names`.
    seed : int or None
        Seeds the initial weights: Glorot-uniform,
        :math:`W^l_{ij} \\sim U(-r, r)` with :math:`r = \\sqrt{6 / (n_{l-1} + n_l)}`;
        biases start at zero.
    dtype : float64 (default) or float32
    """

    def __init__(self, sizes, activation="sigmoid", output_activation=None, loss="mse", seed=0, dtype=np.float64):
        self.sizes = _check_sizes(sizes)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float64, np.float32):
            raise ValueError(f"dtype must be float64 or float32, got {self.dtype}")
        self.activation = activations.get(activation)
        if not self.activation.elementwise:
            raise ValueError(
                f"activation must be elementwise; {self.activation.name!r} is only allowed as output_activation"
            )
        self.output_activation = activations.get(activation if output_activation is None else output_activation)
        self.loss_fn = losses.get(loss)
        needed = self.loss_fn.output_activation
        if needed is not None and self.output_activation.name != needed:
            raise ValueError(
                f"loss={self.loss_fn.name!r} needs output_activation={needed!r}, got {self.output_activation.name!r}"
            )
        rng = np.random.default_rng(seed)
        W, b = [], []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            r = np.sqrt(6.0 / (n_in + n_out))
            W.append(rng.uniform(-r, r, size=(n_out, n_in)).astype(self.dtype))
            b.append(np.zeros(n_out, dtype=self.dtype))
        self.weights = Layers(W, name="weights")
        self.biases = Layers(b, name="biases")

    @property
    def L(self):
        """Number of layers with weights (the input layer is layer 0)."""
        return len(self.sizes) - 1

    @property
    def n_parameters(self):
        """Number of weights and biases, :math:`\\sum_l n_l (n_{l-1} + 1)`."""
        return sum(W.size + b.size for W, b in zip(self.weights, self.biases))

    def activation_of(self, l):
        """The activation (an :class:`~mlpcore.activations.Activation`) of layer l: ``activation``
        for the hidden layers, ``output_activation`` for layer L."""
        return self.output_activation if l == self.L else self.activation

    def __repr__(self):
        return (
            f"MLP({list(self.sizes)}, activation={self.activation.name!r}, "
            f"output_activation={self.output_activation.name!r}, loss={self.loss_fn.name!r})"
        )

    # forward pass -----------------------------------------------------------------
    def forward_pass(self, X):
        """Run the batch X forward and keep every Z^l and A^l (see :class:`ForwardPass`)."""
        A, _ = self._inputs(X)
        return self._forward_pass(A)

    def _forward_pass(self, A):
        # the forward pass proper, on a 2-D batch that forward, loss and gradients have checked
        z, a = [], [A]
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            Z = A @ W.T  # z^l = W^l a^{l-1} + b^l, one row per sample
            Z += b
            A = self.activation_of(l).f(Z)  # a^l = f(z^l)
            z.append(Z)
            a.append(A)
        return ForwardPass(z, a)

    def forward(self, X):
        """Network output: X of shape (N, n_0) gives (N, n_L); one sample (n_0,) gives (n_L,)."""
        X, single = self._inputs(X)
        A = self._forward_pass(X).a[self.L]
        return A[0] if single else A

    def loss(self, X, Y):
        """The loss :math:`\\mathcal L`, averaged over the samples (a float)."""
        X, Y = self.check_batch(X, Y)
        fp = self._forward_pass(X)
        if self.loss_fn.takes_logits:  # cross-entropy from the logits: finite for any Z^L
            return self.loss_fn.f_logits(Y, fp.z[self.L])
        return self.loss_fn.f(Y, fp.a[self.L])

    # backward pass ----------------------------------------------------------------
    def gradients(self, X, Y):
        r""":math:`\partial\mathcal L/\partial W^l` and :math:`\partial\mathcal L/\partial b^l` for every layer,
        by backpropagation (a :class:`Gradients`)."""
        X, Y = self.check_batch(X, Y)
        return self.backward(self._forward_pass(X), Y)

    def backward(self, fp, Y):
        """Backpropagate from a stored forward pass ``fp`` with targets Y of shape (N, n_L)."""
        L = self.L
        # output delta: Δ^L = ∂ℒ/∂Z^L
        if self.loss_fn.takes_logits:
            delta = self.loss_fn.delta_logits(Y, fp.z[L])  # (Y_hat - Y) / N
        else:
            delta = self.output_activation.backward(fp.z[L], fp.a[L], self.loss_fn.df(Y, fp.a[L]))
        return self._backward(fp, delta)

    def _backward(self, fp, delta):
        # the backward pass proper, from the output delta Delta^L
        L = self.L
        nabla_w, nabla_b, deltas = [None] * L, [None] * L, [None] * L
        for l in range(L, 0, -1):
            deltas[l - 1] = delta
            nabla_w[l - 1] = delta.T @ fp.a[l - 1]  # ∂ℒ/∂W^l = (Δ^l)ᵀ A^(l-1)
            nabla_b[l - 1] = delta.sum(axis=0)  # ∂ℒ/∂b^l = sum over samples of Δ^l
            if l > 1:  # apply the chain rule: Δ^(l-1) = (Δ^l W^l) ⊙ f'(Z^(l-1))
                delta = self.activation_of(l - 1).backward(fp.z[l - 1], fp.a[l - 1], delta @ self.weights[l])
        return Gradients(nabla_w, nabla_b, deltas)

    def step(self, grads, lr):
        r"""Plain gradient descent with :math:`\eta` = ``lr``:
        :math:`W^l \leftarrow W^l - \eta\, \partial\mathcal L/\partial W^l`,
        :math:`b^l \leftarrow b^l - \eta\, \partial\mathcal L/\partial b^l`."""
        lr = positive_number(lr, "lr")
        gradients_for(self, grads)
        for params, nabla in ((self.weights, grads.weights), (self.biases, grads.biases)):
            for p, dp in zip(params, nabla):
                p -= lr * dp

    def fit(self, X, Y, epochs, lr=None, batch_size=None, shuffle=True, seed=0, progress=False, optimizer=None,
            schedule=None, clip_norm=None):
        """Train in place by gradient descent (``lr=``) or with an optimizer of :mod:`mlpcore.optimizers`
        (``optimizer=``), optionally with a learning-rate schedule of :mod:`mlpcore.schedules` and gradient
        clipping (``clip_norm=``), and return a :class:`~mlpcore.training.History`; the arguments are
        those of :func:`mlpcore.training.fit`, which runs the loop."""
        from .training import fit

        return fit(self, X, Y, epochs=epochs, lr=lr, batch_size=batch_size, shuffle=shuffle, seed=seed,
                   progress=progress, optimizer=optimizer, schedule=schedule, clip_norm=clip_norm)

    # copies and files -------------------------------------------------------------
    def copy(self):
        """An independent network with the same architecture and parameters."""
        new = object.__new__(MLP)
        new.__dict__.update(self.__dict__)
        new.weights = Layers([W.copy() for W in self.weights], name="weights")
        new.biases = Layers([b.copy() for b in self.biases], name="biases")
        return new

    def save(self, path):
        """Save architecture and parameters to a plain ``.npz`` file, rebuilt by :meth:`load`.

        The file holds numbers and strings only: the layer sizes, the names and constants
        of the activations, the loss's name, the dtype, and the arrays ``W1, b1, ..., WL, bL``.
        :meth:`load` reads it with ``allow_pickle=False``, so a file cannot run code.

        >>> import mlpcore, tempfile, os
        >>> net = mlpcore.MLP([2, 3, 1], seed=1)
        >>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
        >>> net.save(path)
        >>> bool((mlpcore.MLP.load(path).weights[1] == net.weights[1]).all())
        True
        """
        spec = lambda act: {"name": act.name, "params": act.params}  # noqa: E731
        meta = {"sizes": list(self.sizes), "activation": spec(self.activation),
                "output_activation": spec(self.output_activation), "loss": self.loss_fn.name,
                "dtype": self.dtype.name}
        arrays = {}
        for l, W in self.weights.items():
            arrays[f"W{l}"], arrays[f"b{l}"] = W, self.biases[l]
        _npz.write(path, meta, arrays)

    @classmethod
    def load(cls, path):
        """Rebuild a network saved with :meth:`save`; raise ValueError for any other file."""
        meta, arrays = _npz.read(path)
        act, out = meta["activation"], meta["output_activation"]
        net = cls(meta["sizes"], activation=activations.get(act["name"], **act["params"]),
                  output_activation=activations.get(out["name"], **out["params"]), loss=meta["loss"],
                  dtype=meta["dtype"])
        for l in range(1, net.L + 1):
            for key, params in ((f"W{l}", net.weights), (f"b{l}", net.biases)):
                if key not in arrays:
                    raise ValueError(f"{path} is not a complete mlpcore parameter file: {key} is missing")
                params[l] = arrays[key]
        return net

    # input checks -----------------------------------------------------------------
    def check_batch(self, X, Y):
        """``(X, Y)`` as 2-D arrays of the network's dtype, once checked: X of shape (N, n_0) (or one
        sample (n_0,)), Y of shape (N, n_L), both finite, and Y what the loss accepts
        (:meth:`~mlpcore.losses.Loss.check_targets`). A ValueError or TypeError names what is wrong.
        ``loss``, ``gradients`` and ``fit`` begin with it."""
        X, single = self._inputs(X)
        Y = as_array(Y, "Y", self.dtype)
        nL = self.sizes[-1]
        if single and Y.ndim == 1:
            Y = Y[None, :]
        if Y.shape != (X.shape[0], nL):
            N = X.shape[0]
            raise ValueError(f"Y must have shape ({N}, {nL}) to match X of {N} samples, got {Y.shape}")
        self.loss_fn.check_targets(Y)
        return X, Y

    def _inputs(self, X):
        X = as_array(X, "X", self.dtype)
        n0 = self.sizes[0]
        if X.ndim == 1 and X.shape[0] == n0:
            return X[None, :], True
        if X.ndim != 2 or X.shape[1] != n0:
            hint = " (use X.reshape(-1, 1) for one feature)" if X.ndim == 1 and n0 == 1 else ""
            raise ValueError(f"X must have shape (N, {n0}) or ({n0},), got {X.shape}{hint}")
        if X.shape[0] == 0:
            raise ValueError("X must hold at least one sample, got 0")
        return X, False


def flatten(p):
    r"""The vector :math:`\theta` of a network, or :math:`\nabla\mathcal L` of its gradients: every
    :math:`W^l`, then every :math:`b^l` (:math:`l = 1, \dots, L`), each row by row, as one copy.

    ``p`` is an :class:`MLP` or the :class:`Gradients` of one; the two vectors have the same
    order, so ``flatten(net.gradients(X, Y))[k]`` is the derivative by ``flatten(net)[k]``.

    >>> import mlpcore
    >>> net = mlpcore.MLP([2, 3, 1], seed=0)
    >>> flatten(net).shape == (net.n_parameters,)
    True
    """
    if not (isinstance(getattr(p, "weights", None), Layers) and isinstance(getattr(p, "biases", None), Layers)):
        raise TypeError(f"p must be an MLP or its Gradients (with .weights and .biases), got {type(p).__name__}")
    return np.concatenate([W.ravel() for W in p.weights] + [b.ravel() for b in p.biases])


def assign_flat(net, theta):
    r"""Write the vector :math:`\theta` (in :func:`flatten`'s order) into ``net``'s weights and
    biases, in place, and return ``net``: ``assign_flat(net, flatten(net))`` changes nothing.
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an MLP, got {type(net).__name__}")
    theta = np.asarray(theta)
    if theta.shape != (net.n_parameters,):
        raise ValueError(f"theta must have shape ({net.n_parameters},), the network's number of "
                         f"parameters, got {theta.shape}")
    i = 0
    for P in [*net.weights, *net.biases]:
        P[...] = theta[i : i + P.size].reshape(P.shape)
        i += P.size
    return net


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer sizes [n_0, ..., n_L], got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output layer, got {list(sizes)}")
    return tuple(integer(n, f"sizes[{i}]", 1) for i, n in enumerate(sizes))
