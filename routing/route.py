"""The router's one entry point and its result type.

    route(demands, liquidity, prices, method="milp", gas_price_wei=0) -> RouteResult

Inputs (all integers): `Demands.sell` token -> exact base units to sell; `Demands.buy`
token -> minimum base units wanted (0: as much as possible); `prices` token -> reference
price such that `amount * price` is its value on one common scale (the solver's clearing
price scale); `gas_price_wei`. Tokens are the snapshot's checksummed addresses.

Output: `RouteResult.hops` in execution order, each with its exact `amount_in` and
`amount_out` from the integer pool math applied to the pools' state after the hops
before it (what the chain pays; `routing.execute` turns hops into calldata), the amounts
sold and delivered, value delivered, gas, net value, and `gap_bps`: the distance of the
delivered value to the convex upper bound (same pools, no gas, exact curves), which no
route can beat. `status` says how the milp answer was reached: `optimal`, `feasible` (the
time limit stopped the search with an incumbent), or `fallback:<baseline>` when a simple
route, exactly evaluated, was worth more after gas (the best-feasible fallback).

Methods: `milp` (continuous relaxation -> integer program over the pools it uses and the
best single paths -> exact polish of the split on the chosen pools -> integer
re-evaluation), and the baselines `single-pool`, `single-path`, `split`.
Errors: `RoutingError` / `UnknownTokenError` for bad input (naming the field),
`NoLiquidityError` when the pools cannot carry the demand (no path, minimums out of reach,
an order larger than the pools can take).

Execution from the settlement contract: `routing.execute.interactions(result.hops, routers,
recipient=settlement)` gives approve + swap interactions whose minimums are the exact
amounts above, so the batch pays exactly what was reported or reverts.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from routing import baselines, convex, milp
from routing.errors import NoLiquidityError, PoolMathError, RoutingError
from routing.evaluate import Hop, delivered, flows_to_hops, gas_units
from routing.pools import Liquidity
from routing.problem import MIN_KEPT, Demands, Edge, Problem, build

METHODS = ("milp", *baselines.METHODS)
POLISH_DROPS = 3  # least-used pools tried for removal in each round of the polish
POLISH_BUDGET_S = 0.5  # the drop search stops trying after this long
PATH_SEEDS = 3  # best single paths per pair order added to the program's candidate pools
MAX_LOSS = 1 - MIN_KEPT  # a route that returns less than half the value sold: the pools are too small


@dataclass(frozen=True)
class RouteResult:
    method: str
    hops: tuple[Hop, ...]
    sold: dict[str, int]
    delivered: dict[str, int]
    value_out: int  # sum of delivered * price
    gas_units: int
    gas_value: int  # gas_units * gas_price_wei * price of the native token
    net_value: int  # value_out - gas_value
    bound_value: int | None = None  # upper bound on value_out (no gas), rounded up
    gap_bps: float | None = None
    solve_time_s: float = 0.0
    status: str = "optimal"  # optimal | feasible (time limit) | fallback:<baseline>
    notes: tuple[str, ...] = field(default_factory=tuple)


def upper_bound(problem: Problem) -> tuple[int, convex.ConvexSolution]:
    """The convex upper bound on value delivered (price units, rounded up), and its optimal flows."""
    sol = convex.solve(problem)
    return math.ceil(sol.upper * problem.value_sold), sol


def route(
    demands: Demands,
    liquidity: Liquidity,
    prices: Mapping[str, int],
    method: str = "milp",
    gas_price_wei: int = 0,
    *,
    max_hops: int = 3,
    segments: int = 8,
    solver: str = "cbc",
    time_limit_s: float = 1.0,
    with_bound: bool = True,
) -> RouteResult:
    """Route `demands` over `liquidity`; see the module docstring for the contract.

    `solve_time_s` covers everything the method needs (for `milp`, the continuous
    relaxation that also yields the bound); computing the bound for a baseline is not counted.
    """
    if method not in METHODS:
        raise RoutingError(f"unknown method {method!r}: use one of {', '.join(METHODS)}", "method")
    if gas_price_wei < 0:
        raise RoutingError("gas price must not be negative", "gas_price")
    if not 1 <= max_hops <= 4:
        raise RoutingError(f"max hops must be between 1 and 4, got {max_hops}", "max_hops")
    start = time.perf_counter()
    problem = build(demands, liquidity, prices, gas_price_wei, max_hops)
    notes: list[str] = []
    bound: int | None = None
    if method == "milp":
        bound, relaxed = upper_bound(problem)
        hops, status = _milp_hops(problem, relaxed, segments, solver, time_limit_s, notes)
        elapsed = time.perf_counter() - start
    else:
        hops, status = baselines.METHODS[method](problem), "optimal"
        elapsed = time.perf_counter() - start
        if with_bound:
            bound, _ = upper_bound(problem)
    return _result(problem, method, hops, bound if with_bound else None, elapsed, status, notes)


def _milp_hops(problem: Problem, relaxed: convex.ConvexSolution, segments: int, solver: str,
               time_limit_s: float, notes: list[str]) -> tuple[list[Hop], str]:
    """MILP over the pools the continuous optimum uses, exact polish, and a guard against the baselines."""
    # Pools the gas-free optimum leaves empty do not pay their gas either: the program only
    # has to decide which of the others to keep, which keeps it small at 1,000 pools.
    # The cheapest-in-gas routes (the best single paths) join them: for a small order a
    # direct pool can beat a gas-free optimum that hops through two cheaper-fee pools.
    keep = {e.index for e in problem.edges if relaxed.x.get(e.index, 0.0) > 1e-9}
    keep |= {e.index for path in baselines.best_paths(problem, PATH_SEEDS) for e in path}
    support = [e for e in problem.edges if e.index in keep]
    candidates: list[tuple[list[Hop], str]] = []
    status = "optimal"
    try:
        sol = milp.solve(replace(problem, edges=tuple(support)), segments, solver, time_limit_s, relaxed.x)
        status = sol.status
        chosen = [e for e in support if e.index in sol.flows]
        with contextlib.suppress(PoolMathError):
            candidates.append((flows_to_hops(problem, sol.flows), status))
        polished = _polish(problem, chosen)
        if polished is not None:
            candidates.append((polished, status))
    except NoLiquidityError as exc:
        if "minimums" in str(exc):
            raise
        notes.append(f"integer program failed ({exc})")
    # the best-feasible fallback: a simple route is kept if, exactly evaluated, it is worth more
    for name in ("single-path", "split"):
        with contextlib.suppress(NoLiquidityError, PoolMathError):
            candidates.append((baselines.METHODS[name](problem), f"fallback:{name}"))
    if not candidates:
        raise NoLiquidityError("no route: neither the integer program nor any baseline found one", "pools")
    best, best_status = max(candidates, key=lambda c: _net_value(problem, c[0]))
    return best, best_status


def _exact_split(problem: Problem, edges: Sequence[Edge]) -> list[Hop] | None:
    try:
        return flows_to_hops(problem, convex.solve(problem, edges).x)
    except (NoLiquidityError, PoolMathError):
        return None


def _polish(problem: Problem, chosen: list[Edge]) -> list[Hop] | None:
    """The optimal split on the chosen pools under the exact curves, then a local search that
    drops the least-used pools one at a time while that raises the value after gas: the
    tangents can overstate what a small extra pool adds, never what it costs in gas."""
    best = _exact_split(problem, chosen)
    if best is None:
        return None
    best_net = _net_value(problem, best)
    current = list(chosen)
    improved = True
    deadline = time.perf_counter() + POLISH_BUDGET_S
    while improved and len(current) > 1 and time.perf_counter() < deadline:
        improved = False
        used = {(h.pool, h.token_in): h.amount_in for h in best}
        ranked = sorted(current, key=lambda e: used.get((e.pool.address, e.token_in), 0))
        for edge in ranked[:POLISH_DROPS]:
            trial = [e for e in current if e is not edge]
            hops = _exact_split(problem, trial)
            if hops is not None and _net_value(problem, hops) > best_net:
                best, best_net, current, improved = hops, _net_value(problem, hops), trial, True
                break
    return best


def _net_value(problem: Problem, hops: Sequence[Hop]) -> float:
    got = delivered(hops, list(problem.demands.buy))
    if any(got[t] < m for t, m in problem.demands.buy.items()):
        return float("-inf")
    sold = {t: sum(h.amount_in for h in hops if h.token_in == t) for t in problem.demands.sell}
    if sold != dict(problem.demands.sell):
        return float("-inf")  # a route must sell exactly what the demand sells
    value = sum(a * problem.prices[t] for t, a in got.items())
    return value - gas_units(hops) * problem.gas_value_per_unit


def _result(problem: Problem, method: str, hops: Sequence[Hop], bound: int | None, elapsed: float, status: str,
            notes: list[str]) -> RouteResult:
    got = delivered(hops, list(problem.demands.buy))
    short = [t for t, m in problem.demands.buy.items() if got[t] < m]
    if short:
        sym = problem.liquidity.symbol(short[0])
        raise NoLiquidityError(f"the route delivers {got[short[0]]} {sym}, below the minimum "
                               f"{problem.demands.buy[short[0]]}", "buy")
    value = sum(a * problem.prices[t] for t, a in got.items())
    kept = value / problem.value_sold
    if kept < 1 - MAX_LOSS:
        raise NoLiquidityError(
            f"the order is larger than the pools can take: the best route returns only {kept:.1%} of the "
            f"value sold at reference prices (refused below {1 - MAX_LOSS:.0%}); lower the amount", "sell")
    gas = gas_units(hops)
    gas_value = int(gas * problem.gas_value_per_unit)
    sold = {t: sum(h.amount_in for h in hops if h.token_in == t) for t in problem.demands.sell}
    gap = None if not bound else (bound - value) * 10_000 / bound
    if gap is not None and gap > 100:
        notes.append(f"{gap:.0f} bps below the bound: the pools are thin for this size")
    return RouteResult(method, tuple(hops), sold, got, value, gas, gas_value, value - gas_value, bound, gap,
                       elapsed, status, tuple(notes))
