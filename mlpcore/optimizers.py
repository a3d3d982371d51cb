r"""Optimizers: the update rules that turn a gradient into a step, for ``fit(..., optimizer=...)``.

Each optimizer updates every parameter array :math:`\theta` of the network (each
:math:`W^l` and each :math:`b^l`) from its gradient, elementwise, at step
:math:`t = 1, 2, \dots` (one step per batch):

.. math::

    \nabla_t = \frac{\partial \mathcal L_S}{\partial \theta} + \omega\, \theta
    \quad (\omega\,\theta \text{ for the weights only}),

where :math:`\mathcal L_S` is the loss of the batch and :math:`\omega` the weight
decay, the gradient of the L2 penalty :math:`\frac\omega2 \sum_l \lVert W^l \rVert_F^2`.
Biases are not decayed (PyTorch decays every parameter it is given; the usual
advice, followed here, is to leave the biases alone). With :math:`\omega = 0`,
``SGD(lr)`` is the plain gradient descent of ``fit(lr=...)``, to the last bit.

An optimizer keeps its state (the velocity, the moments, the step count
:math:`t`) for the network it first updates. A second ``fit`` of the same
network with the same optimizer continues from that state, so that training in
several calls is training in one; an optimizer that holds the state of one
network refuses another: make one optimizer per network, or call
:meth:`Optimizer.reset`.

Example
-------
>>> import mlpcore
>>> X, Y = mlpcore.data.xor()
>>> net = mlpcore.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=0)
>>> history = net.fit(X, Y, epochs=200, optimizer=mlpcore.optimizers.Adam(lr=0.05))
>>> bool(history.loss[-1] < 0.01)
True
"""

import inspect

import numpy as np

from ._checks import fraction, gradients_for, nonnegative_number, positive_number

__all__ = ["Optimizer", "SGD", "Momentum", "Adam"]


class Optimizer:
    """What the optimizers share: the rate, the weight decay, the state per parameter.

    ``step(net, grads)`` updates ``net`` in place from the :class:`~mlpcore.network.Gradients`
    of ``net.gradients(X, Y)``; ``fit`` does the same on each batch, in its buffers.
    ``t`` counts the steps taken; ``state[("weights", l)]`` and ``state[("biases", l)]``
    hold the arrays each rule keeps for :math:`W^l` and :math:`b^l`.

    A new rule is a subclass that stores each argument of its constructor under its
    own name (``repr`` shows them) and defines :meth:`update`, the rule for one
    parameter array; it keeps its state in :meth:`state_for` and reads the gradient
    through :meth:`gradient_with_decay`. ``step`` and ``fit`` call, per batch,
    :meth:`bind` (the first time), :meth:`begin_step`, then :meth:`update` for every
    :math:`W^l` and :math:`b^l`: the same calls on the same numbers, so the two agree
    to the last bit.
    """

    def __init__(self, lr, weight_decay=0.0):
        self.lr = positive_number(lr, "lr")
        self.weight_decay = nonnegative_number(weight_decay, "weight_decay")
        self.reset()

    def reset(self):
        """Forget the state and the network it belongs to (``t`` back to 0)."""
        self.t, self.state, self._params = 0, {}, None

    def step(self, net, grads):
        """One update of every weight and bias of ``net`` from ``grads``."""
        gradients_for(net, grads)
        self.bind(net)
        self.begin_step()
        for l in range(1, net.L + 1):
            self.update(("weights", l), net.weights[l], grads.weights[l])
            self.update(("biases", l), net.biases[l], grads.biases[l])

    def bind(self, net):
        """Make the state this optimizer's for ``net``; a ValueError if it holds another network's."""
        # the state belongs to one network: its own parameter arrays, which never change identity
        params = [*net.weights, *net.biases]
        if self._params is None:
            self._params = params
        elif len(params) != len(self._params) or any(p is not q for p, q in zip(params, self._params)):
            raise ValueError(f"this {type(self).__name__} holds the state of another network; "
                             "use a new optimizer for each network, or call reset() first")

    def begin_step(self):
        """Count step ``t``, before the updates of every parameter with one batch's gradients."""
        self.t += 1

    def update(self, key, p, grad):
        """The rule for one parameter array: change ``p`` (the array ``key``, ``("weights", l)`` or
        ``("biases", l)``) in place, from its gradient ``grad``, which it must leave as it is."""
        raise NotImplementedError(f"{type(self).__name__} must define update(key, p, grad)")

    def gradient_with_decay(self, key, p, grad):
        """:math:`\\nabla_t`: ``grad``, plus :math:`\\omega\\,` ``p`` for a weight (the gradient of
        :math:`\\frac\\omega2 \\lVert W \\rVert^2`); ``grad`` itself without weight decay."""
        return grad + self.weight_decay * p if self.weight_decay and key[0] == "weights" else grad

    def state_for(self, key, p, n):
        """The ``n`` arrays this rule keeps for the parameter ``key`` (of ``p``'s shape and dtype),
        zeros until its first update."""
        if key not in self.state:
            self.state[key] = [np.zeros_like(p) for _ in range(n)]
        return self.state[key]

    def __repr__(self):
        # the constructor's arguments, each read from the attribute of its name
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in names if hasattr(self, k))
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    r"""Gradient descent, :math:`\theta \leftarrow \theta - \eta\, \nabla_t`.

    .. math::

        \theta_t = \theta_{t-1} - \eta\, \nabla_t

    Parameters
    ----------
    lr : float > 0
        The learning rate :math:`\eta`.
    weight_decay : float >= 0
        :math:`\omega`; 0 makes this ``fit(lr=...)``'s update, bit for bit.
    """

    def update(self, key, p, grad):
        """:math:`\\theta \\leftarrow \\theta - \\eta\\, \\nabla_t`."""
        p -= self.lr * self.gradient_with_decay(key, p, grad)


