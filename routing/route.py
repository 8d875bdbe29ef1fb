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
delivered value to `bound_value`, a true upper bound on what any route over these pools
can deliver before gas (the convex relaxation over every pool and path, cycles included,
at the dual prices the solver stopped at; see `routing.convex`). `status` says how the
route was reached: `optimal` (the convex optimum, at gas 0, or the integer program's
proven optimum), `selected` (the gas-aware selection), `feasible` (the integer program's
incumbent at its time limit), or `fallback:<baseline>` when a simple route, exactly
evaluated, was worth more after gas.

Methods: `milp` (keel's router: the convex optimum over all pools, and with gas the
gas-aware selection built from it, guarded by the baselines and, should one beat it, the
integer program over the pools the optimum and the best paths use), and the baselines
`single-pool`, `single-path`, `split`.
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
from routing.select import Selection, select

METHODS = ("milp", *baselines.METHODS)
PATH_SEEDS = 3  # best single paths per pair order added to the integer program's candidate pools
MAX_LOSS = 1 - MIN_KEPT  # a route that returns less than half the value sold: the pools are too small
SELECTION_BUDGET_S = 0.5  # the gas-aware selection stops trying drops after this long
REFINE_ROUNDING = 1e-6  # at gas 0, a route whose hops may round away less than 0.01 bp is left alone
REFINE_DROPS = 3  # least-used pools tried for removal in each round of the exact refinement
REFINE_BUDGET_S = 0.2
EXACT_CANDIDATES = 3  # selections evaluated in integers, best by the relaxation first
RESPLIT_SHIFTS = 12  # `_resplit`'s steps each way
RESPLIT_SPAN = 0.25  # `_resplit` moves the split by up to this share of what the two pools carry
SECOND_POOL_SHARE = 1e-9  # `_second_pool`'s flow: only what the first pool's least input leaves
RESPLIT_BUDGET_S = 0.2  # a safety valve: 2 x RESPLIT_SHIFTS exact evaluations take ~5 ms


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
    bound_value: int | None = None  # true upper bound on value_out (no gas), rounded up
    gap_bps: float | None = None
    solve_time_s: float = 0.0
    status: str = "optimal"  # optimal | selected | feasible (time limit) | fallback:<baseline>
    notes: tuple[str, ...] = field(default_factory=tuple)


def upper_bound(problem: Problem) -> tuple[int, convex.ConvexSolution]:
    """The true upper bound on value delivered (price units, rounded up), and the optimal flows."""
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
    solver: str = "highs",
    time_limit_s: float = 1.0,
    with_bound: bool = True,
) -> RouteResult:
    """Route `demands` over `liquidity`; see the module docstring for the contract.

    `max_hops` limits only the paths the baselines and the integer program's seeds
    enumerate; `segments` and `solver` shape the integer program (the fallback).
    `solve_time_s` covers everything the method needs (for `milp`, the convex optimum that
    also yields the bound); computing the bound for a baseline is not counted.
    """
    if method not in METHODS:
        raise RoutingError(f"unknown method {method!r}: use one of {', '.join(METHODS)}", "method")
    if gas_price_wei < 0:
        raise RoutingError("gas price must not be negative", "gas_price")
    if not 1 <= max_hops <= 4:
        raise RoutingError(f"max hops must be between 1 and 4, got {max_hops}", "max_hops")
    if segments < 1:
        raise RoutingError(f"segments must be at least 1, got {segments}", "segments")
    if solver not in milp.SOLVERS:
        raise RoutingError(f"unknown solver {solver!r}: use one of {', '.join(milp.SOLVERS)}", "solver")
    start = time.perf_counter()
    problem = build(demands, liquidity, prices, gas_price_wei, max_hops)
    notes: list[str] = []
    bound: int | None = None
    if method == "milp":
        bound, free = upper_bound(problem)
        hops, status = _optimise(problem, free, segments, solver, time_limit_s, notes)
        elapsed = time.perf_counter() - start
    else:
        hops, status = baselines.METHODS[method](problem), "optimal"
        elapsed = time.perf_counter() - start
        if with_bound:
            bound, _ = upper_bound(problem)
    return _result(problem, method, hops, bound if with_bound else None, elapsed, status, notes)


