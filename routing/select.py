"""Gas-aware selection built from the convex optimum: which pools are worth their gas.

The convex optimum (`routing.convex`) prices every token (its dual prices) and so tells
what each pool earns there: its *surplus*, the arbitrage profit of its curve at those
prices. Two facts make the surplus a guide (see `routing.convex`): removing a pool loses at
least its surplus, and adding a pool that is not in use gains at most its surplus.
The selection searches from both ends, every step a warm-started convex re-solve on a kept
set of pools, compared by value minus the cost of the pools used:

- down from the gas-free optimum: while some pool in use earns less than its cost, try
  dropping all such pools at once, else the worse half of them, the worse quarter, ..., else
  the worst few alone, keeping a drop only if the value after costs rises;
- up from each seed (the best single paths): add every pool left out whose surplus at the
  current prices exceeds its cost (no other pool can be worth adding), keep the growth only
  if the value after costs rises, then prune down as above.

A hop's cost is its gas plus its rounding: the integer math loses up to a base unit of the
token paid in (the fee rounds up) and of the token paid out, which on a small order in a
coarse token (a satoshi of WBTC is $0.0006) outweighs what a sliver of flow through one more
pool earns, so even at gas 0 the selection drops pools that earn less than they round away.
A kept set that cannot take the whole order, or whose optimum does not converge, is
refused. The caller evaluates the candidates in integers and guards them against the
baselines (and the integer program as a fallback). Pure: no I/O.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from routing import convex
from routing.convex import ConvexSolution
from routing.errors import NoLiquidityError
from routing.evaluate import MIN_FLOW
from routing.problem import Edge, Problem

MAX_TRIALS = 16  # re-solves one search may spend
MAX_GROWTH = 4  # rounds of adding pools from one seed
SINGLE_DROPS = 4  # after the halving tries, the worst pools tried one at a time
SOLD_SLACK = 1e-9  # a kept set that leaves more than this share of the order unsold cannot carry it
CONVERGED = 1e-7  # a re-solve whose token balances are off by more than this is not trusted


@dataclass(frozen=True)
class Selection:
    edges: tuple[Edge, ...]
    solution: ConvexSolution
    net: float  # value delivered minus the cost of the pools used, value fractions


def cost(problem: Problem, edge: Edge) -> float:
    """What using the edge costs, value fractions: its gas and a base unit of each of its tokens."""
    rounding = (problem.prices[edge.token_in] + problem.prices[edge.token_out]) / problem.value_sold
    return edge.gas + rounding


def net_value(problem: Problem, sol: ConvexSolution) -> float:
    """Value on the real-valued curves minus the cost of every pool the flows use."""
    used = {problem.edges[i].pool.address: cost(problem, problem.edges[i]) for i, x in sol.x.items() if x > MIN_FLOW}
    return sol.value - sum(used.values())


def select(problem: Problem, free: ConvexSolution, seeds: Sequence[Sequence[Edge]] = (),
           budget_s: float = 0.5) -> list[Selection]:
    """Candidate kept sets and their optima, best (by value after costs) first: each seed grown
    up then pruned, and the gas-free optimum `free` pruned down. Each search gets its own
    share of re-solves; all of them stop at `budget_s`."""
    deadline = time.perf_counter() + budget_s
    found = []
    for seed in seeds:
        clock = _Clock(deadline)
        start = _try(problem, list(seed), free.prices)
        if start is not None:
            found.append(_prune(problem, _grow(problem, start, free, clock), clock))
    found.append(_prune(problem, Selection(_used(problem, free), free, net_value(problem, free)), _Clock(deadline)))
    unique = {frozenset(e.index for e in s.edges): s for s in found}
    return sorted(unique.values(), key=lambda s: s.net, reverse=True)


class _Clock:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.trials = 0

    def tick(self) -> None:
        self.trials += 1

    def out(self) -> bool:
        return self.trials >= MAX_TRIALS or time.perf_counter() >= self.deadline


def _used(problem: Problem, sol: ConvexSolution) -> tuple[Edge, ...]:
    return tuple(problem.edges[i] for i, x in sorted(sol.x.items()) if x > MIN_FLOW)


def _margins(problem: Problem, sol: ConvexSolution) -> dict[str, float]:
    """Per pool in use: its surplus at the solution's prices minus its cost."""
    surplus: dict[str, float] = defaultdict(float)
    costs: dict[str, float] = {}
    for i, x in sol.x.items():
        if x > MIN_FLOW:
            e = problem.edges[i]
            surplus[e.pool.address] += sol.surplus.get(i, 0.0)
            costs[e.pool.address] = cost(problem, e)
    return {p: surplus[p] - costs[p] for p in costs}


def _drops(problem: Problem, current: Selection) -> list[set[str]]:
    """Sets of pools to try removing, most promising first: every pool that earns less than its
    cost, then the worse half of them, the worse quarter, ..., then the worst few alone."""
    losers = [p for _, p in sorted((m, p) for p, m in _margins(problem, current.solution).items() if m < 0)]
    tries: list[set[str]] = []
    k = len(losers)
    while k > 1:
        tries.append(set(losers[:k]))
        k //= 2
    return tries + [{p} for p in losers[:SINGLE_DROPS]]


def _prune(problem: Problem, best: Selection, clock: _Clock) -> Selection:
    improved = True
    while improved and not clock.out():
        improved = False
        for drop in _drops(problem, best):
            clock.tick()
            trial = _try(problem, [e for e in best.edges if e.pool.address not in drop], best.solution.prices)
            if trial is not None and trial.net > best.net:
                best, improved = trial, True
                break
            if clock.out():
                break
    return best


def _grow(problem: Problem, best: Selection, free: ConvexSolution, clock: _Clock) -> Selection:
    """Add the pools whose surplus at the current prices beats their cost, while that pays."""
    if free.network is None:
        return best
    for _ in range(MAX_GROWTH):
        if clock.out():
            break
        kept = {e.index for e in best.edges}
        priced = convex.surplus(free.network, best.solution.prices)
        extra = [problem.edges[i] for i, s in priced.items() if i not in kept and s > cost(problem, problem.edges[i])]
        if not extra:
            break
        clock.tick()
        trial = _try(problem, [*best.edges, *extra], best.solution.prices)
        if trial is None or trial.net <= best.net:
            break
        best = trial
    return best


def _try(problem: Problem, edges: list[Edge], warm: dict[str, float]) -> Selection | None:
    """The optimum over `edges`, or None if they cannot carry the order."""
    if not edges:
        return None
    try:
        sol = convex.solve(problem, edges, warm=warm)
    except NoLiquidityError:
        return None
    if sol.residual > CONVERGED:
        return None
    sold = sum(sol.x.get(e.index, 0.0) for e in edges if e.token_in in problem.supply)
    if sold < sum(problem.supply.values()) * (1 - SOLD_SLACK):
        return None  # the kept pools cannot take the whole order
    if any(m > 0 and _delivered(problem, sol, t) < m * (1 - 1e-9) for t, m in problem.minimum.items()):
        return None
    return Selection(_used(problem, sol) or tuple(edges), sol, net_value(problem, sol))


def _delivered(problem: Problem, sol: ConvexSolution, token: str) -> float:
    into = sum(y for i, y in sol.y.items() if problem.edges[i].token_out == token)
    out = sum(x for i, x in sol.x.items() if problem.edges[i].token_in == token)
    return into - out
