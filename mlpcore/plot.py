"""Figures the chapters share. Each function draws on ``ax`` (or a new figure)
and returns what it drew on, so a chapter can add titles or combine panels.

Example
-------
>>> import matplotlib; matplotlib.use("Agg")
>>> import mlpcore
>>> fig = mlpcore.plot.activation_curves(["sigmoid", "tanh"])
>>> len(fig.axes)
2
"""

import matplotlib.pyplot as plt
import numpy as np

from . import activations

__all__ = ["activation_curves", "network_diagram", "loss_curve", "decision_boundary", "weight_images",
           "WEIGHT_CMAP", "weight_colour", "weight_legend"]

# One colour convention for weights in every figure: positive blue, negative red, the two ends of
# this colour map (network_diagram draws its arrows in them, weight_images its pixels), each figure
# saying so in a legend or a colour bar
WEIGHT_CMAP = "RdBu"


def weight_colour(w):
    """The colour of a weight ``w`` in every figure: blue when positive, red when negative."""
    return plt.get_cmap(WEIGHT_CMAP)(0.9 if w >= 0 else 0.1)


def weight_legend(target, **kwargs):
    """A legend on ``target`` (an Axes or a Figure) that states the colours of the weights."""
    signs = [plt.Line2D([], [], color=weight_colour(s), lw=2, label=f"{name} weight")
             for s, name in ((1, "positive"), (-1, "negative"))]
    options = dict(title=r"width $\propto |w|$", ncols=2, frameon=False, fontsize=8, title_fontsize=8)
    return target.legend(handles=signs, **{**options, **kwargs})


def activation_curves(names, z=None, ncols=3, size=2.6):
    """One panel per activation: f(z) (solid) and f'(z) (dashed)."""
    z = np.linspace(-4, 4, 801) if z is None else np.asarray(z, dtype=np.float64)
    nrows = -(-len(names) // ncols)
    ncols = min(ncols, len(names))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, 0.85 * size * nrows), squeeze=False,
                             sharex=True, layout="constrained")
    for ax, name in zip(axes.flat, names):
        act = activations.get(name)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(z, _break_jumps(act.f(z)), lw=2, label="$f(z)$")
        ax.plot(z, _break_jumps(act.df(z)), lw=1.5, ls="--", label="$f'(z)$")
        ax.set_title(name)
        ax.set_xlabel("$z$")
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize="small")
    return fig


def _break_jumps(y, jump=0.25):
    """A copy of y with NaN where it jumps, so a step is not drawn as a vertical line."""
    y = np.array(y, dtype=np.float64)
    y[1:][np.abs(np.diff(y)) > jump] = np.nan
    return y


def network_diagram(net, ax=None, labels=True, fmt="{:.2f}"):
    """The network as circles and arrows, each arrow labelled with its weight
    and each neuron with its bias; line width follows :math:`|w|`, colour its sign
    (blue positive, red negative, as the legend says)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * len(net.sizes) + 1, 1.2 * max(net.sizes) + 1), layout="constrained")
    pos = {}
    for l, n in enumerate(net.sizes):
        for i in range(n):
            pos[l, i] = (l, (n - 1) / 2 - i)
    wmax = max(np.abs(W).max() for W in net.weights) or 1.0
    for l, W in net.weights.items():
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                (x0, y0), (x1, y1) = pos[l - 1, j], pos[l, i]
                w = W[i, j]
                ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(
                    arrowstyle="-|>", shrinkA=14, shrinkB=14, lw=0.5 + 2.5 * abs(w) / wmax,
                    color=weight_colour(w)))
                if labels:
                    t = 0.3 if (i + j) % 2 == 0 else 0.62  # stagger labels so crossing arrows stay readable
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), fmt.format(w), fontsize=8, ha="center",
                            va="center", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for (l, i), (x, y) in pos.items():
        ax.add_patch(plt.Circle((x, y), 0.12, fc="white" if l == 0 else "0.9", ec="black", zorder=3))
        name = f"$x_{i + 1}$" if l == 0 else f"$a^{l}_{i + 1}$"
        ax.text(x, y, name, ha="center", va="center", zorder=4, fontsize=9)
        if labels and l > 0:
            ax.text(x, y - 0.22, "b=" + fmt.format(net.biases[l][i]), ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.4, len(net.sizes) - 0.6)
    ax.set_ylim(-max(net.sizes) / 2 - 0.2, max(net.sizes) / 2 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    weight_legend(ax, loc="upper center", bbox_to_anchor=(0.5, 0.0))
    return ax


def loss_curve(*histories, labels=None, ax=None, log=True, xlabel="epoch"):
    """Loss per epoch of one or more training runs (History objects or lists)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    labels = labels or [None] * len(histories)
    for h, label in zip(histories, labels):
        values = getattr(h, "loss", h)
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if any(labels):
        ax.legend()
    return ax


def decision_boundary(net, X, Y, ax=None, resolution=200, margin=0.5):
    """Colour the plane by the class the network predicts, with the samples on top.

    Y is one-hot (N, k) or, for one output, (N, 1) with the class at 0.5.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4), layout="constrained")
    X, Y = np.asarray(X), np.asarray(Y)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    out = net.forward(np.column_stack([gx.ravel(), gy.ravel()]))
    labels = (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)
    grid = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    k = max(2, Y.shape[1])
    cmap = plt.get_cmap("tab10")
    ax.contourf(gx, gy, grid.reshape(gx.shape), levels=np.arange(k + 1) - 0.5, colors=[cmap(c) for c in range(k)],
                alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=[cmap(c) for c in labels], edgecolors="black", s=25)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def weight_images(W, shape, ncols=8, size=1.0, cmap=WEIGHT_CMAP):
    """Each row of W (the incoming weights of one neuron) as an image of ``shape``,
    on a colour scale symmetric about 0 (blue positive, red negative, as the colour
    bar says), each image scaled to its own largest :math:`|w|`."""
    W = np.asarray(W)
    nrows = -(-W.shape[0] // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False, layout="constrained")
    for ax, w in zip(axes.flat, W):
        v = np.abs(w).max() or 1.0
        ax.imshow(w.reshape(shape), cmap=cmap, vmin=-v, vmax=v)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.flat[W.shape[0]:]:
        ax.set_visible(False)
    scale = plt.cm.ScalarMappable(norm=plt.Normalize(-1, 1), cmap=cmap)
    bar = fig.colorbar(scale, ax=axes, ticks=[-1, 0, 1], shrink=min(1.0, 3 / nrows + 0.3), aspect=30)
    bar.ax.set_yticklabels([r"$-\max|w|$", "0", r"$+\max|w|$"], fontsize=7)
    bar.set_label("weight", fontsize=8)
    return fig
