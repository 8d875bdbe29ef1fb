"""An independent convex router, for checking keel's: one Clarabel solve (via cvxpy) over all pools.

It shares no optimiser code with `routing/` and builds its own pieces from the raw pool
data: a V2 pair is one constant-product piece without end; a V3 pool, in each direction,
one constant-product piece per stretch of constant liquidity between initialized ticks
(liquidity summed in integers, sqrt prices as 1.0001 ** (tick / 2)), walked from the pool's
price. Every piece k takes a gross input u_k in [0, w_k] and pays at most
    v_k <= R_out * g u_k / (R_in + g u_k)     (g = 1 - fee, R = the piece's virtual reserves)
       = m_k * (u_k - g * u_k^2 / (R_in + g u_k))       (m_k = g R_out / R_in, its first rate),
a linear rate less a convex loss, held by a rotated second-order cone per piece:
w_k (1 + g u_k / R_in) >= u_k^2, v_k <= m_k (u_k - g w_k / R_in). Written this way every
cone entry is O(1) even on a pool a million times the order (the plain hyperbola would ask
the solver to resolve 1 - 1e-7 against 1).
Every token ends with supply + inflow - outflow >= 0 (>= the minimum for a wanted token);
maximise what the wanted tokens receive, at reference prices, in value fractions of the
order (as keel does, so both see O(1) numbers). Walks of any length and cycles are in it.

Pieces whose first marginal rate has fallen below `MIN_RATE` of the reference price
(a price 1,000x off) are left out: no sane route reaches them, and their enormous virtual
reserves only hurt the interior-point solver's conditioning. The result is therefore an
*estimate* of the optimum to Clarabel's tolerance, not a certified bound; the bench reports
keel's gap to it beside keel's own bound. Needs the `dev` extras (cvxpy, clarabel).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from routing.pools import Liquidity, V2Pool, V3Pool
from routing.problem import Demands

MIN_RATE = 1e-3
MAX_WIDTH = 1e6  # a piece wider than a million orders cannot fill up: its end is not a constraint
Q96 = 2.0**96


@dataclass(frozen=True)
class Piece:
    pool: str
    token_in: str
    token_out: str
    gamma: float
    r_in: float  # virtual reserves, value fractions
    r_out: float
    width: float  # gross input, value fractions (inf: no end)


@dataclass(frozen=True)
class Reference:
    value: float  # optimal value delivered, value fractions (Clarabel's objective)
    flows: dict[tuple[str, str], float]  # (pool, token_in) -> gross input, value fractions
    time_s: float  # model building and solving
    status: str


def _v3_pieces(pool: V3Pool, token_in: str) -> list[tuple[float, float, float]]:
    """(r_in, r_out, net width) in base units, from the pool's price outward."""
    down = token_in == pool.token0
    price = pool.sqrt_price_x96 / Q96
    liquidity = pool.liquidity
    ticks = [t for t in pool.ticks if (t[0] <= pool.tick if down else t[0] > pool.tick)]
    ticks.sort(reverse=down)
    pieces = []
    for tick, net in ticks:
        boundary = 1.0001 ** (tick / 2)
        if liquidity > 0 and (boundary < price if down else boundary > price):
            big = float(liquidity)
            if down:
                pieces.append((big / price, big * price, big * (1 / boundary - 1 / price)))
            else:
                pieces.append((big * price, big / price, big * (boundary - price)))
            price = boundary
        liquidity += -net if down else net
    return pieces


def pieces(liq: Liquidity, prices: Mapping[str, int], value_sold: int) -> list[Piece]:
    out = []
    for pool in liq.pools:
        if prices.get(pool.token0, 0) <= 0 or prices.get(pool.token1, 0) <= 0:
            continue
        gamma = 1 - pool.fee_pips / 1e6
        for a, b in ((pool.token0, pool.token1), (pool.token1, pool.token0)):
            sa, sb = prices[a] / value_sold, prices[b] / value_sold
            if isinstance(pool, V2Pool):
                r_in, r_out = (pool.reserve0, pool.reserve1) if a == pool.token0 else (pool.reserve1, pool.reserve0)
                raw = [(float(r_in), float(r_out), math.inf)] if r_in > 0 and r_out > 0 else []
            else:
                raw = _v3_pieces(pool, a)
            for r_in, r_out, net_width in raw:
                rate = gamma * (r_out * sb) / (r_in * sa)
                if rate < MIN_RATE:
                    break  # every later piece pays even less
                out.append(Piece(pool.address, a, b, gamma, r_in * sa, r_out * sb, net_width / gamma * sa))
    return out


def solve(liq: Liquidity, prices: Mapping[str, int], demands: Demands) -> Reference:
    """The optimal continuous route, by Clarabel, in value fractions of the order."""
    import cvxpy as cp
    import numpy as np
    import scipy.sparse as sp

    started = time.perf_counter()
    value_sold = sum(a * prices[t] for t, a in demands.sell.items())
    ps = pieces(liq, prices, value_sold)
    tokens = sorted({t for p in ps for t in (p.token_in, p.token_out)} | set(demands.sell) | set(demands.buy))
    at = {t: i for i, t in enumerate(tokens)}
    k = len(ps)
    r_in = np.array([p.r_in for p in ps])
    r_out = np.array([p.r_out for p in ps])
    gamma = np.array([p.gamma for p in ps])
    width = np.array([p.width for p in ps])
    outgoing = sp.csr_matrix((np.ones(k), ([at[p.token_in] for p in ps], range(k))), shape=(len(tokens), k))
    incoming = sp.csr_matrix((np.ones(k), ([at[p.token_out] for p in ps], range(k))), shape=(len(tokens), k))
    supply = np.zeros(len(tokens))
    floor = np.zeros(len(tokens))
    for t, a in demands.sell.items():
        supply[at[t]] = a * prices[t] / value_sold
    for t, a in demands.buy.items():
        floor[at[t]] = a * prices[t] / value_sold
    wanted = np.array([t in demands.buy for t in tokens], dtype=float)
    rate = gamma * r_out / r_in
    u, v, w = cp.Variable(k, nonneg=True), cp.Variable(k, nonneg=True), cp.Variable(k, nonneg=True)
    held = supply + incoming @ v - outgoing @ u
    depth = 1 + cp.multiply(gamma / r_in, u)
    finite = width < MAX_WIDTH
    constraints = [cp.SOC(w + depth, cp.vstack([2 * u, w - depth]), axis=0),
                   v <= cp.multiply(rate, u - cp.multiply(gamma / r_in, w)),
                   held >= floor]
    if finite.any():
        constraints.append(u[np.flatnonzero(finite)] <= width[finite])
    problem = cp.Problem(cp.Maximize(wanted @ held), constraints)
    problem.solve(solver=cp.CLARABEL)  # default tolerances (1e-8): tighter ones only add "inaccurate" flags
    flows: dict[tuple[str, str], float] = {}
    if u.value is not None:
        for p, x in zip(ps, u.value, strict=True):
            if x > 0:
                flows[(p.pool, p.token_in)] = flows.get((p.pool, p.token_in), 0.0) + float(x)
    value = float(problem.value) if problem.value is not None else math.nan
    return Reference(value, flows, time.perf_counter() - started, str(problem.status))
