"""Summaries of runs: one row per policy and parameter, the frontier's points.

Columns (numeraire unless stated): mean and standard deviation of hedging cost (impact +
fee + gas), hedge error (std over paths of the hedged book's P&L against its Black-Scholes
value *before* costs, so that risk and cost are the frontier's two separate axes: gas is
paid in ETH, and counting its price-driven variance as "risk" would rank policies by how
often they pay gas twice; for weights, annualised tracking error in bps), mean number of trades, mean gas spent, worst
drawdown (the largest over paths of the per-path peak-to-trough of the marked P&L), and the
mean cost of writing and hedging with its standard error (the textbook check).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from risk.backtest.engine import HedgeRun


def _param(policy: Any) -> float | None:
    name = getattr(policy, "param_name", "none")
    return None if name == "none" else float(getattr(policy, name))


def summarise(run: HedgeRun) -> dict[str, Any]:
    n = run.pnl.shape[0]
    rc = run.replication_cost
    return {
        "policy": run.policy.name,
        "kind": run.policy.kind,
        "param": _param(run.policy),
        "param_name": getattr(run.policy, "param_name", "none"),
        "cost_mean": float(run.trading_cost.mean()),
        "cost_std": float(run.trading_cost.std(ddof=1)) if n > 1 else 0.0,
        "hedge_error": float((run.pnl + run.trading_cost).std(ddof=1)) if n > 1 else 0.0,
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
