"""Ticks and Q64.96 square-root prices, exact (the equivalent of v3-core's TickMath).

`sqrt_ratio_at_tick(t) = sqrt(1.0001**t) * 2**96` computed with the same fixed-point
constants and rounding (up, from Q128.128 to Q64.96) as the pool, so every price boundary
matches the chain bit for bit. `tick_at_sqrt_ratio` returns the greatest tick whose ratio
is <= the price, which is how the pool defines it; we find it by search instead of
the pool's log2 bit-twiddling because only the definition has to agree.
"""

from __future__ import annotations

import math

from routing.errors import PoolMathError

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
Q96 = 1 << 96
UINT256_MAX = (1 << 256) - 1

# ratio factors for bits 1..19 of |tick|: 2**128 / sqrt(1.0001)**(2**i), as in the pool
_FACTORS = (
    0xFFF97272373D413259A46990580E213A,
    0xFFF2E50F5F656932EF12357CF3C7FDCC,
    0xFFE5CACA7E10E4E61C3624EAA0941CD0,
    0xFFCB9843D60F6159C9DB58835C926644,
    0xFF973B41FA98C081472E6896DFB254C0,
    0xFF2EA16466C96A3843EC78B326B52861,
    0xFE5DEE046A99A2A811C461F1969C3053,
    0xFCBE86C7900A88AEDCFFC83B479AA3A4,
    0xF987A7253AC413176F2B074CF7815E54,
    0xF3392B0822B70005940C7A398E4B70F3,
    0xE7159475A2C29B7443B29C7FA6E889D9,
    0xD097F3BDFD2022B8845AD8F792AA5825,
    0xA9F746462D870FDF8A65DC1F90E061E5,
    0x70D869A156D2A1B890BB3DF62BAF32F7,
    0x31BE135F97D08FD981231505542FCFA6,
    0x9AA508B5B7A84E1C677DE54F3E99BC9,
    0x5D6AF8DEDB81196699C329225EE604,
    0x2216E584F5FA1EA926041BEDFE98,
    0x48A170391F7DC42444E8FA2,
)


def sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001**tick) as Q64.96, rounded up exactly as the pool rounds. Raises past MAX_TICK."""
    abs_tick = abs(tick)
    if abs_tick > MAX_TICK:
        raise PoolMathError(f"tick {tick} is outside [{MIN_TICK}, {MAX_TICK}]", "tick")
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 1 else 1 << 128
    for bit, factor in enumerate(_FACTORS, start=1):
        if abs_tick & (1 << bit):
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = UINT256_MAX // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick t with sqrt_ratio_at_tick(t) <= sqrt_price_x96."""
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise PoolMathError(f"sqrt price {sqrt_price_x96} is outside the pool's range", "sqrt_price_x96")
    # a float guess is within a tick or two; the exact check settles it
    guess = math.floor(2 * (math.log2(sqrt_price_x96) - 96) / math.log2(1.0001))
    lo, hi = max(MIN_TICK, guess - 2), min(MAX_TICK, guess + 2)
    while sqrt_ratio_at_tick(lo) > sqrt_price_x96:
        lo = max(MIN_TICK, lo - 16)
    while hi < MAX_TICK and sqrt_ratio_at_tick(hi) <= sqrt_price_x96:
        hi = min(MAX_TICK, hi + 16)
    # invariant: ratio(lo) <= price, and ratio(hi) > price unless hi == MAX_TICK
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if sqrt_ratio_at_tick(mid) <= sqrt_price_x96:
            lo = mid
        else:
            hi = mid
    return hi if sqrt_ratio_at_tick(hi) <= sqrt_price_x96 else lo
