"""Real-valued output curves of one pool direction, for the optimisers only.

`Curve.at(x)` gives the output and its derivative for a real input `x` (base units, fee
included). The curves are the pools' exact formulas without integer rounding, so they
are concave and never below the integer result: an optimum over them is an upper bound
on what the chain can pay. Beyond `cap` (the input that exhausts the known liquidity)
the output stays flat.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from routing.math.v2 import marginal_out
from routing.pools import Pool, V2Pool

Q96 = float(1 << 96)
V2_CAP_FACTOR = 10.0  # past 10x the reserve, >90% of the pair is drained: no router should go there


@dataclass(frozen=True)
class Curve:
    """Output of `pool` for input `token_in`, as a real function."""

    pool: Pool
    token_in: str
    gamma: float  # 1 - fee
    cap: float
    # V3 only: per liquidity segment, cumulative net input at its start, output at its start,
    # sqrt price at its start and its liquidity
    seg_x: tuple[float, ...] = ()
    seg_y: tuple[float, ...] = ()
    seg_s: tuple[float, ...] = ()
    seg_l: tuple[float, ...] = ()
    zero_for_one: bool = True

    def at(self, x: float) -> tuple[float, float]:
        """(output, d output / d input) at real input `x` >= 0."""
        x = max(0.0, x)
        flat = x >= self.cap
        x = min(x, self.cap)
        if isinstance(self.pool, V2Pool):
            r_in, r_out = self.pool._reserves(self.token_in)
            y, dy = marginal_out(x, r_in, r_out)
            return y, 0.0 if flat else dy
        if not self.seg_x:
            return 0.0, 0.0
        net = x * self.gamma
        i = max(0, bisect_right(self.seg_x, net) - 1)
        r = net - self.seg_x[i]
        s_a, liq = self.seg_s[i], self.seg_l[i]
        # written without differences of nearly equal numbers: a tiny input on a deep pool
        # must not lose its digits to cancellation
        if self.zero_for_one:
            s = s_a * liq / (liq + r * s_a)
            y, slope = self.seg_y[i] + s_a * s * r, s * s
        else:
            s = s_a + r / liq
            y, slope = self.seg_y[i] + r / (s_a * s), 1.0 / (s * s)
        return y, 0.0 if flat else slope * self.gamma


def curve(pool: Pool, token_in: str) -> Curve:
    """Build the real-valued curve of one pool direction."""
    gamma = 1.0 - pool.fee_pips / 1e6
    if isinstance(pool, V2Pool):
        r_in, _ = pool._reserves(token_in)
        return Curve(pool, token_in, gamma, r_in * V2_CAP_FACTOR)
    from routing.math.tick import MAX_TICK, MIN_TICK, sqrt_ratio_at_tick

    zero_for_one = token_in == pool.token0
    s = pool.sqrt_price_x96 / Q96
    liq = float(pool.liquidity)
    if zero_for_one:
        bounds = [t for t in reversed(pool.ticks) if t[0] <= pool.tick]
        lo_word_tick = max(MIN_TICK, (pool.word_lo << 8) * pool.tick_spacing)
        stops = [*bounds, (lo_word_tick, 0)]
    else:
        bounds = [t for t in pool.ticks if t[0] > pool.tick]
        hi_word_tick = min(MAX_TICK, ((pool.word_hi << 8) + 255) * pool.tick_spacing)
        stops = [*bounds, (hi_word_tick, 0)]
    xs: list[float] = []
    ys: list[float] = []
    ss: list[float] = []
    ls: list[float] = []
    x_cum = y_cum = 0.0
    for tick, net in stops:
        s_b = sqrt_ratio_at_tick(tick) / Q96
        if liq > 0 and (s_b < s if zero_for_one else s_b > s):
            xs.append(x_cum)
            ys.append(y_cum)
            ss.append(s)
            ls.append(liq)
            if zero_for_one:
                x_cum += liq * (s - s_b) / (s * s_b)
                y_cum += liq * (s - s_b)
            else:
                x_cum += liq * (s_b - s)
                y_cum += liq * (s_b - s) / (s * s_b)
        s = s_b if (s_b < s if zero_for_one else s_b > s) else s
        liq += -net if zero_for_one else net
    # stop a hair short of the last boundary so float error never promises more than the pool has
    cap = x_cum / gamma * (1 - 1e-9)
    return Curve(pool, token_in, gamma, cap, tuple(xs), tuple(ys), tuple(ss), tuple(ls), zero_for_one)
