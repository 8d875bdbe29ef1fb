"""Baseline routers, same interface as the MILP: what a simple aggregator would do.

- `single_pool`: all of each order through the one pool that pays most.
- `single_path`: all of each order through the best path of at most two pools, after gas.
- `split`: the Uniswap smart order router's idea: the order cut into 5% pieces spread
  over the best pool-disjoint paths, each piece to the path that pays most for it, with
  the number of paths chosen after gas.
A batch with several sold and wanted tokens is cut into pair orders first (each sold
token split over the wanted tokens in proportion to their minimums' value). Every
number comes from the exact integer math, evaluated in order. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.errors import NoLiquidityError, PoolMathError
from routing.evaluate import Hop, paths_to_hops
from routing.problem import Edge, Problem

Path = tuple[Edge, ...]
SPLIT_STEP_PCT = 5
SPLIT_MAX_PATHS = 5


def pair_orders(problem: Problem) -> list[tuple[str, str, int]]:
    """(sell token, buy token, amount) orders that together sell everything."""
    buys = list(problem.demands.buy)
    weights = {t: problem.minimum.get(t, 0.0) for t in buys}
    if sum(weights.values()) <= 0:
        weights = {t: 1.0 if i == 0 else 0.0 for i, t in enumerate(buys)}
    total = sum(weights.values())
    orders = []
    for sell, amount in problem.demands.sell.items():
        live = [b for b in buys if weights[b] > 0]
        parts = [int(amount * weights[b] / total) for b in live]
        parts[0] += amount - sum(parts)
        orders += [(sell, b, a) for b, a in zip(live, parts, strict=True) if a > 0]
    return orders


def paths(problem: Problem, sell: str, buy: str, max_hops: int = 2) -> list[Path]:
    """Every path of 1..max_hops edges from `sell` to `buy` that never reuses a token."""
    out_edges: dict[str, list[Edge]] = {}
    for e in problem.edges:
        out_edges.setdefault(e.token_in, []).append(e)
    found: list[Path] = []

    def walk(token: str, path: Path, seen: frozenset[str]) -> None:
        for e in out_edges.get(token, []):
            if e.token_out in seen:
                continue
            if e.token_out == buy:
                found.append((*path, e))
            elif len(path) + 1 < max_hops:
                walk(e.token_out, (*path, e), seen | {e.token_out})

    walk(sell, (), frozenset({sell}))
    return found


def quote(path: Path, amount: int) -> int:
    """Exact output of `amount` along `path` on the pools' current state (0 if a pool refuses)."""
    carried = amount
    try:
        for e in path:
            carried = e.pool.amount_out(e.token_in, carried)
            if carried <= 0:
                return 0
    except PoolMathError:
        return 0
    return carried


class Quotes:
    """Exact path quotes, each computed once: ranking paths, choosing the best one and cutting a
    split ask for the same quotes again and again, and an exact V3 quote is not cheap."""

    def __init__(self) -> None:
        self._memo: dict[tuple[tuple[int, ...], int], int] = {}

    def __call__(self, path: Path, amount: int) -> int:
        key = (tuple(e.index for e in path), amount)
        if key not in self._memo:
            self._memo[key] = quote(path, amount)
        return self._memo[key]


def _path_gas(problem: Problem, path: Path) -> float:
    return sum(e.pool.gas for e in path) * problem.gas_value_per_unit


def _net(problem: Problem, path: Path, out: int, buy: str) -> float:
    return out * problem.prices[buy] - _path_gas(problem, path)


def _require(candidates: Sequence[Path], problem: Problem, sell: str, buy: str, what: str) -> None:
    if not candidates:
        sym = problem.liquidity.symbol
        raise NoLiquidityError(f"no {what} joins {sym(sell)} and {sym(buy)}", "pools")