def _optimise(problem: Problem, free: convex.ConvexSolution, segments: int, solver: str,
              time_limit_s: float, notes: list[str]) -> tuple[list[Hop], str]:
    """The convex optimum in integers and the selections built from it (pools worth their gas
    and rounding); with gas, guarded by the baselines, and the integer program if a baseline
    beats every selection."""
    paid = problem.gas_value_per_unit > 0
    status = "selected" if paid else "optimal"
    candidates: list[tuple[list[Hop], str]] = []
    exact = _hops(problem, free.x)
    if exact is not None:
        candidates.append((exact, status))
        deadline = time.perf_counter() + RESPLIT_BUDGET_S  # both passes share it
        for fee_exact in (False, True):
            resplit = _resplit(problem, free.x, exact, deadline, fee_exact)
            if resplit is not exact:
                candidates.append((resplit, status))
    quotes = baselines.Quotes()  # the seeds and the guards quote the same paths
    seeds = _seeds(problem, quotes) if paid else []
    chosen = select(problem, free, seeds, min(SELECTION_BUDGET_S, time_limit_s))
    for selection in chosen[:EXACT_CANDIDATES]:
        hops = exact if selection.solution is free else _hops(problem, selection.solution.x)
        if hops is not None:
            candidates.append((_refine(problem, selection, hops), status))
    if not paid and any(_complete(problem, h) for h, _ in candidates):
        return max(candidates, key=lambda c: _net_value(problem, c[0]))
    guards: list[tuple[list[Hop], str]] = []
    for name in ("single-path", "split"):
        with contextlib.suppress(NoLiquidityError, PoolMathError):
            guards.append((baselines.METHODS[name](problem, quotes), f"fallback:{name}"))
    best_net = max((_net_value(problem, h) for h, _ in candidates), default=-math.inf)
    if best_net == -math.inf or any(_net_value(problem, h) > best_net for h, _ in guards):
        candidates += _milp_candidates(problem, free, segments, solver, time_limit_s, notes, quotes)
    candidates += guards
    if not candidates:
        raise NoLiquidityError("no route: neither the optimiser nor any baseline found one", "pools")
    return max(candidates, key=lambda c: _net_value(problem, c[0]))


def _seeds(problem: Problem, quotes: baselines.Quotes) -> list[list[Edge]]:
    """Where the selection grows from: each of the best single paths, and the best 2..5
    pool-disjoint paths together (the sets a split router spreads an order over)."""
    singles = [list(p) for p in baselines.best_paths(problem, PATH_SEEDS, quotes)]
    disjoint = baselines.disjoint_paths(problem, quotes)
    unions = [[e for p in disjoint[:k] for e in p] for k in range(2, len(disjoint) + 1)]
    return singles + unions


def _refine(problem: Problem, chosen: Selection, hops: list[Hop]) -> list[Hop]:
    """Drop the least-used pools one at a time while that raises the exact value after gas. The
    relaxation prices neither the gas of crossed ticks nor the exact rounding of each hop, so
    where those matter (with gas, or hops worth little more than a base unit of their
    tokens) the integer math has the last word. A few re-solves on a small set at most."""
    rounding = sum(problem.prices[h.token_in] + problem.prices[h.token_out] for h in hops) / problem.value_sold
    if problem.gas_value_per_unit <= 0 and rounding < REFINE_ROUNDING:
        return hops
    best, best_net, edges = hops, _net_value(problem, hops), list(chosen.edges)
    deadline = time.perf_counter() + REFINE_BUDGET_S
    improved = True
    while improved and len(edges) > 1 and time.perf_counter() < deadline:
        improved = False
        used = {(h.pool, h.token_in): h.amount_in * problem.prices[h.token_in] for h in best}
        for edge in sorted(edges, key=lambda e: used.get((e.pool.address, e.token_in), 0))[:REFINE_DROPS]:
            trial = [e for e in edges if e.pool.address != edge.pool.address]
            try:
                sol = convex.solve(problem, trial, warm=chosen.solution.prices)
            except NoLiquidityError:
                continue
            hops_ = _hops(problem, sol.x)
            if hops_ is not None and _net_value(problem, hops_) > best_net:
                best, best_net, edges, improved = hops_, _net_value(problem, hops_), trial, True
                break
    return best


