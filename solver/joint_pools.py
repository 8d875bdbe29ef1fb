"""The pools in keel's joint program: curve segments, their columns under tangent cuts, and the LP's plain form.

Each pool direction's exact curve (`routing.curves`) as constant-product segments in units of S
(`segments`); per segment a gross input `u_s` and an output `y_s` under tangents of its exact
output — an outer approximation of a concave function, refined by cutting planes at the
solution (`add_cuts`); the program as plain named columns and rows (`Model`) and its handover
to HiGHS (`to_highs`). `solver.joint` builds the intents' rows on top. Floats only inside.
Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keel.units import USD_PRICE_SCALE
from routing.curves import curve
from routing.pools import Liquidity

CUT_ROUNDS = 12  # cutting-plane rounds: add the tangent at each used segment's input, re-solve
CUT_TOLERANCE = 2e-7  # a segment whose output overshoots its curve by less than this (units of S) needs no cut: float noise
FIRST_CUTS = 48  # starting tangents per segment, geometrically spaced below its width (few segments, many users:
CUT_SPACING = 1.4  # dense cuts up front cost less than re-solving the users' part for each cutting-plane round)
MAX_INPUT = 20.0  # settle mode: no segment takes more than 20 x the batch's scale (a V2 pair has no width)
FAR_INPUT = 1e3  # a segment without a width (a V2 pair) gets its first tangents below this many times r_in / gamma


@dataclass(frozen=True)
class Segment:
    """One constant-product piece of one pool direction, in units of S."""

    pool: str
    token_in: str
    token_out: str
    gamma: float
    r_in: float
    r_out: float
    width: float

    def output(self, u: float) -> float:
        paid = self.gamma * u
        return self.r_out * paid / (self.r_in + paid)

    def slope(self, u: float) -> float:
        d = self.r_in + self.gamma * u
        return self.gamma * self.r_in * self.r_out / (d * d)


def segments(liquidity: Liquidity, prices: Mapping[str, int], scale_usd: float,
             cap: float = math.inf) -> list[Segment]:
    """Every curve segment of every pool direction whose tokens both have a price, in units of S,
    its input at most `cap`. Only the settle program caps (`MAX_INPUT`): a bound must allow every
    volume a settlement could send. A segment wider than `FAR_INPUT` r_in / gamma (a V2 pair, a
    full-range V3 position's last piece, ~1e25 x S) gets no input bound at all — a looser
    relaxation, still a bound, and no astronomically large coefficient for the solver; its
    tangents keep the output under its reserve."""
    out = []
    for pool in liquidity.pools:
        for a, b in ((pool.token0, pool.token1), (pool.token1, pool.token0)):
            if prices.get(a, 0) <= 0 or prices.get(b, 0) <= 0:
                continue
            c = curve(pool, a)
            if c.cap <= 0:
                continue
            s_in = prices[a] / USD_PRICE_SCALE / scale_usd
            s_out = prices[b] / USD_PRICE_SCALE / scale_usd
            for w, r_in, r_out in zip(c.widths, c.seg_r_in, c.seg_r_out, strict=True):
                width = min(w * s_in, cap) if not math.isinf(w) else cap
                if width > FAR_INPUT * r_in * s_in / c.gamma:
                    width = min(math.inf, cap)
                if width > 0 and r_in > 0 and r_out > 0:
                    out.append(Segment(pool.address, a, b, c.gamma, r_in * s_in, r_out * s_out, width))
    return out


class Model:
    """Columns and rows as plain lists, named, before they go to HiGHS."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.rows: list[tuple[str, float, float, dict[int, float]]] = []

    def col(self, name: str, lower: float = 0.0, upper: float = math.inf, cost: float = 0.0) -> int:
        self.names.append(name)
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        return len(self.names) - 1

    def row(self, name: str, lower: float, upper: float, coefs: dict[int, float]) -> None:
        self.rows.append((name, lower, upper, coefs))




def define_pools(m: Model, segs: list[Segment]) -> list[tuple[int, int]]:
    """u_s, y_s per segment with the first tangents. Returns (u, y) column pairs."""
    cols = []
    for n, s in enumerate(segs):
        u = m.col(f"u_{n}", 0.0, s.width)
        y = m.col(f"y_{n}")
        cols.append((u, y))
        for c, point in enumerate(_first_points(s)):
            _cut(m, f"cut_{n}_{c}", s, u, y, point)
    return cols


def _first_points(s: Segment) -> list[float]:
    span = min(s.width, FAR_INPUT * s.r_in / s.gamma)
    return [0.0] + [span * CUT_SPACING ** -c for c in range(FIRST_CUTS - 1)]


def _cut(m: Model, name: str, s: Segment, u: int, y: int, point: float) -> None:
    """y <= f(p) + f'(p) (u - p): a tangent lies above a concave curve."""
    slope = s.slope(point)
    m.row(name, -math.inf, s.output(point) - slope * point, {y: 1.0, u: -slope})


def add_cuts(h: Any, segs: list[Segment], pool_cols: list[tuple[int, int]], values: list[float]) -> int:
    """Add the tangent at each segment's current input where its output overshoots the curve."""
    import numpy as np

    lower: list[float] = []
    upper: list[float] = []
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for s, (u, y) in zip(segs, pool_cols, strict=True):
        x = values[u]
        if x <= 0 or values[y] - s.output(x) <= CUT_TOLERANCE:
            continue
        slope = s.slope(x)
        starts.append(len(index))
        index += [y, u]
        value += [1.0, -slope]
        lower.append(-math.inf)
        upper.append(s.output(x) - slope * x)
    if starts:
        h.addRows(len(starts), np.array(lower), np.array(upper), len(index), np.array(starts, dtype=np.int32),
                  np.array(index, dtype=np.int32), np.array(value))
    return len(starts)


def to_highs(m: Model) -> Any:
    import highspy
    import numpy as np

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    # interior point, then crossover: on a thousand users 2-6x faster than simplex here, and its
    # optimum agrees with simplex at 1e-9 feasibility tolerances to ~1e-7 of the objective
    h.setOptionValue("solver", "ipm")
    inf = highspy.kHighsInf
    n = len(m.names)
    h.addVars(n, np.array(m.lower), np.minimum(np.array(m.upper), inf))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(m.cost))
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for _, _, _, coefs in m.rows:
        starts.append(len(index))
        index += list(coefs)
        value += list(coefs.values())
    h.addRows(len(m.rows), np.maximum(np.array([r[1] for r in m.rows]), -inf),
              np.minimum(np.array([r[2] for r in m.rows]), inf), len(index), np.array(starts, dtype=np.int32),
              np.array(index, dtype=np.int32), np.array(value))
    return h


def set_time_limit(h: Any, time_limit_s: float) -> None:
    if math.isfinite(time_limit_s):
        h.setOptionValue("time_limit", max(0.01, float(time_limit_s)))
