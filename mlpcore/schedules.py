r"""Learning-rate schedules: the rate of each update, for ``fit(..., schedule=...)``.

A schedule is the learning rate's multiplier at update :math:`t = 1, 2, \dots` (one update per
batch, counted from 1 in each call of ``fit``): update :math:`t` uses the rate

.. math::

    \eta_t = \eta \cdot \text{schedule}(t),

where :math:`\eta` is ``fit``'s ``lr``, or the ``lr`` of its optimizer (which ``fit`` sets to
:math:`\eta_t` for update :math:`t` and gives back its own ``lr`` when it returns). The
updates, not the epochs, are counted: an epoch of :math:`N` samples in batches of :math:`B` is
:math:`\lceil N/B \rceil` updates, so a schedule meant to span ``epochs`` epochs has ``total``
or ``every`` in updates (``History.lr`` records the rate of every update).

- :class:`Constant`: :math:`\eta_t = \eta`.
- :class:`Step`: :math:`\eta` multiplied by ``factor`` every ``every`` updates.
- :class:`Cosine`: half a cosine, from :math:`\eta` at :math:`t = 1` down to ``floor`` times
  :math:`\eta` at :math:`t = t_\max`, and that after it.
- :class:`Warmup`: linear from :math:`\eta/\text{steps}` to :math:`\eta` over the first
  ``steps`` updates, then another schedule.

Example
-------
>>> from mlpcore import schedules
>>> warm = schedules.Warmup(4, then=schedules.Cosine(total=11, floor=0.1))
>>> warm
Warmup(steps=4, then=Cosine(total=11, floor=0.1))
>>> [round(warm(t), 3) for t in (1, 2, 4, 5, 10, 15, 20)]
[0.25, 0.5, 1.0, 1.0, 0.55, 0.1, 0.1]
"""

import inspect
import math

from ._checks import fraction, integer, positive_number

__all__ = ["Schedule", "Constant", "Step", "Cosine", "Warmup"]


class Schedule:
    """What the schedules share: ``schedule(t)`` is the multiplier of the learning rate at update
    ``t`` = 1, 2, ... (a float >= 0), and ``repr`` shows the settings.

    A new schedule is a subclass that stores each argument of its constructor under its own name
    (``repr`` shows them) and defines ``__call__(t)``; ``fit`` takes it as ``schedule=``, and
    :class:`Warmup` as ``then=``.
    """

    def __call__(self, t):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(t), the multiplier at update t")

    def __repr__(self):
        # the constructor's arguments, each read from the attribute of its name
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in names if hasattr(self, k))
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    r"""The rate unchanged: :math:`\eta_t = \eta` (as ``schedule=None``, but recorded as a schedule)."""

    def __init__(self):
        pass

    def __call__(self, t):
        """1.0 at every update ``t``."""
        integer(t, "t", 1)
        return 1.0


class Step(Schedule):
    r"""Step decay: the rate multiplied by ``factor`` every ``every`` updates.

    .. math::

        \eta_t = \eta \cdot \text{factor}^{\lfloor (t - 1) / \text{every} \rfloor},

    so updates :math:`1, \dots, \text{every}` use :math:`\eta`, the next ``every`` updates
    :math:`\eta \cdot \text{factor}`, and so on (PyTorch's ``StepLR(step_size=every, gamma=factor)``,
    stepped once per update).

    Parameters
    ----------
    every : int >= 1
        Updates between two decays.
    factor : float in (0, 1]
        What each decay multiplies the rate by.
    """

    def __init__(self, every, factor):
        self.every = integer(every, "every", 1)
        self.factor = positive_number(factor, "factor")
        if self.factor > 1:
            raise ValueError(f"factor must be in (0, 1] (a decay), got {factor}")

    def __call__(self, t):
        """``factor ** ((t - 1) // every)``."""
        t = integer(t, "t", 1)
        return self.factor ** ((t - 1) // self.every)


class Cosine(Schedule):
    r"""Cosine decay: half a cosine from :math:`\eta` at :math:`t = 1` to ``floor`` times :math:`\eta`
    at :math:`t = t_\max` (``total``), and ``floor`` times :math:`\eta` after.

    .. math::

        \eta_t = \eta \left(\text{floor} + (1 - \text{floor})\, \frac12
        \left(1 + \cos \frac{\pi\, (t - 1)}{t_\max - 1}\right)\right)
        \quad (t \le t_\max), \qquad \eta_t = \eta \cdot \text{floor} \quad (t \ge t_\max),

    which is Loshchilov and Hutter's SGDR without restarts (PyTorch's ``CosineAnnealingLR`` with
    ``T_max = total - 1`` and ``eta_min = floor * lr``). Half-way, at :math:`t = (1 + t_\max)/2`,
    the multiplier is :math:`(1 + \text{floor})/2`. With ``floor=0`` the last update, :math:`t = t_\max`,
    has rate 0 and changes nothing (an optimizer's state still advances).

    Parameters
    ----------
    total : int >= 2
        :math:`t_\max`, the update at which the rate reaches its floor.
    floor : float in [0, 1)
        The final multiplier.
    """

    def __init__(self, total, floor=0.0):
        self.total = integer(total, "total", 2)
        self.floor = fraction(floor, "floor")

    def __call__(self, t):
        """The multiplier at update ``t`` (the formula above)."""
        t = integer(t, "t", 1)
        if t >= self.total:
            return self.floor
        return self.floor + (1 - self.floor) * (1 + math.cos(math.pi * (t - 1) / (self.total - 1))) / 2


class Warmup(Schedule):
    r"""Linear warm-up: the rate grows from :math:`\eta/\text{steps}` to :math:`\eta` over the first
    ``steps`` updates, then follows the schedule ``then``, counted from the end of the warm-up.

    .. math::

        \eta_t = \eta\, \frac{t}{\text{steps}} \quad (t \le \text{steps}), \qquad
        \eta_t = \eta \cdot \text{then}(t - \text{steps}) \quad (t > \text{steps}),

    with :math:`\text{then}(t) = 1` when ``then`` is None. The first updates take small steps: a
    fresh network's first gradients can be large, and Adam's running means rest on few gradients
    then (Goyal et al., "Accurate, large minibatch SGD", 2017, warm up for large batches).

    Parameters
    ----------
    steps : int >= 1
        Length of the warm-up, in updates; update ``steps`` has the full rate.
    then : Schedule or None
        The schedule after the warm-up (its update 1 is update ``steps + 1`` of ``fit``).
    """

    def __init__(self, steps, then=None):
        self.steps = integer(steps, "steps", 1)
        if then is not None and not isinstance(then, Schedule):
            raise TypeError("then must be a schedule of mlpcore.schedules (Constant, Step, Cosine, Warmup or a "
                            f"subclass of Schedule) or None, got {type(then).__name__}")
        self.then = then

    def __call__(self, t):
        """``t / steps`` during the warm-up, then ``then(t - steps)`` (or 1.0)."""
        t = integer(t, "t", 1)
        if t <= self.steps:
            return t / self.steps
        return 1.0 if self.then is None else self.then(t - self.steps)