def _resplit(problem: Problem, flows: Mapping[int, float], hops: list[Hop], deadline: float,
             fee_exact: bool = False) -> list[Hop]:
    """The optimum's split of each sold token between its two largest pools, moved by up to
    `RESPLIT_SPAN` of what they carry (`RESPLIT_SHIFTS` steps each way), where the hops may round
    away `REFINE_ROUNDING` or more: the best exact route of those 2 x `RESPLIT_SHIFTS`. On a
    small order through a coarse token a swap pays whole base units and a V3 fee rounds up, so
    the exact value of a split is a sawtooth around the relaxation's curve: one unit of an
    8-decimal token is 0.5 bp of a $12 order, and a split a few percent off the optimum's may
    round away most of a unit less (bench/routing_worst.py: 0.10 -> 0.03 bp under the bound).
    Downstream tokens pass on whatever they receive (`flows_to_hops`), so only the sold token's
    proportions move. With `fee_exact`, every candidate (the optimum's own split
    first) is executed with each coarse token's shares into V3 pools at whole fee periods
    (`flows_to_hops(fee_exact=True)`): 1,000 pools #0, 0.119 -> 0.062 bp under the bound. A
    sold token the optimum sends into one pool only gets a second (`_second_pool`): 10 pools #6,
    0.109 -> 0.086 bp. A candidate that leaves more of a token in the settlement than `hops` do
    (a pool too drained to take what rolls on to it) is not taken. Until `deadline` (perf_counter)."""
    rounding = sum(problem.prices[h.token_in] + problem.prices[h.token_out] for h in hops) / problem.value_sold
    if rounding < REFINE_ROUNDING:
        return hops
    best, best_net = hops, _net_value(problem, hops)
    if fee_exact:
        at_periods = _hops(problem, flows, fee_exact=True)
        if at_periods is not None and _better(problem, at_periods, best_net, hops):
            best, best_net = at_periods, _net_value(problem, at_periods)
    for token in problem.demands.sell:
        out = sorted((i for i, x in flows.items() if x > 0 and problem.edges[i].token_in == token),
                     key=lambda i: -flows[i])[:2]
        if len(out) == 1:
            # one pool takes it all: a second pool from the sold token into a token the route
            # passes on (or the one wanted), with a token's flow, takes what the first spends
            # past the least input that buys its whole units (`flows_to_hops`)
            best, best_net = _second_pool(problem, flows, out[0], fee_exact, (best, best_net, hops), deadline)
            continue
        i, j = out
        pair = flows[i] + flows[j]
        for k in range(1, RESPLIT_SHIFTS + 1):
            for sign in (1.0, -1.0):
                if time.perf_counter() >= deadline:
                    return best
                shift = sign * RESPLIT_SPAN * pair * k / RESPLIT_SHIFTS
                if not 0 < flows[i] + shift < pair:
                    continue
                trial = _hops(problem, {**flows, i: flows[i] + shift, j: flows[j] - shift}, fee_exact)
                if trial is not None and _better(problem, trial, best_net, hops):
                    best, best_net = trial, _net_value(problem, trial)
    return best


def _stranded(problem: Problem, hops: Sequence[Hop]) -> float:
    """Value the hops leave in the settlement: tokens neither sold nor wanted, received and not sent on."""
    kept = set(problem.demands.buy) | set(problem.demands.sell)
    left = delivered(hops, sorted({h.token_out for h in hops} - kept))
    return sum(max(0, q) * problem.prices[t] for t, q in left.items())


def _better(problem: Problem, trial: list[Hop], best_net: float, start: list[Hop]) -> bool:
    """`trial` is worth more than `best_net` and strands no more than `start` does."""
    return _net_value(problem, trial) > best_net and _stranded(problem, trial) <= _stranded(problem, start)


