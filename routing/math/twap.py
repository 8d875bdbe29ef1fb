"""A Uniswap V3 time-weighted average price from two tick cumulatives, exact. Pure.

`observe([window_s, 0])` on a pool returns the tick cumulatives Σ tick·Δt at `window_s`
seconds ago and now; their difference over the window is the arithmetic mean tick, rounded
toward negative infinity exactly as v3-periphery's `OracleLibrary.consult` rounds it (Python's
floor division does the same: Solidity truncates toward zero, then subtracts one for a
negative remainder). The mean tick's price is the pool's own `sqrt_ratio_at_tick`: a
geometric mean of the window's prices, which one block's push moves by at most
(push ticks) × (seconds it lasted) / window.
"""

from __future__ import annotations

from routing.errors import PoolMathError
from routing.math.tick import MAX_TICK, MIN_TICK, sqrt_ratio_at_tick


def mean_tick(tick_cumulative_then: int, tick_cumulative_now: int, window_s: int) -> int:
    """The window's arithmetic mean tick, rounded toward negative infinity (OracleLibrary.consult)."""
    if window_s <= 0:
        raise PoolMathError(f"window: {window_s} s; a TWAP needs a window of at least one second", "window")
    tick = (tick_cumulative_now - tick_cumulative_then) // window_s
    if not MIN_TICK <= tick <= MAX_TICK:
        raise PoolMathError(f"tick cumulatives give mean tick {tick}, outside [{MIN_TICK}, {MAX_TICK}]", "tick")
    return tick


def twap_sqrt_price_x96(tick_cumulative_then: int, tick_cumulative_now: int, window_s: int) -> int:
    """The TWAP as a Q64.96 square-root price (token1 per token0), the pool's own rounding."""
    return sqrt_ratio_at_tick(mean_tick(tick_cumulative_then, tick_cumulative_now, window_s))
