"""Frontier comparisons with intervals: cost of one policy over another at equal hedge error.

A *curve* is one policy's sweep of its free parameter, kept per path: trading cost and the
hedged P&L before costs, shape (variants, paths), every variant run on the same paths.
A frontier point is (hedge error = std over paths of the P&L before costs, mean cost).

`cost_at`: a frontier's cost at a hedge error, by linear interpolation in log-log on its
lower envelope (more hedge error allowed never costs more); NaN outside the points' range.
Points with no cost at all (a sweep value that never trades) have no place on a log-cost
axis and are left out, of the interpolation and of the covered range alike.

`ratio(better, worse, lo, hi)`: the geometric mean, over `n_grid` log-spaced hedge errors
in the named range [lo, hi], of cost_better / cost_worse at equal hedge error. Its 95%
interval is a paired percentile bootstrap over paths: each resample draws path indices
with replacement, the same indices for both curves (they were run on the same paths, so
their noise is shared and mostly cancels), and recomputes both frontiers and the ratio.
Resamples in which a frontier no longer covers the range are counted (`uncovered`) and
left out; the range should be chosen well inside both sweeps.

Pure: numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    name: str
    params: tuple[float, ...]
    cost: FloatArray  # (variants, paths)
    pnl: FloatArray  # (variants, paths), before costs

    @staticmethod
    def from_runs(name: str, runs: Sequence[Any]) -> Curve:
        """From `engine.HedgeRun`s of one policy's variants (on the same paths)."""
        params = tuple(float(getattr(r.policy, getattr(r.policy, "param_name", "none"), 0.0)) for r in runs)
        cost = np.stack([r.trading_cost for r in runs])
        return Curve(name, params, cost, np.stack([r.pnl for r in runs]) + cost)

    def points(self, counts: NDArray[np.int64] | None = None) -> tuple[FloatArray, FloatArray]:
        """(hedge error, mean cost) per variant; with `counts` (B, paths) per resample (B, variants)."""
        n = self.cost.shape[1]
        if counts is None:
            return self.pnl.std(axis=1, ddof=1), self.cost.mean(axis=1)
        w = counts / n
        mean_cost = w @ self.cost.T
        m1 = w @ self.pnl.T
        m2 = w @ (self.pnl**2).T
        he = np.sqrt(np.maximum(m2 - m1 * m1, 0.0) * n / (n - 1))
        return he, mean_cost


def cost_at(he: FloatArray, cost: FloatArray, at: FloatArray) -> FloatArray:
    """Cost on the lower envelope of the points (he, cost) at hedge errors `at` (NaN outside)."""
    keep = (cost > 0) & (he > 0)
    q = np.log(np.asarray(at, dtype=np.float64))
    if keep.sum() < 2:
        return np.full(q.shape, np.nan)
    he, cost = he[keep], cost[keep]
    order = np.argsort(he)
    xs, ys = np.log(he[order]), np.minimum.accumulate(cost[order])
    out = np.exp(np.interp(q, xs, np.log(ys)))
    return np.where((q >= xs[0]) & (q <= xs[-1]), out, np.nan)


@dataclass(frozen=True)
class Ratio:
    better: str
    worse: str
    lo_he: float
    hi_he: float
    point: float
    ci_low: float
    ci_high: float
    worst: float  # the largest point ratio over the grid
    uncovered: int  # resamples left out because a frontier did not span the range
    n_boot: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _stat(he_a: FloatArray, c_a: FloatArray, he_b: FloatArray, c_b: FloatArray, grid: FloatArray) -> tuple[float, float]:
    r = cost_at(he_a, c_a, grid) / cost_at(he_b, c_b, grid)
    if not np.all(np.isfinite(r)):
        return float("nan"), float("nan")
    return float(np.exp(np.mean(np.log(r)))), float(r.max())


def covered_range(a: Curve, b: Curve, margin: float = 1.1) -> tuple[float, float]:
    """The hedge errors both sweeps span, pulled in by `margin` at each end."""
    (ha, ca), (hb, cb) = a.points(), b.points()
    ha, hb = ha[ca > 0], hb[cb > 0]
    return max(ha.min(), hb.min()) * margin, min(ha.max(), hb.max()) / margin


def ratio(better: Curve, worse: Curve, lo: float, hi: float, n_grid: int = 9, n_boot: int = 1000,
          seed: int = 0) -> Ratio:
    """Geometric-mean cost ratio better/worse over [lo, hi] and its 95% paired bootstrap interval."""
    if not 0 < lo < hi:
        raise ValueError(f"hedge-error range: need 0 < lo < hi, got {lo}, {hi}")
    n = better.cost.shape[1]
    if worse.cost.shape[1] != n:
        raise ValueError("the two curves were not run on the same paths")
    grid = np.geomspace(lo, hi, n_grid)
    point, worst = _stat(*better.points(), *worse.points(), grid)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
    ha, ca = better.points(counts)
    hb, cb = worse.points(counts)
    stats = np.array([_stat(ha[i], ca[i], hb[i], cb[i], grid)[0] for i in range(n_boot)])
    ok = stats[np.isfinite(stats)]
    low, high = (np.percentile(ok, [2.5, 97.5]) if ok.size else (float("nan"), float("nan")))
    return Ratio(better.name, worse.name, float(lo), float(hi), point, float(low), float(high), worst,
                 int(n_boot - ok.size), n_boot)
