"""Training by gradient descent: full batch, mini-batch or online.

One epoch is one pass through the training set in batches of ``batch_size``
samples (the last batch may be smaller). For each batch: forward pass, backward
pass, one gradient-descent step. ``batch_size=None`` is batch learning (one step
per epoch), ``batch_size=1`` is online learning (one step per sample). With
``optimizer=`` (one of :mod:`mlpcore.optimizers`) instead of ``lr=``, the step is
that optimizer's update. ``schedule=`` (one of :mod:`mlpcore.schedules`) changes the
rate from update to update, and ``clip_norm=`` scales down a gradient whose norm
is larger (:meth:`Gradients.clip_by_norm <mlpcore.network.Gradients.clip_by_norm>`).

Example
-------
>>> import mlpcore
>>> X, Y = mlpcore.data.xor()
>>> net = mlpcore.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=0)
>>> history = net.fit(X, Y, epochs=10, lr=0.5)
>>> len(history.loss), len(history.batch_loss)
(10, 10)
"""

import math

import numpy as np

from ._checks import integer, nonnegative_number, positive_number
from ._inplace import InPlaceStep
from .optimizers import Optimizer
from .schedules import Schedule

__all__ = ["fit", "History", "DivergenceError"]


class DivergenceError(FloatingPointError):
    """Training produced a loss or a parameter that is not finite."""


class History:
    """What ``fit`` records.

    ``loss[e]``: mean loss over the batches of epoch e, each weighted by its size,
    measured before that batch's step (as scikit-learn's ``loss_curve_``);
    ``batch_loss[t]``: loss of the batch used for update t;
    ``lr``: the learning rate of each update, in order (``lr`` or the optimizer's ``lr``;
    with a schedule, that times ``schedule(t)`` at update t);
    ``grad_norm``: the Euclidean norm of each update's whole gradient, before clipping,
    recorded only by ``fit(..., clip_norm=...)``, which measures it; None otherwise.
    """

    def __init__(self):
        self.loss, self.batch_loss, self.lr = [], [], []
        self.grad_norm = None

    def __repr__(self):
        last = f", final loss {self.loss[-1]:.6g}" if self.loss else ""
        return f"History({len(self.loss)} epochs, {len(self.batch_loss)} updates{last})"


