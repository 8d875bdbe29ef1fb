"""The convex routing relaxation, solved in price space, and the true upper bound it gives.

Primal, in value fractions (`routing.problem`): every curve segment k of every pool
direction (`routing.network`) takes a gross input u_k in [0, w_k] of its token a and pays
out_k(u_k) of its token b (concave). Token t ends with
    h_t = supply_t + sum_{k pays t} out_k - sum_{k takes t} u_k,
which must be >= minimum_t for a wanted token and >= 0 for any other (what is left is
thrown away); maximise sum_{t wanted} h_t. Every route over the snapshot's pools, of any
length, lies in this set: each pool's net trade, however many swaps it took, is one trade on
one of its two curves (with fees, several swaps through one pool never beat one), the
curves never pay less than the integer math, and walks may re-enter a sold token or leave a
wanted one (cycles are allowed here, whether or not a route can execute them).

Dual: for token prices nu with nu_t >= 1 for wanted tokens and nu_t >= 0 otherwise,
    g(nu) = nu . supply + sum_{t wanted} (1 - nu_t) minimum_t + sum_k phi_k(nu),
    phi_k(nu) = max_{0 <= u <= w_k} nu_b out_k(u) - nu_a u     (the segment's arbitrage profit),
with the closed form u* = clip((sqrt(gamma r_in r_out nu_b / nu_a) - r_in) / gamma, 0, w_k).
Weak duality makes g(nu) an upper bound on every route *at any feasible nu*, converged or
not: `upper` is g at the last iterate, inflated by `BOUND_SLACK` for float error. It is
minimised by Newton's method (one variable per token, a few hundred at most) with an exact
line search and an active set for the price floors; at the minimum the gradient is each
token's leftover, so the u*(nu) are the optimal flows (`x`) and nu the marginal value of
each token (`prices`, 1 = its reference price). `surplus[e]` = sum of phi_k over edge e is
what the pool earns at those prices: removing the pool loses at least that much value, and
adding a pool that is not in the problem gains at most its surplus (the gas-aware selection
reads both). Floats only; the caller evaluates the flows in integers.

For a batch: `Demands` may sell several tokens and want several, with minimums, at fixed
prices; the dual's token prices are the natural clearing prices of such a program. A joint
batch program (users' volumes anywhere in their bands, matched against each other and routed)
adds one concave term per user to the same primal, i.e. one more convex term per user to
g(nu), over the same compiled `Network`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routing.errors import NoLiquidityError
from routing.network import FloatArray, Network, compile_network
from routing.problem import Edge, Problem

TOLERANCE = 1e-12  # largest token leftover accepted at the optimum, value fractions
BOUND_SLACK = 1e-10  # relative float error the bound is inflated by (curve breakpoints, sums)
FLOOR = 1e-9  # the lowest price a token that is not wanted may take
VIRTUAL = 1e-3  # largest weight of the curvature a segment *would* have, where it sits at an end
MIN_DAMPING = 1e-12
UNBOUNDED = 1e6  # a wanted token priced past this: its minimum cannot be met
MAX_ROUNDS = 200
STALLED = 1e-14  # a step that moves no price by more than this (relative) is float noise
WOLFE = 0.1  # the line search stops where the slope has fallen to this share of its start


@dataclass(frozen=True)
class ConvexSolution:
    x: dict[int, float]  # edge index -> gross input, value fractions (edges with flow only)
    y: dict[int, float]  # edge index -> output, value fractions
    upper: float  # upper bound on the value delivered, value fractions
    value: float  # value the flows `x` deliver on the real-valued curves
    prices: dict[str, float]  # token -> dual price (1 = its reference price)
    surplus: dict[int, float]  # edge index -> the pool's arbitrage profit at `prices`
    rounds: int
    residual: float  # largest token leftover (or shortfall) the flows leave
    network: Network | None = field(default=None, repr=False, compare=False)  # what was solved


@dataclass(frozen=True)
class _Point:
    nu: FloatArray
    u: FloatArray
    out: FloatArray
    grad: FloatArray


def solve(problem: Problem, edges: Sequence[Edge] | None = None, warm: Mapping[str, float] | None = None,
          tolerance: float = TOLERANCE, max_rounds: int = MAX_ROUNDS, network: Network | None = None,
          ) -> ConvexSolution:
    """Optimal continuous flows over `edges` (default: all of the problem's) and the bound.

    `warm`: token prices to start from (a previous solution's `prices`); `network`: the edges
    already compiled. Raises `NoLiquidityError` when no edge is given or the wanted minimums
    are out of reach."""
    net = network if network is not None else compile_network(problem, edges)
    if not net.edges:
        raise NoLiquidityError("no pool can carry the demand", "pools")
    floor = np.where(net.wanted, 1.0, FLOOR)
    start = np.array([(warm or {}).get(t, 1.0) for t in net.tokens])
    point = _at(net, np.maximum(start, floor))
    rounds, damping = 0, VIRTUAL
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        if _residual(point, floor) <= tolerance:
            break
        step = _newton_direction(net, point, floor, damping)
        if not np.any(step):
            break
        before = point.nu
        point, alpha = _line_search(net, point, step, floor)
        # Levenberg-Marquardt: a full step says the model is good, trust the true curvature more
        damping = max(MIN_DAMPING, damping * 0.1) if alpha >= 0.5 else min(VIRTUAL, damping * 10)
        if np.max(np.abs(point.nu - before)) <= STALLED * np.max(before):
            break  # the prices stopped moving: the leftovers are float noise (deep pools, tiny flows)
        if np.any(point.nu[net.wanted] > UNBOUNDED):
            raise NoLiquidityError("the pools cannot deliver the wanted minimums for what is sold", "buy")
    return _solution(net, point, floor, rounds)


def _at(net: Network, nu: FloatArray) -> _Point:
    """Each segment's best input at prices nu, and the gradient of g (each token's leftover)."""
    na, nb = nu[net.seg_a], nu[net.seg_b]
    z = net.gamma * net.r_out * nb / (net.r_in * na)  # the segment's first marginal rate over nu_a / nu_b
    u = np.minimum(net.r_in * (np.sqrt(np.maximum(z, 1.0)) - 1.0) / net.gamma, net.width)
    paid = net.gamma * u
    out = net.r_out * paid / (net.r_in + paid)
    n = net.size
    grad = (net.supply - np.where(net.wanted, net.minimum, 0.0)
            + np.bincount(net.seg_b, out, n) - np.bincount(net.seg_a, u, n))
    return _Point(nu, u, out, grad)


def _held(point: _Point, floor: FloatArray) -> NDArray[np.bool_]:
    """Prices held at their floor: the token is left over there (a surplus thrown away, or a
    wanted token delivered above its minimum), so lowering g would need a lower price."""
    return (point.nu <= floor) & (point.grad >= 0)


def _anchor(point: _Point, wanted: NDArray[np.bool_]) -> int:
    """The wanted token whose price fixes the scale. g is linear along nu itself (every
    segment's profit is homogeneous in the prices), so Newton's matrix is singular in that
    direction; the optimum has some wanted token at its floor of 1. Hold the cheapest wanted
    token, ties to the one that most wants to fall."""
    idx = np.flatnonzero(wanted)
    return int(idx[np.lexsort((-point.grad[idx], point.nu[idx]))[0]])


def _residual(point: _Point, floor: FloatArray) -> float:
    """Largest gradient entry that could still lower g (a price at its floor may keep a surplus)."""
    held = _held(point, floor)
    return float(np.max(np.abs(np.where(held, 0.0, point.grad)))) if len(point.grad) else 0.0


def _hessian(net: Network, point: _Point, damping: float) -> FloatArray:
    """Sum of the segments' rank-one Hessians. Each edge's next segment to trade, where it
    still sits at its start (prices inside the fee band), counts with weight `damping` (the
    curvature it would have), so that the matrix is not singular where nothing trades yet."""
    nu, u = point.nu, point.u
    a, b = net.seg_a, net.seg_b
    full = u >= net.width
    frontier = ~full & (net.first | np.concatenate(([False], full[:-1])))
    weight = np.where((u > 0) & ~full, 1.0, np.where(frontier, damping, 0.0))
    c = (net.r_in + net.gamma * u) / (2 * net.gamma) * weight
    na, nb = nu[a], nu[b]
    n = net.size
    index = np.concatenate((a * n + a, a * n + b, b * n + a, b * n + b))
    values = np.concatenate((c / na, -c / nb, -c / nb, c * na / (nb * nb)))
    return np.asarray(np.bincount(index, values, n * n).reshape(n, n), dtype=np.float64)


def _newton_direction(net: Network, point: _Point, floor: FloatArray, damping: float) -> FloatArray:
    free = ~_held(point, floor)
    if np.any(net.wanted):
        free[_anchor(point, net.wanted)] = False
    h = _hessian(net, point, damping)[np.ix_(free, free)]
    h[np.diag_indices_from(h)] += 1e-14 * max(1.0, float(np.max(np.abs(np.diag(h))))) + 1e-300
    g = point.grad[free]
    try:
        d_free = np.linalg.solve(h, -g)
    except np.linalg.LinAlgError:
        d_free = np.linalg.lstsq(h, -g, rcond=None)[0]
    if float(d_free @ g) >= 0:  # not a descent direction (numerical trouble): fall back on the gradient
        d_free = -g / max(1e-300, float(np.max(np.abs(np.diag(h)))))
    step = np.zeros_like(point.nu)
    step[free] = d_free
    return step


def _line_search(net: Network, point: _Point, step: FloatArray, floor: FloatArray) -> tuple[_Point, float]:
    """Minimise g along `step` (convex: find where the slope turns), never below the floors;
    returns the new point and the step length taken."""
    slope0 = float(point.grad @ step)
    down = step < 0
    room = (point.nu[down] - floor[down]) / -step[down]
    limit = float(np.min(room)) if room.size else math.inf

    def trial(alpha: float) -> tuple[_Point, float]:
        p = _at(net, np.maximum(point.nu + alpha * step, floor))
        return p, float(p.grad @ step)

    lo, slope_lo = 0.0, slope0
    hi = min(1.0, limit)
    cand, slope_hi = trial(hi)
    while slope_hi < 0 and hi < limit:  # still going down: the step was too short
        lo, slope_lo = hi, slope_hi
        hi = min(hi * 4, limit)
        cand, slope_hi = trial(hi)
    if slope_hi <= 0 or abs(slope_hi) <= WOLFE * abs(slope0):
        return cand, hi
    best = cand
    for _ in range(60):  # the slope changes sign in (lo, hi): regula falsi, Illinois variant
        alpha = hi - slope_hi * (hi - lo) / (slope_hi - slope_lo)
        if not lo < alpha < hi:
            alpha = 0.5 * (lo + hi)
        best, s = trial(alpha)
        if abs(s) <= WOLFE * abs(slope0) or hi - lo <= 1e-16 * hi:
            return best, alpha
        if s < 0:
            lo, slope_lo = alpha, s
            slope_hi *= 0.5
        else:
            hi, slope_hi = alpha, s
            slope_lo *= 0.5
    return best, alpha


def _solution(net: Network, point: _Point, floor: FloatArray, rounds: int) -> ConvexSolution:
    nu, u, out = point.nu, point.u, point.out
    na, nb = nu[net.seg_a], nu[net.seg_b]
    phi = nb * out - na * u
    m = len(net.edges)
    xe, ye, se = (np.bincount(net.seg_edge, w, m) for w in (u, out, phi))
    wanted_minimum = np.where(net.wanted, net.minimum, 0.0)
    dual = (math.fsum(nu * net.supply) + math.fsum((1.0 - nu) * wanted_minimum) + math.fsum(phi))
    value = float(np.sum((point.grad + wanted_minimum)[net.wanted]))
    idx = [e.index for e in net.edges]
    return ConvexSolution(
        x={idx[k]: float(xe[k]) for k in range(m) if xe[k] > 0},
        y={idx[k]: float(ye[k]) for k in range(m) if xe[k] > 0},
        upper=dual * (1 + BOUND_SLACK),
        value=value,
        prices=dict(zip(net.tokens, map(float, nu), strict=True)),
        surplus={idx[k]: float(se[k]) for k in range(m) if se[k] > 0},
        rounds=rounds,
        residual=_residual(point, floor),
        network=net,
    )


def surplus(net: Network, prices: Mapping[str, float]) -> dict[int, float]:
    """Each edge's arbitrage profit at `prices` (tokens missing from `prices` at 1): what adding
    it to a problem solved at those prices could gain at most."""
    nu = np.array([prices.get(t, 1.0) for t in net.tokens])
    point = _at(net, np.maximum(nu, FLOOR))
    phi = nu[net.seg_b] * point.out - nu[net.seg_a] * point.u
    per_edge = np.bincount(net.seg_edge, phi, len(net.edges))
    return {e.index: float(v) for e, v in zip(net.edges, per_edge, strict=True) if v > 0}