def _second_pool(problem: Problem, flows: Mapping[int, float], only: int, fee_exact: bool,
                 best: tuple[list[Hop], float, list[Hop]], deadline: float) -> tuple[list[Hop], float]:
    """`_resplit`'s pass for a sold token the optimum sends into one pool (edge `only`); `best`:
    the best route so far, its net value, and the route a candidate may strand no more than."""
    route_, best_net, start = best
    onward = {problem.edges[i].token_in for i, x in flows.items() if x > 0} | set(problem.demands.buy)
    edge = problem.edges[only]
    for e in problem.edges:
        if time.perf_counter() >= deadline:
            break
        if e.index == only or e.token_in != edge.token_in or e.token_out not in onward:
            continue
        trial = _hops(problem, {**flows, e.index: flows[only] * SECOND_POOL_SHARE}, fee_exact)
        if trial is not None and _better(problem, trial, best_net, start):
            route_, best_net = trial, _net_value(problem, trial)
    return route_, best_net


def _milp_candidates(problem: Problem, free: convex.ConvexSolution, segments: int, solver: str,
                     time_limit_s: float, notes: list[str], quotes: baselines.Quotes,
                     ) -> list[tuple[list[Hop], str]]:
    """The integer program over the pools the gas-free optimum uses and the best single paths,
    its flows and its exact split re-optimised on the pools it chose."""
    # Pools the gas-free optimum leaves empty do not pay their gas either: the program only has
    # to decide which of the others to keep. The best single paths join them: for a small order
    # a direct pool can beat a gas-free optimum that hops through two cheaper-fee pools.
    keep = {i for i, x in free.x.items() if x > 1e-9}
    keep |= {e.index for path in baselines.best_paths(problem, PATH_SEEDS, quotes) for e in path}
    support = [e for e in problem.edges if e.index in keep]
    out: list[tuple[list[Hop], str]] = []
    try:
        sol = milp.solve(replace(problem, edges=tuple(support)), segments, solver, time_limit_s, free.x)
    except NoLiquidityError as exc:
        if "minimums" in str(exc):
            raise
        notes.append(f"integer program failed ({exc})")
        return out
    direct = _hops(problem, sol.flows)
    if direct is not None:
        out.append((direct, sol.status))
    chosen = [e for e in support if e.index in sol.flows]
    with contextlib.suppress(NoLiquidityError):
        split = _hops(problem, convex.solve(problem, chosen, warm=free.prices).x)
        if split is not None:
            out.append((split, sol.status))
    return out


def _hops(problem: Problem, flows: Mapping[int, float], fee_exact: bool = False) -> list[Hop] | None:
    try:
        return flows_to_hops(problem, flows, fee_exact)
    except (NoLiquidityError, PoolMathError):
        return None


def _complete(problem: Problem, hops: Sequence[Hop]) -> bool:
    return _net_value(problem, hops) > -math.inf


def _net_value(problem: Problem, hops: Sequence[Hop]) -> float:
    got = delivered(hops, list(problem.demands.buy))
    if any(got[t] < m for t, m in problem.demands.buy.items()):
        return float("-inf")
    sold = {t: -delivered(hops, [t])[t] for t in problem.demands.sell}
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
    sold = {t: -delivered(hops, [t])[t] for t in problem.demands.sell}
    unsold = [t for t, a in problem.demands.sell.items() if sold[t] != a]
    if unsold:
        sym = problem.liquidity.symbol(unsold[0])
        raise NoLiquidityError(f"the pools take only {sold[unsold[0]]} of the {problem.demands.sell[unsold[0]]} "
                               f"{sym} sold: lower the amount", "sell")
    value = sum(a * problem.prices[t] for t, a in got.items())
    kept = value / problem.value_sold
    if kept < 1 - MAX_LOSS:
        raise NoLiquidityError(
            f"the order is larger than the pools can take: the best route returns only {kept:.1%} of the "
            f"value sold at reference prices (refused below {1 - MAX_LOSS:.0%}); lower the amount", "sell")
    gas = gas_units(hops)
    gas_value = int(gas * problem.gas_value_per_unit)
    gap = None if not bound else (bound - value) * 10_000 / bound
    if gap is not None and gap > 100:
        notes.append(f"{gap:.0f} bps below the bound: the pools are thin for this size")
    return RouteResult(method, tuple(hops), sold, got, value, gas, gas_value, value - gas_value, bound, gap,
                       elapsed, status, tuple(notes))
