"""Real-valued output curves of one pool direction, for the optimisers only.

A curve is a chain of constant-product *segments*. A V2 pair is one segment without end;
a V3 pool has one segment per stretch of constant liquidity between initialized ticks,
walked from the current price in the swap's direction. Segment k starts at gross input
`seg_x[k]` (fee included) and output `seg_y[k]`, and behaves like a V2 pair with virtual
reserves `seg_r_in[k]`, `seg_r_out[k]`: with `u` the net input into the segment (gross
times `gamma`), its output is `r_out * u / (r_in + u)`.

The liquidity walked across ticks is summed in integers, exactly as the pool sums it: past
the last initialized tick it is exactly zero, so a curve never claims input capacity the
pool does not have (a float sum leaves a residue of ~1 that a relaxation would drain).
`cap` is the gross input that exhausts the known liquidity (infinite for V2); past it the
output stays flat.

The curves are the pools' formulas without integer rounding, so they are concave and never
below what the integer math pays (up to float error, ~1e-12 relative): an optimum over them
bounds what the chain can pay. Floats only; no I/O.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import lru_cache

from routing.math.tick import MAX_TICK, MIN_TICK
from routing.pools import Pool, V2Pool, V3Pool

Q96 = float(1 << 96)


def _split_log() -> tuple[float, float]:
    """ln(1.0001) / 2 as a float with 30 significant bits, so that tick * high is exact for every
    tick (20 bits), and the float nearest the rest."""
    half_log = Decimal("1.0001").ln(Context(prec=50)) / 2
    exponent = math.frexp(float(half_log))[1]
    high = math.ldexp(round(math.ldexp(float(half_log), 30 - exponent)), exponent - 30)
    return high, float(half_log - Decimal(high))


_LOG_HIGH, _LOG_LOW = _split_log()


def sqrt_price(tick: int) -> float:
    """sqrt(1.0001 ** tick) within a few ulp (the pool's own Q64.96 value to ~1e-15 relative),
    at a small fraction of the integer TickMath's cost."""
    return math.exp(tick * _LOG_HIGH) * math.exp(tick * _LOG_LOW)


@dataclass(frozen=True)
class Curve:
    """Output of `pool` for input `token_in`, as a real function of the gross input."""

    pool: Pool
    token_in: str
    gamma: float  # 1 - fee
    cap: float  # gross input that exhausts the known liquidity (math.inf for V2)
    seg_x: tuple[float, ...] = ()
    seg_y: tuple[float, ...] = ()
    seg_r_in: tuple[float, ...] = ()
    seg_r_out: tuple[float, ...] = ()

    def at(self, x: float) -> tuple[float, float]:
        """(output, d output / d gross input) at real input `x` >= 0; flat past `cap`."""
        if not self.seg_x:
            return 0.0, 0.0
        x = max(0.0, x)
        flat = x >= self.cap
        x = min(x, self.cap)
        if math.isinf(x):  # a V2 pair fed without end pays its whole output reserve
            return self.seg_y[-1] + self.seg_r_out[-1], 0.0
        i = max(0, bisect_right(self.seg_x, x) - 1)
        u = (x - self.seg_x[i]) * self.gamma
        r_in, r_out = self.seg_r_in[i], self.seg_r_out[i]
        d = r_in + u
        y = self.seg_y[i] + r_out * u / d
        return y, 0.0 if flat else self.gamma * r_in * r_out / (d * d)

    @property
    def widths(self) -> tuple[float, ...]:
        """Gross input width of each segment (the last one ends at `cap`)."""
        ends = (*self.seg_x[1:], self.cap)
        return tuple(b - a for a, b in zip(self.seg_x, ends, strict=True))


CACHE_SIZE = 1 << 14  # curves kept (one per pool direction): a solver routes many times over one snapshot


@lru_cache(maxsize=CACHE_SIZE)
def curve(pool: Pool, token_in: str) -> Curve:
    """Build the real-valued curve of one pool direction (cached: pools are immutable)."""
    gamma = 1.0 - pool.fee_pips / 1e6
    if isinstance(pool, V2Pool):
        r_in, r_out = pool._reserves(token_in)
        if r_in <= 0 or r_out <= 0:
            return Curve(pool, token_in, gamma, 0.0)
        return Curve(pool, token_in, gamma, math.inf, (0.0,), (0.0,), (float(r_in),), (float(r_out),))
    down, up = _v3_curves(pool, gamma)
    return down if token_in == pool.token0 else up


def _v3_curves(pool: V3Pool, gamma: float) -> tuple[Curve, Curve]:
    """Both directions of a V3 pool: the ticks below its price walked down, those above walked up."""
    lo = max(MIN_TICK, (pool.word_lo << 8) * pool.tick_spacing)
    hi = min(MAX_TICK, ((pool.word_hi << 8) + 255) * pool.tick_spacing)
    ticks = pool.ticks
    if ticks and (ticks[0][0] < lo or ticks[-1][0] > hi):
        ticks = tuple(t for t in ticks if lo <= t[0] <= hi)
    split = bisect_right(ticks, pool.tick, key=_tick_of)
    below = [*reversed(ticks[:split]), (lo, 0)]  # crossed going down, nearest first
    above = [*ticks[split:], (hi, 0)]
    s = pool.sqrt_price_x96 / Q96
    return (_walk(pool, pool.token0, gamma, below, s, True), _walk(pool, pool.token1, gamma, above, s, False))


def _tick_of(entry: tuple[int, int]) -> int:
    return entry[0]


def _walk(pool: V3Pool, token_in: str, gamma: float, stops: list[tuple[int, int]], s: float,
          down: bool) -> Curve:
    """Segments from the price `s` across `stops` (tick, liquidity_net) in the swap's direction.
    Where no liquidity is in range the price jumps to the next tick with liquidity (no segment);
    a tick's sqrt price is computed only where a segment needs it."""
    liquidity = pool.liquidity  # an int, summed as the pool sums it
    xs: list[float] = []
    ys: list[float] = []
    r_ins: list[float] = []
    r_outs: list[float] = []
    x_net = y_cum = 0.0
    skipped: int | None = None  # the last tick crossed with no liquidity in range
    for tick, net in stops:
        if liquidity > 0:
            if skipped is not None:
                jump = sqrt_price(skipped)
                s = min(s, jump) if down else max(s, jump)
                skipped = None
            s_b = math.exp(tick * _LOG_HIGH) * math.exp(tick * _LOG_LOW)
            big_l = float(liquidity)
            if down and s_b < s:  # token0 in: virtual reserves L/sqrt(P) of token0, L*sqrt(P) of token1
                xs.append(x_net / gamma)
                ys.append(y_cum)
                r_ins.append(big_l / s)
                r_outs.append(big_l * s)
                x_net += big_l * (1.0 / s_b - 1.0 / s)
                y_cum += big_l * (s - s_b)
                s = s_b
            elif not down and s_b > s:
                xs.append(x_net / gamma)
                ys.append(y_cum)
                r_ins.append(big_l * s)
                r_outs.append(big_l / s)
                x_net += big_l * (s_b - s)
                y_cum += big_l * (1.0 / s - 1.0 / s_b)
                s = s_b
        else:
            skipped = tick
        liquidity += -net if down else net
        if liquidity < 0:
            break  # an inconsistent tick table: nothing past this point can be trusted
    return Curve(pool, token_in, gamma, x_net / gamma, tuple(xs), tuple(ys), tuple(r_ins), tuple(r_outs))
