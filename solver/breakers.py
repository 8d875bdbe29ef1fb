"""The circuit breakers the solver checks before it routes (the keeper checks them before it signs).

The rules are `risk.breakers`' — one copy of the logic — applied to what a solver sees
in an auction:

- pool-deviation: a pool whose small-trade price (fee removed) is further from the
  reference (oracle) price than the limit is left out of the liquidity the router may use;
  the auction's other pools, and netting, still serve the batch.
- price-impact: a residual whose route would lose more than the limit (pool fees plus
  impact, at reference prices) is not routed: the clearing drops intents until it fits.
A stale oracle is checked where the reference prices are read (`auction/snapshot.py`).
Pure.
"""

from __future__ import annotations

from dataclasses import replace

from risk.breakers import Limits, Reading, State, check
from routing.pools import Liquidity, Pool, V2Pool

DEFAULT_LIMITS = Limits()


def pool_deviation_bps(pool: Pool, prices: dict[str, int]) -> float | None:
    """|pool mid price / reference price − 1| in bps (token1 per token0); None if unpriced or empty."""
    t0, t1 = pool.token0, pool.token1
    if t0 not in prices or t1 not in prices:
        return None
    if isinstance(pool, V2Pool):
        if not pool.reserve0 or not pool.reserve1:
            return None
        mid = pool.reserve1 / pool.reserve0
    else:
        mid = (pool.sqrt_price_x96 / 2**96) ** 2
    reference = prices[t0] / prices[t1]
    return abs(mid / reference - 1.0) * 10_000


def healthy_pools(liquidity: Liquidity, prices: dict[str, int], now_s: float,
                  limits: Limits = DEFAULT_LIMITS) -> tuple[Liquidity, dict[str, str]]:
    """The liquidity without pools the pool-deviation breaker trips on, and why each was left out."""
    kept: list[Pool] = []
    left_out: dict[str, str] = {}
    for pool in liquidity.pools:
        dev = pool_deviation_bps(pool, prices)
        if dev is None:
            kept.append(pool)
            continue
        verdict = check(limits, State(), Reading(now_s=now_s, oracle_price=1.0, pool_price=1.0 + dev / 10_000))
        if verdict.ok:
            kept.append(pool)
        else:
            left_out[pool.address] = "; ".join(verdict.reasons())
    return replace(liquidity, pools=tuple(kept)), left_out


def impact_reason(value_in: int, value_out: int, now_s: float, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """None if routing `value_in` for `value_out` (same price scale) keeps under the impact limit."""
    if value_in <= 0:
        return None
    impact_bps = max(value_in - value_out, 0) * 10_000 / value_in
    verdict = check(limits, State(), Reading(now_s=now_s, impact_bps=impact_bps))
    return None if verdict.ok else "; ".join(verdict.reasons())
