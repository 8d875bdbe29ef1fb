"""The weights engine: run portfolio policies over multi-asset paths, all paths at once.

`prices` has shape (n_steps + 1, n, k) in numeraire per whole token (the numeraire's own
column is 1). Each step, every policy sees the drifted weights and decides; a trade moves
the holdings to the new weights at the step's prices and pays its cost (pool impact + fee
per token traded against the numeraire, plus gas), which comes out of the portfolio's value
pro rata. Tracking error is measured against the costless constant-mix portfolio (the
target weights held exactly at every step): per path, the annualised standard deviation
of the per-step return difference, in bps; then averaged over paths.

Pure: numpy; costs are handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from risk.policies.base import (
    SECONDS_PER_YEAR,
    FloatArray,
    WeightsState,
    annualise,
    ewma_decay,
    ewma_variance,
)
from risk.policies.errors import PolicyError

# (signed tokens traded (n, k), prices (n, k)) -> impact + fee in numeraire (n,)
Impact = Callable[[FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class WeightsCost:
    impact: Impact = lambda q, p: np.zeros(q.shape[0])
    gas: float = 0.0  # numeraire per rebalance
    rate: float = 0.0


@dataclass
class WeightsRun:
    policy: Any
    value: FloatArray
    trading_cost: FloatArray
    gas: FloatArray
    n_trades: FloatArray
    tracking_error_bps: FloatArray
    max_drawdown: FloatArray
    trades: list[tuple[int, int, list[float]]] = field(default_factory=list)


def run_weights(
    prices: FloatArray,
    dt_s: float,
    target: FloatArray,
    policies: Sequence[Any],
    costs: WeightsCost | None = None,
    value0: float = 1_000_000.0,
    cov: FloatArray | None = None,
    vol_half_life_s: float = 24 * 3600.0,
    record: int = 0,
) -> list[WeightsRun]:
    """Start every path at the target weights with `value0`; run each policy over `prices`."""
    costs = costs or WeightsCost()
    target = np.asarray(target, dtype=np.float64)
    if prices.ndim != 3 or prices.shape[2] != target.shape[0]:
        raise PolicyError(f"prices: expected (steps, paths, {target.shape[0]}), got {prices.shape}", "prices")
    n_steps, n, k = prices.shape[0] - 1, prices.shape[1], prices.shape[2]
    dt_y = dt_s / SECONDS_PER_YEAR
    cov = np.zeros((k, k)) if cov is None else np.asarray(cov, dtype=np.float64)
    ref_vol = float(np.sqrt(max(float(target @ cov @ target), 1e-12)))
    decay = ewma_decay(dt_s, vol_half_life_s)
    var = np.full(n, ref_vol**2 * dt_y)
    units = [value0 * target[None, :] / prices[0] for _ in policies]
    since = [np.full(n, np.inf) for _ in policies]
    acc: list[dict[str, Any]] = [dict(cost=np.zeros(n), gas=np.zeros(n), trades=np.zeros(n), diff=[], rel_peak=np.ones(n),
                dd=np.zeros(n)) for _ in policies]
    logs: list[list[tuple[int, int, list[float]]]] = [[] for _ in policies]
    prev_values = [np.full(n, value0) for _ in policies]
    for i in range(n_steps + 1):
        p = prices[i]
        if i > 0:
            step_ret = p / prices[i - 1] - 1.0
            mix_ret = step_ret @ target
            var = ewma_variance(var, np.log1p(mix_ret), decay)
            for j in range(len(policies)):
                v = (units[j] * p).sum(axis=1)
                acc[j]["diff"].append(v / prev_values[j] - 1.0 - mix_ret)
                prev_values[j] = v
        if i == n_steps:
            break
        realized = annualise(var, dt_s)
        for j, policy in enumerate(policies):
            state = WeightsState(
                t_s=i * dt_s, weights=units[j] * p / (units[j] * p).sum(axis=1)[:, None], target=target,
                value=(units[j] * p).sum(axis=1), since_trade_s=since[j], realized_vol=realized, ref_vol=ref_vol,
                cov=cov, cost_rate=costs.rate,
                trade_cost=lambda turnover, value, p=p: costs.impact(turnover / p, p) + costs.gas,  # type: ignore[misc]
            )
            d = policy.decide_weights(state)
            units[j] = _rebalance(units[j], d, p, costs, acc[j])
            prev_values[j] = (units[j] * p).sum(axis=1)
            since[j] = np.where(d.trade, 0.0, since[j]) + dt_s
            if record:
                for path in np.flatnonzero(d.trade[:record]):
                    logs[j].append((i, int(path), d.position[path].tolist()))
    return [_finish(policy, units[j], prices, acc[j], logs[j], dt_y) for j, policy in enumerate(policies)]


def _rebalance(units: FloatArray, d: Any, p: FloatArray, costs: WeightsCost, acc: dict[str, Any]) -> FloatArray:
    """Move the paths that trade to the decided weights at prices `p`; the cost comes out of their value pro rata."""
    v = (units * p).sum(axis=1)
    new_units = np.where(d.trade[:, None], d.position * v[:, None] / p, units)
    q = new_units - units
    traded = d.trade & (np.abs(q).sum(axis=1) > 0)
    impact = np.where(traded, costs.impact(q, p), 0.0)
    gas = np.where(traded, costs.gas, 0.0)
    acc["diff"][-1:] = [acc["diff"][-1] - (impact + gas) / v] if acc["diff"] else []
    acc["cost"] += impact + gas
    acc["gas"] += gas
    acc["trades"] += traded
    return new_units * (1.0 - (impact + gas) / v)[:, None]


def _finish(policy: Any, units: FloatArray, prices: FloatArray, acc: dict[str, Any], log: list[Any], dt_y: float) -> WeightsRun:
    diff = np.asarray(acc["diff"]) if acc["diff"] else np.zeros((1, units.shape[0]))
    te = diff.std(axis=0, ddof=0) * np.sqrt(1.0 / dt_y) * 10_000
    rel = np.cumprod(1.0 + diff, axis=0)
    peak = np.maximum.accumulate(np.vstack([np.ones((1, rel.shape[1])), rel]), axis=0)[1:]
    dd = np.max(1.0 - rel / peak, axis=0)
    value = (units * prices[-1]).sum(axis=1)
    return WeightsRun(policy, value, acc["cost"], acc["gas"], acc["trades"], te, dd, log)


def summarise(run: WeightsRun) -> dict[str, Any]:
    name = getattr(run.policy, "param_name", "none")
    n = run.value.shape[0]
    return {
        "policy": run.policy.name,
        "kind": run.policy.kind,
        "param": None if name == "none" else float(getattr(run.policy, name)),
        "param_name": name,
        "cost_mean": float(run.trading_cost.mean()),
        "cost_std": float(run.trading_cost.std(ddof=1)) if n > 1 else 0.0,
        "hedge_error": float(run.tracking_error_bps.mean()),
        "trades_mean": float(run.n_trades.mean()),
        "gas_mean": float(run.gas.mean()),
        "drawdown_worst": float(run.max_drawdown.max()),
        "drawdown_mean": float(run.max_drawdown.mean()),
        "value_mean": float(run.value.mean()),
        "paths": n,
    }