class Momentum(Optimizer):
    r"""The heavy ball of Polyak: gradient descent along a velocity :math:`v` that remembers past steps.

    .. math::

        v_t = \beta\, v_{t-1} + \nabla_t, \qquad \theta_t = \theta_{t-1} - \eta\, v_t,
        \qquad v_0 = 0,

    which is PyTorch's ``SGD(lr, momentum=beta, weight_decay=omega)`` (no dampening,
    not Nesterov's). On a constant gradient the step grows to :math:`\eta\,\nabla / (1 - \beta)`.

    Parameters
    ----------
    lr : float > 0
        :math:`\eta`.
    beta : float in [0, 1)
        :math:`\beta`; 0 is plain gradient descent.
    weight_decay : float >= 0
        :math:`\omega`.
    """

    def __init__(self, lr, beta=0.9, weight_decay=0.0):
        self.beta = fraction(beta, "beta")
        super().__init__(lr, weight_decay)

    def update(self, key, p, grad):
        """:math:`v \\leftarrow \\beta v + \\nabla_t`, then :math:`\\theta \\leftarrow \\theta - \\eta\\, v`."""
        (v,) = self.state_for(key, p, 1)
        v *= self.beta
        v += self.gradient_with_decay(key, p, grad)  # v <- beta v + nabla
        p -= self.lr * v


class Adam(Optimizer):
    r"""Adam (Kingma and Ba): a step along the running mean of the gradients, divided by
    the root of their running mean square, both corrected for their start at zero.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, \nabla_t, \qquad
        s_t = \beta_2 s_{t-1} + (1 - \beta_2)\, \nabla_t \odot \nabla_t, \qquad m_0 = s_0 = 0,

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat s_t = \frac{s_t}{1 - \beta_2^t}, \qquad
        \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon},

    elementwise (Algorithm 1 of the paper, and PyTorch's ``Adam``; scikit-learn's adds
    :math:`\epsilon` to :math:`\sqrt{s_t}` instead). The first step is
    :math:`\eta\, \nabla_1 / (|\nabla_1| + \epsilon) \approx \eta \operatorname{sign}(\nabla_1)`.
    Weight decay is the L2 penalty added to the gradient (PyTorch's ``Adam(weight_decay=...)``,
    not the decoupled decay of AdamW).

    Parameters
    ----------
    lr : float > 0
        :math:`\eta`.
    beta1, beta2 : floats in [0, 1)
        :math:`\beta_1`, :math:`\beta_2`, the decay rates of the two running means.
    eps : float > 0
        :math:`\epsilon`, which keeps the division finite where :math:`\hat s_t = 0`.
    weight_decay : float >= 0
        :math:`\omega`.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.beta1, self.beta2 = fraction(beta1, "beta1"), fraction(beta2, "beta2")
        self.eps = positive_number(eps, "eps")
        super().__init__(lr, weight_decay)

    def update(self, key, p, grad):
        """The two running means, their bias corrections, and the step."""
        m, s = self.state_for(key, p, 2)
        nabla = self.gradient_with_decay(key, p, grad)
        m *= self.beta1
        m += (1 - self.beta1) * nabla  # m <- beta1 m + (1 - beta1) nabla
        s *= self.beta2
        s += (1 - self.beta2) * (nabla * nabla)  # s <- beta2 s + (1 - beta2) nabla^2
        m_hat = m / (1 - self.beta1**self.t)  # the bias corrections
        s_hat = s / (1 - self.beta2**self.t)
        p -= self.lr * m_hat / (np.sqrt(s_hat) + self.eps)