def fit(net, X, Y, epochs, lr=None, batch_size=None, shuffle=True, seed=0, progress=False, optimizer=None,
        schedule=None, clip_norm=None):
    """Train ``net`` in place by gradient descent and return a :class:`History`: the loop that
    ``net.fit(X, Y, ...)`` runs, with the same arguments.

    Parameters
    ----------
    X, Y : arrays of shape (N, n_0) and (N, n_L)
    epochs : int >= 1
    lr : float > 0
        The learning rate :math:`\\eta` of :math:`W \\leftarrow W - \\eta\\, \\partial \\mathcal L / \\partial W`.
        Give either ``lr`` or ``optimizer``, not both.
    batch_size : int in [1, N] or None
        None: the whole set in one batch.
    shuffle : bool
        Visit the samples in a new random order each epoch (drawn from ``seed``).
    seed : int or None
    progress : bool
        Show a tqdm progress bar over the epochs (off by default, so that
        notebook outputs stay deterministic).
    optimizer : an :class:`~mlpcore.optimizers.Optimizer` (SGD, Momentum, Adam or a subclass), optional
        Its update instead of plain gradient descent (``optimizer=SGD(lr)`` is
        ``lr=lr``, bit for bit). It keeps its state between calls of ``fit`` on
        the same network, so that two calls train as one.
    schedule : a :class:`~mlpcore.schedules.Schedule` (Constant, Step, Cosine, Warmup or a subclass), optional
        Update :math:`t` (:math:`t = 1, 2, \\dots`, counted from 1 in each call) uses the rate
        :math:`\\eta_t = \\eta \\cdot` ``schedule(t)``: ``net.step(grads, lr * schedule(t))``, or, with an
        optimizer, its ``lr`` set to its own ``lr`` times ``schedule(t)`` for that update and given
        back when ``fit`` returns or raises.
    clip_norm : float > 0, optional
        The largest gradient norm :math:`\\tau`: before each update, when the Euclidean norm
        :math:`\\lVert\\nabla\\mathcal L\\rVert` of the whole gradient (every
        :math:`\\partial\\mathcal L/\\partial W^l` and :math:`\\partial\\mathcal L/\\partial b^l`)
        exceeds :math:`\\tau`, every gradient is multiplied by :math:`\\tau / \\lVert\\nabla\\mathcal L\\rVert`,
        as ``grads.clip_by_norm(clip_norm)`` does, to the last bit. Weight decay is added after the
        clipping, by the optimizer. ``History.grad_norm`` records each norm.

    Raises
    ------
    DivergenceError
        When the loss or the parameters stop being finite; the message names
        the epoch and suggests a smaller learning rate.
    """
    X, Y = net.check_batch(X, Y)
    N = X.shape[0]
    epochs = integer(epochs, "epochs", 1)
    if (lr is None) == (optimizer is None):
        given = "both" if optimizer is not None else "neither"
        raise TypeError(f"fit needs exactly one of lr (plain gradient descent) and optimizer "
                        f"(mlpcore.optimizers), got {given}")
    if optimizer is None:
        lr = positive_number(lr, "lr")
    elif not isinstance(optimizer, Optimizer):
        raise TypeError("optimizer must be an mlpcore.optimizers.Optimizer (SGD, Momentum, Adam or a subclass), "
                        f"got {type(optimizer).__name__}")
    if schedule is not None and not isinstance(schedule, Schedule):
        raise TypeError("schedule must be a schedule of mlpcore.schedules (Constant, Step, Cosine, Warmup or a "
                        f"subclass of Schedule) or None, got {type(schedule).__name__}")
    if clip_norm is not None:
        clip_norm = positive_number(clip_norm, "clip_norm")
    batch_size = N if batch_size is None else integer(batch_size, "batch_size", 1, N)
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if optimizer is not None:
        optimizer.bind(net)  # refuses an optimizer that holds another network's state
        lr = optimizer.lr  # for the message of a divergence
    rng = np.random.default_rng(seed)
    step = InPlaceStep(net, batch_size)  # net.gradients + net.step, in arrays allocated once
    history = History()
    if clip_norm is not None:
        history.grad_norm = []
    bar = None
    epoch_range = range(1, epochs + 1)
    if progress:
        from tqdm import tqdm

        epoch_range = bar = tqdm(epoch_range, desc="training", unit="epoch")
    epoch = t = 0
    rate = lr  # the rate of update t: lr, or lr * schedule(t)
    try:
        with np.errstate(over="raise", invalid="raise"):  # overflow means divergence: stop at once
            for epoch in epoch_range:
                order = rng.permutation(N) if shuffle else None
                total = 0.0
                for start in range(0, N, batch_size):
                    if shuffle:  # the batch's samples, gathered into the step's buffers (never a copy of the set)
                        Xb, Yb = step.gather(X, Y, order[start : start + batch_size])
                    else:  # consecutive samples: views, no copy
                        Xb, Yb = X[start : start + batch_size], Y[start : start + batch_size]
                    t += 1
                    if schedule is not None:
                        rate = lr * nonnegative_number(schedule(t), f"schedule({t})")
                        if optimizer is not None:
                            optimizer.lr = rate  # for this update; its own lr is given back below
                    # forward pass, loss, backward pass, clipping, update
                    batch_loss = step(Xb, Yb, rate, optimizer, clip_norm)
                    if not math.isfinite(batch_loss):
                        raise _diverged(epoch, lr, f"loss {batch_loss}")
                    history.batch_loss.append(batch_loss)
                    history.lr.append(rate)
                    if clip_norm is not None:
                        history.grad_norm.append(step.grad_norm)
                    total += batch_loss * len(Xb)
                history.loss.append(total / N)
                if bar is not None:
                    bar.set_postfix(loss=f"{history.loss[-1]:.4g}")
    except FloatingPointError as exc:
        if isinstance(exc, DivergenceError):
            raise
        # numpy's own wording ("overflow encountered in ...") varies between versions: say it plainly
        kind = "a number overflowed" if "overflow" in str(exc) else "an invalid operation (inf - inf, 0 * inf)"
        raise _diverged(epoch, lr, kind) from None
    finally:
        if optimizer is not None:
            optimizer.lr = lr  # its own rate, which a schedule changed for each update
        if bar is not None:
            bar.close()
    return history


def _diverged(epoch, lr, what):
    return DivergenceError(
        f"training diverged in epoch {epoch} ({what}): the loss is no longer finite; "
        f"try a smaller learning rate than lr={lr}"
    )