def best_paths(problem: Problem, count: int, quotes: Quotes | None = None) -> list[Path]:
    """The `count` best paths (after gas) of every pair order, for seeding other routers."""
    q = quotes or Quotes()
    out: list[Path] = []
    for sell, buy, amount in pair_orders(problem):
        ranked = sorted(paths(problem, sell, buy, 2), key=lambda p: _net(problem, p, q(p, amount), buy),
                        reverse=True)
        out += ranked[:count]
    return out


def disjoint_paths(problem: Problem, quotes: Quotes | None = None) -> list[Path]:
    """The best pool-disjoint paths (after gas) of every pair order: what `split` spreads over."""
    q = quotes or Quotes()
    out: list[Path] = []
    for sell, buy, amount in pair_orders(problem):
        candidates = paths(problem, sell, buy, 2)
        out += _disjoint_best(problem, candidates, amount, buy, q) if candidates else []
    return out


def single_pool(problem: Problem, quotes: Quotes | None = None) -> list[Hop]:
    q = quotes or Quotes()
    legs = []
    for sell, buy, amount in pair_orders(problem):
        direct = [p for p in paths(problem, sell, buy, 1)]
        _require(direct, problem, sell, buy, "single pool")
        best = max(direct, key=lambda p: q(p, amount))
        legs.append((best, amount))
    return paths_to_hops(problem.liquidity.pools, legs)


def single_path(problem: Problem, quotes: Quotes | None = None) -> list[Hop]:
    q = quotes or Quotes()
    legs = []
    for sell, buy, amount in pair_orders(problem):
        candidates = paths(problem, sell, buy, 2)
        _require(candidates, problem, sell, buy, "path of one or two pools")
        best = max(candidates, key=lambda p: _net(problem, p, q(p, amount), buy))
        legs.append((best, amount))
    return paths_to_hops(problem.liquidity.pools, legs)


def _disjoint_best(problem: Problem, candidates: list[Path], amount: int, buy: str, q: Quotes) -> list[Path]:
    ranked = sorted(candidates, key=lambda p: _net(problem, p, q(p, amount), buy), reverse=True)
    chosen: list[Path] = []
    used: set[str] = set()
    for p in ranked:
        pools = {e.pool.address for e in p}
        if pools & used:
            continue
        chosen.append(p)
        used |= pools
        if len(chosen) == SPLIT_MAX_PATHS:
            break
    return chosen


def _greedy_split(paths_: list[Path], amount: int, q: Quotes) -> list[int]:
    """Pieces of SPLIT_STEP_PCT% to the path paying most for the next piece (optimal for concave paths)."""
    steps = 100 // SPLIT_STEP_PCT
    table = [[q(p, amount * k // steps) if k else 0 for k in range(steps + 1)] for p in paths_]
    taken = [0] * len(paths_)
    for _ in range(steps):
        gains = [table[i][taken[i] + 1] - table[i][taken[i]] for i in range(len(paths_))]
        best = max(range(len(paths_)), key=lambda i: gains[i])
        taken[best] += 1
    amounts = [amount * k // steps for k in taken]
    amounts[max(range(len(taken)), key=lambda i: taken[i])] += amount - sum(amounts)
    return amounts


def split(problem: Problem, quotes: Quotes | None = None) -> list[Hop]:
    q = quotes or Quotes()
    legs: list[tuple[Path, int]] = []
    for sell, buy, amount in pair_orders(problem):
        candidates = paths(problem, sell, buy, 2)
        _require(candidates, problem, sell, buy, "path of one or two pools")
        best_paths = _disjoint_best(problem, candidates, amount, buy, q)
        best_legs, best_net = None, float("-inf")
        for k in range(1, len(best_paths) + 1):
            amounts = _greedy_split(best_paths[:k], amount, q)
            net = sum(_net(problem, p, q(p, a), buy) for p, a in zip(best_paths[:k], amounts, strict=True) if a)
            if net > best_net:
                best_net = net
                best_legs = [(p, a) for p, a in zip(best_paths[:k], amounts, strict=True) if a > 0]
        legs += best_legs or []
    return paths_to_hops(problem.liquidity.pools, legs)


METHODS = {"single-pool": single_pool, "single-path": single_path, "split": split}
