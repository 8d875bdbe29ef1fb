"""The frontier plot: mean hedging cost against hedge error, one point per policy and
parameter, one line per policy. An adapter (writes a PNG with matplotlib's Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def frontier_png(rows: list[dict[str, Any]], path: Path, title: str, error_label: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    by_policy: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_policy.setdefault(r["policy"], []).append(r)
    for name, pts in by_policy.items():
        # in sweep order, so each line walks the policy's parameter
        pts = sorted(pts, key=lambda r: -1.0 if r["param"] is None else r["param"])
        xs = [r["hedge_error"] for r in pts]
        ys = [max(r["cost_mean"], 1e-9) for r in pts]
        ax.plot(xs, ys, marker="o", ms=4, lw=1.2, label=name)
    return _finish(fig, ax, path, title, error_label, "mean hedging cost (numeraire: impact + fee + gas)")


def frontier_curves_png(curves: dict[str, dict[str, Any]], path: Path, title: str, error_label: str,
                        shade: tuple[float, float] | None = None) -> Path:
    """One line per policy through its frontier points, with 95% intervals on both axes.

    `curves[name]` holds arrays `he`, `cost`, `he_lo`, `he_hi`, `cost_lo`, `cost_hi` (points
    on the policy's lower envelope, in hedge-error order); `shade` marks the hedge-error
    range the ratios are stated over."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8.5, 5.8), dpi=110)
    for name, c in curves.items():
        he, cost = np.asarray(c["he"]), np.asarray(c["cost"])
        xerr = np.vstack([he - np.asarray(c["he_lo"]), np.asarray(c["he_hi"]) - he])
        yerr = np.vstack([cost - np.asarray(c["cost_lo"]), np.asarray(c["cost_hi"]) - cost])
        ax.errorbar(he, cost, xerr=xerr, yerr=yerr, marker="o", ms=3.5, lw=1.3, capsize=2, label=name)
    if shade is not None:
        ax.axvspan(*shade, color="grey", alpha=0.12, label="range the ratios cover")
    return _finish(fig, ax, path, title, error_label, "mean hedging cost (numeraire: fee + gas)")


def _finish(fig: Any, ax: Any, path: Path, title: str, xlabel: str, ylabel: str) -> Path:
    """Log-log axes with plain numbers, labels, grid and legend; the PNG written, the figure closed."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
