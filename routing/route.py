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
route can beat. Methods: `milp` (integer program + exact polish), and the baselines
`single-pool`, `single-path`, `split`. Errors: `RoutingError` / `UnknownTokenError` for
bad input, `NoLiquidityError` when the pools cannot carry the demand.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from routing import baselines, convex, milp
from routing.errors import KeelRoutingFallback, NoLiquidityError, PoolMathError, RoutingError
from routing.evaluate import Hop, delivered, flows_to_hops, gas_units
from routing.pools import Liquidity
from routing.problem import Demands, Problem, build

METHODS = ("milp", *baselines.METHODS)
BOUND_HOPS = 3


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
    status: str = "optimal"  # optimal | feasible (time limit) | fallback (integer program failed)
    notes: tuple[str, ...] = field(default_factory=tuple)


def upper_bound(demands: Demands, liquidity: Liquidity, prices: Mapping[str, int], max_hops: int = BOUND_HOPS) -> int:
    """The convex upper bound on value delivered (price units, rounded up)."""
    problem = build(demands, liquidity, prices, 0, max_hops)
    sol = convex.solve(problem)
    return int(sol.upper * problem.value_sold) + 1


def route(
    demands: Demands,
    liquidity: Liquidity,
    prices: Mapping[str, int],
    method: str = "milp",
    gas_price_wei: int = 0,
    *,
    max_hops: int = 2,
    segments: int = 8,
    solver: str = "cbc",
    time_limit_s: float = 5.0,
    bound: int | None = None,
    with_bound: bool = True,
) -> RouteResult:
    """Route `demands` over `liquidity`; see the module docstring for the contract."""
    if method not in METHODS:
        raise RoutingError(f"unknown method {method!r}: use one of {', '.join(METHODS)}", "method")
    if gas_price_wei < 0:
        raise RoutingError("gas price must not be negative", "gas_price")
    start = time.perf_counter()
    problem = build(demands, liquidity, prices, gas_price_wei, max_hops)
    notes: list[str] = []
    status = "optimal"
    if method == "milp":
        try:
            hops, status = _milp_hops(problem, segments, solver, time_limit_s)
        except KeelRoutingFallback as exc:
            notes.append(f"integer program failed ({exc}); best baseline used")
            hops, status = _best_baseline(problem), "fallback"
    else:
        hops = baselines.METHODS[method](problem)
    elapsed = time.perf_counter() - start
    if with_bound and bound is None:
        bound = upper_bound(demands, liquidity, prices, max(BOUND_HOPS, max_hops))
    return _result(problem, method, hops, bound, elapsed, status, notes)


def _milp_hops(problem: Problem, segments: int, solver: str, time_limit_s: float) -> tuple[list[Hop], str]:
    try:
        sol = milp.solve(problem, segments, solver, time_limit_s)
    except NoLiquidityError as exc:
        if "minimums" in str(exc):
            raise
        raise KeelRoutingFallback(str(exc)) from None
    chosen = [e for e in problem.edges if e.index in sol.flows]
    candidates: list[list[Hop]] = []
    try:  # polish: the optimal split on the chosen pools under the exact curves
        polished = convex.solve(problem, chosen)
        candidates.append(flows_to_hops(problem, polished.x))
    except (NoLiquidityError, PoolMathError):
        pass
    with contextlib.suppress(PoolMathError):
        candidates.append(flows_to_hops(problem, sol.flows))
    if not candidates:
        raise KeelRoutingFallback("no chosen route survives exact evaluation")
    best = max(candidates, key=lambda h: _net_value(problem, h))
    return best, sol.status


def _best_baseline(problem: Problem) -> list[Hop]:
    options = []
    for fn in baselines.METHODS.values():
        try:
            options.append(fn(problem))
        except (NoLiquidityError, PoolMathError):
            continue
    if not options:
        raise NoLiquidityError("no route: neither the integer program nor any baseline found one", "pools")
    return max(options, key=lambda h: _net_value(problem, h))


def _net_value(problem: Problem, hops: Sequence[Hop]) -> float:
    got = delivered(hops, list(problem.demands.buy))
    if any(got[t] < m for t, m in problem.demands.buy.items()):
        return float("-inf")
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
    gas = gas_units(hops)
    gas_value = int(gas * problem.gas_value_per_unit)
    sold = {t: sum(h.amount_in for h in hops if h.token_in == t) for t in problem.demands.sell}
    gap = None if not bound else (bound - value) * 10_000 / bound
    if gap is not None and gap > 100:
        notes.append(f"{gap:.0f} bps below the bound: the pools are thin for this size")
    return RouteResult(method, tuple(hops), sold, got, value, gas, gas_value, value - gas_value, bound, gap,
                       elapsed, status, tuple(notes))
