"""Summaries of runs: one row per policy and parameter, the frontier's points.

Columns (numeraire unless stated): mean and standard deviation of hedging cost (impact +
fee + gas), hedge error (std over paths of the hedged book's P&L against its Black-Scholes
value *before* costs, so that risk and cost are the frontier's two separate axes: gas is
paid in ETH, and counting its price-driven variance as "risk" would rank policies by how
often they pay gas twice; for weights, annualised tracking error in bps), mean number of trades, mean gas spent, worst
drawdown (the largest over paths of the per-path peak-to-trough of the marked P&L), and the
mean cost of writing and hedging with its standard error (the textbook check).

Intervals: `hedge_error_lo/hi` and `cost_lo/hi` are 95% percentile-bootstrap intervals over
paths (`BOOT` resamples, seeded, so a run prints the same interval twice). They say how
much the figure would move with other paths drawn from the same model (or, for a CSV
replay, other block-bootstrap histories), not how wrong the model is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from risk.backtest.engine import HedgeRun

BOOT = 200
_CHUNK = 50


def bootstrap_intervals(pnl: np.ndarray, cost: np.ndarray, boot: int = BOOT, seed: int = 0) -> tuple[float, float, float, float]:
    """95% intervals (hedge error lo, hi, mean cost lo, hi) by resampling paths; the same
    resampled paths serve both figures."""
    n = pnl.shape[0]
    if n < 2:
        return 0.0, 0.0, float(cost.mean()), float(cost.mean())
    rng = np.random.default_rng(seed)
    he, mc = [], []
    for start in range(0, boot, _CHUNK):
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(_CHUNK, boot - start)) / n
        m1, m2 = w @ pnl, w @ (pnl * pnl)
        he.append(np.sqrt(np.maximum(m2 - m1 * m1, 0.0) * n / (n - 1)))
        mc.append(w @ cost)
    lo_he, hi_he = np.percentile(np.concatenate(he), [2.5, 97.5])
    lo_c, hi_c = np.percentile(np.concatenate(mc), [2.5, 97.5])
    return float(lo_he), float(hi_he), float(lo_c), float(hi_c)


def _param(policy: Any) -> float | None:
    name = getattr(policy, "param_name", "none")
    return None if name == "none" else float(getattr(policy, name))


def summarise(run: HedgeRun) -> dict[str, Any]:
    n = run.pnl.shape[0]
    rc = run.replication_cost
    he_lo, he_hi, c_lo, c_hi = bootstrap_intervals(run.pnl + run.trading_cost, run.trading_cost)
    return {
        "policy": run.policy.name,
        "kind": run.policy.kind,
        "param": _param(run.policy),
        "param_name": getattr(run.policy, "param_name", "none"),
        "cost_mean": float(run.trading_cost.mean()),
        "cost_std": float(run.trading_cost.std(ddof=1)) if n > 1 else 0.0,
        "hedge_error": float((run.pnl + run.trading_cost).std(ddof=1)) if n > 1 else 0.0,
        "hedge_error_lo": he_lo,
        "hedge_error_hi": he_hi,
        "cost_lo": c_lo,
        "cost_hi": c_hi,
        "pnl_std": float(run.pnl.std(ddof=1)) if n > 1 else 0.0,
        "pnl_mean": float(run.pnl.mean()),
        "trades_mean": float(run.n_trades.mean()),
        "gas_mean": float(run.gas.mean()),
        "drawdown_worst": float(run.max_drawdown.max()),
        "drawdown_mean": float(run.max_drawdown.mean()),
        "writing_cost_mean": float(rc.mean()),
        "writing_cost_stderr": float(rc.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
        "bs_value": float(-run.v0),
        "paths": n,
    }


def frontier(rows: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """Per policy name, its (hedge error, mean cost) points sorted by hedge error."""
    out: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        out.setdefault(r["policy"], []).append((r["hedge_error"], r["cost_mean"]))
    return {k: sorted(v) for k, v in out.items()}


def cost_at(points: list[tuple[float, float]], hedge_error: float) -> float | None:
    """The frontier's cost at a hedge error, by linear interpolation in log-log over the
    policy's lower envelope; None outside the points' range."""
    pts = sorted(points)
    xs = np.array([p[0] for p in pts])
    ys = np.array([p[1] for p in pts])
    if len(pts) == 0 or hedge_error < xs.min() or hedge_error > xs.max():
        return None
    env = np.minimum.accumulate(ys)  # more error allowed never costs more on the envelope
    if len(pts) == 1:
        return float(env[0])
    return float(np.exp(np.interp(np.log(hedge_error), np.log(xs), np.log(np.maximum(env, 1e-12)))))
