"""The circuit breakers the solver checks before it routes (the keeper checks them before it signs).

The rules are `risk.breakers`' — one copy of the logic — applied to what a solver sees
in an auction:

- pool-deviation (fee-aware): a pool whose after-fee marginal prices sit further from a
  reference than its fee plus the limit (default 10 bps, `risk.breakers.Limits`) is left out
  of the liquidity the router may use, with the reason. A pool has up to two references,
  never its own price alone: the feed (the auction's reference prices) and, for a V3 pool
  whose oracle history covers the window, its own TWAP before the auction's block
  (`Auction.twaps`, from `observe()`). A pool pushed in the block before the snapshot is
  far from both; a pool with no TWAP is judged against the feed alone, and the reason says
  so. The auction's other pools, and netting, still serve the batch — except a detour:
  when every pool joining a sold token to an owed token is left out, routing around them
  through other tokens would make the user pay for the push (two hops' fees and the thinner
  pools' impact against the un-pushed price: 32 bps on a $25k sale in the world, measured by
  `tests/integration/test_pool_push.py`), so that residual is not routed this round
  (`detour_reason`): the intents wait, with the reason, for arbitrage to bring the pools back.
  A pair that keeps an honest direct pool is routed through it.
- price-impact: a residual whose route would lose more than the limit (pool fees plus
  impact, at reference prices) is not routed: the clearing drops intents until it fits.
A stale oracle is checked where the reference prices are read (`auction/snapshot.py`).
Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from risk.breakers import Limits, Reading, State, check, fee_aware_deviation_bps
from routing.math.tick import sqrt_ratio_at_tick
from routing.pools import Liquidity, Pool, V2Pool
from solver.domain import PoolTwap

DEFAULT_LIMITS = Limits()
Q96 = 2**96


def mid_price(pool: Pool) -> float | None:
    """The pool's marginal price before fees, token1 base units per token0 base unit; None if empty."""
    if isinstance(pool, V2Pool):
        if not pool.reserve0 or not pool.reserve1:
            return None
        return pool.reserve1 / pool.reserve0
    return (pool.sqrt_price_x96 / Q96) ** 2


def pool_deviation_bps(pool: Pool, prices: Mapping[str, int]) -> float | None:
    """|pool mid price / reference price − 1| in bps (token1 per token0); None if unpriced or empty."""
    t0, t1 = pool.token0, pool.token1
    mid = mid_price(pool)
    if t0 not in prices or t1 not in prices or mid is None:
        return None
    return abs(mid / (prices[t0] / prices[t1]) - 1.0) * 10_000


def _fee_bps(pool: Pool) -> float:
    return pool.fee_pips / 100


def _twap_price(twap: PoolTwap | None) -> float | None:
    if twap is None or twap.mean_tick is None:
        return None
    return (sqrt_ratio_at_tick(twap.mean_tick) / Q96) ** 2


def pool_verdict(pool: Pool, prices: Mapping[str, int], twap: PoolTwap | None, limits: Limits) -> str | None:
    """None if the pool may be routed through; else why not (one sentence per tripped reference)."""
    mid = mid_price(pool)
    if mid is None:
        return None
    fee = _fee_bps(pool)
    references: list[tuple[str, float]] = []
    if pool.token0 in prices and pool.token1 in prices:
        references.append(("the feed", prices[pool.token0] / prices[pool.token1]))
    twap_price = _twap_price(twap)
    if twap_price is not None and twap is not None:
        references.append((f"its {twap.window_s} s TWAP", twap_price))
    reasons = []
    for name, reference in references:
        reading = Reading(now_s=0.0, oracle_price=reference, pool_price=mid, pool_fee_bps=fee)
        verdict = check(limits, State(), reading)
        if not verdict.ok:
            dev = fee_aware_deviation_bps(mid, reference, fee)
            reasons.append(f"pool-deviation: {dev:,.4g} bps from {name} beyond its {fee:g} bps fee "
                           f"> limit {limits.max_pool_deviation_bps:,.4g}")
    if reasons and twap is not None and twap.mean_tick is None:
        reasons.append(f"no TWAP: {twap.why_not}; the feed alone is its reference")
    return "; ".join(reasons) or None


def healthy_pools(liquidity: Liquidity, prices: Mapping[str, int], now_s: float,
                  limits: Limits = DEFAULT_LIMITS,
                  twaps: Mapping[str, PoolTwap] | None = None) -> tuple[Liquidity, dict[str, str]]:
    """The liquidity without pools the pool-deviation breaker trips on, and why each was left out.

    `twaps` (pool address → its TWAP, `Auction.twaps`) adds each V3 pool's own recent past as a
    second reference beside the feed. `now_s` is unused by this breaker (no hysteresis across
    auctions: each is judged afresh) and kept for the callers' symmetry with `impact_reason`.
    """
    kept: list[Pool] = []
    left_out: dict[str, str] = {}
    for pool in liquidity.pools:
        why = pool_verdict(pool, prices, (twaps or {}).get(pool.address), limits)
        if why is None:
            kept.append(pool)
        else:
            left_out[pool.address] = why
    return replace(liquidity, pools=tuple(kept)), left_out


def detour_reason(liquidity: Liquidity, left_out: Mapping[str, str], sells: Mapping[str, int],
                  buys: Mapping[str, int]) -> str | None:
    """Why routing `sells` → `buys` without the left-out pools would be a detour, or None.

    A detour: for a (sold, owed) pair, the breaker left out every pool joining the two, so
    any route would go around them through other tokens. `liquidity` is the auction's,
    before the breaker.
    """
    if not left_out:
        return None
    for sold in sells:
        for owed in buys:
            joining = [p for p in liquidity.pools if {p.token0, p.token1} == {sold, owed}]
            out = [p for p in joining if p.address in left_out]
            kept = [p for p in joining if p.address not in left_out]
            if out and not kept:
                best = min(out, key=lambda p: p.fee_pips)
                return (f"pool-deviation: all {len(out)} pools between {liquidity.symbol(sold)} and "
                        f"{liquidity.symbol(owed)} are left out by the breaker (the cheapest, {best.address}: "
                        f"{left_out[best.address]}); routing around them would charge the user for the push, "
                        "so this waits for the pools to return")
    return None


def impact_reason(value_in: int, value_out: int, now_s: float, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """None if routing `value_in` for `value_out` (same price scale) keeps under the impact limit."""
    if value_in <= 0:
        return None
    impact_bps = max(value_in - value_out, 0) * 10_000 / value_in
    verdict = check(limits, State(), Reading(now_s=now_s, impact_bps=impact_bps))
    return None if verdict.ok else "; ".join(verdict.reasons())
