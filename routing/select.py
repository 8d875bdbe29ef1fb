"""Gas-aware selection built from the convex optimum: which pools are worth their gas.

The gas-free optimum (`routing.convex`) prices every token (its dual prices) and so tells
what each pool earns there: its *surplus*, the arbitrage profit of its curve at those
prices. Two facts make the surplus a guide (see `routing.convex`): removing a pool loses at
least its surplus, and adding a pool that is not in use gains at most its surplus. So:

1. start from the pools the gas-free optimum uses;
2. while some pool earns less than its gas: try dropping those pools all at once, else the
   worst of them alone, else the next ones; re-solve the convex problem on the kept pools
   (warm-started from the last prices) and keep a drop only if the value after gas rises;
3. then offer back the pools left out whose surplus at the new prices exceeds their gas
   (adding one gains at most its surplus, so no other pool can be worth adding).

Every comparison is on the real-valued curves, value minus the gas of the pools used. The
result is the kept edges and their convex optimum; the caller evaluates it in integers and
guards it against the baselines (and the integer program as a fallback). Pure: no I/O.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from routing import convex
from routing.convex import ConvexSolution
from routing.errors import NoLiquidityError
from routing.evaluate import MIN_FLOW
from routing.problem import Edge, Problem

MAX_TRIALS = 40  # re-solves the search may spend
SOLD_SLACK = 1e-9  # a kept set that leaves more than this share of the order unsold cannot carry it


@dataclass(frozen=True)
class Selection:
    edges: tuple[Edge, ...]
    solution: ConvexSolution
    net: float  # value delivered minus the gas of the pools used, value fractions
    trials: int


def net_value(problem: Problem, sol: ConvexSolution) -> float:
    """Value on the real-valued curves minus the gas of every pool the flows use."""
    used = {problem.edges[i].pool.address: problem.edges[i].gas for i, x in sol.x.items() if x > MIN_FLOW}
    return sol.value - sum(used.values())


def select(problem: Problem, free: ConvexSolution, budget_s: float = 0.5) -> Selection:
    """Kept edges and their optimum, starting from the gas-free optimum `free` over all edges."""
    deadline = time.perf_counter() + budget_s
    kept = _used(problem, free)
    best = Selection(kept, free, net_value(problem, free), 0)
    trials = 0
    while trials < MAX_TRIALS and time.perf_counter() < deadline:
        improved = False
        for drop in _drops(problem, best):
            trials += 1
            trial = _try(problem, [e for e in best.edges if e.pool.address not in drop], best.solution)
            if trial is not None and trial.net > best.net:
                best, improved = Selection(trial.edges, trial.solution, trial.net, trials), True
                break
            if trials >= MAX_TRIALS or time.perf_counter() >= deadline:
                break
        if not improved:
            break
    return _offer_back(problem, best, free, trials)


def _used(problem: Problem, sol: ConvexSolution) -> tuple[Edge, ...]:
    return tuple(problem.edges[i] for i, x in sorted(sol.x.items()) if x > MIN_FLOW)


def _margins(problem: Problem, sol: ConvexSolution) -> dict[str, float]:
    """Per pool in use: its surplus at the solution's prices minus its gas."""
    surplus: dict[str, float] = defaultdict(float)
    gas: dict[str, float] = {}
    for i, x in sol.x.items():
        if x > MIN_FLOW:
            e = problem.edges[i]
            surplus[e.pool.address] += sol.surplus.get(i, 0.0)
            gas[e.pool.address] = e.gas
    return {p: surplus[p] - gas[p] for p in gas}


def _drops(problem: Problem, current: Selection) -> list[set[str]]:
    """Sets of pools to try removing, most promising first: every pool that earns less than its
    gas at once, then each of them alone from the worst."""
    margins = _margins(problem, current.solution)
    losers = sorted((m, p) for p, m in margins.items() if m < 0)
    if not losers:
        return []
    singles = [{p} for _, p in losers]
    return ([{p for _, p in losers}] if len(losers) > 1 else []) + singles


def _try(problem: Problem, edges: list[Edge], warm: ConvexSolution) -> Selection | None:
    if not edges:
        return None
    try:
        sol = convex.solve(problem, edges, warm=warm.prices)
    except NoLiquidityError:
        return None
    sold = sum(sol.x.get(e.index, 0.0) for e in edges if e.token_in in problem.supply)
    if sold < sum(problem.supply.values()) * (1 - SOLD_SLACK) - sol.residual:
        return None  # the kept pools cannot take the whole order
    if any(m > 0 and _delivered(problem, sol, t) < m * (1 - 1e-9) for t, m in problem.minimum.items()):
        return None
    return Selection(_used(problem, sol) or tuple(edges), sol, net_value(problem, sol), 0)


def _delivered(problem: Problem, sol: ConvexSolution, token: str) -> float:
    into = sum(y for i, y in sol.y.items() if problem.edges[i].token_out == token)
    out = sum(x for i, x in sol.x.items() if problem.edges[i].token_in == token)
    return into - out


def _offer_back(problem: Problem, best: Selection, free: ConvexSolution, trials: int) -> Selection:
    """Add back, one pass, the edges whose surplus at the kept optimum's prices beats their gas."""
    kept = {e.index for e in best.edges}
    if len(kept) == len(free.x):
        return best
    if free.network is None:
        return best
    priced = convex.surplus(free.network, best.solution.prices)
    extra = [problem.edges[i] for i, s in priced.items() if i not in kept and s > problem.edges[i].gas]
    if not extra:
        return best
    trial = _try(problem, [*best.edges, *extra], best.solution)
    if trial is not None and trial.net > best.net:
        return Selection(trial.edges, trial.solution, trial.net, trials + 1)
    return Selection(best.edges, best.solution, best.net, trials + 1)
