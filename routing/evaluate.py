"""Exact re-evaluation: turn optimiser flows (or baseline paths) into ordered integer hops.

Whatever an optimiser promised, the numbers a route reports come from here: every hop is
quoted by the integer pool math on the pool's state *after* the hops before it, so the
result is what the chain will pay. Flows are converted to amounts per token in
topological order: each token's exact balance is split over its outgoing pools in the
optimiser's proportions, rounding down, the largest pool taking the remainder, so
nothing sold or passed through is left behind. Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from routing.errors import PoolMathError
from routing.pools import Pool, V3Pool
from routing.problem import Edge, Problem

MIN_FLOW = 1e-12  # value fractions below this are numerical noise, not a route


@dataclass(frozen=True)
class Hop:
    """One swap: `amount_in` of `token_in` into `pool`, paying exactly `amount_out` of `token_out`."""

    pool: str
    kind: str
    fee_pips: int
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    ticks_crossed: int = 0


class Ledger:
    """Pool states as hops are applied in order."""

    def __init__(self, pools: Sequence[Pool]) -> None:
        self.state: dict[str, Pool] = {p.address: p for p in pools}

    def apply(self, pool: str, token_in: str, amount_in: int) -> Hop:
        current = self.state[pool]
        crossed = 0
        if isinstance(current, V3Pool):
            result = current.swap(token_in, amount_in)
            moved: Pool = replace(current, sqrt_price_x96=result.sqrt_price_x96, tick=result.tick,
                                  liquidity=result.liquidity)
            out, crossed = result.amount_out, result.ticks_crossed
        else:
            moved, out = current.after_swap(token_in, amount_in)
        self.state[pool] = moved
        return Hop(pool, current.kind, current.fee_pips, token_in, current.other(token_in), amount_in, out, crossed)


def _order(edges: Sequence[Edge], flows: Mapping[int, float]) -> list[Edge]:
    """Edges in an order where every token's inflows come before its outflows; cycles are cut
    at their smallest flow (a cycle only moves value in a circle and pays fees twice)."""
    live = [e for e in edges if flows.get(e.index, 0.0) > MIN_FLOW]
    while True:
        indeg: dict[str, int] = defaultdict(int)
        for e in live:
            indeg[e.token_out] += 1
        ready = [t for t in {e.token_in for e in live} if indeg[t] == 0]
        seen: set[str] = set()
        ordered: list[Edge] = []
        while ready:
            t = ready.pop()
            seen.add(t)
            for e in sorted((e for e in live if e.token_in == t), key=lambda e: e.index):
                ordered.append(e)
                indeg[e.token_out] -= 1
                if indeg[e.token_out] == 0:
                    ready.append(e.token_out)
        if len(ordered) == len(live):
            return ordered
        stuck = [e for e in live if e not in ordered]
        live.remove(min(stuck, key=lambda e: flows[e.index]))


def flows_to_hops(problem: Problem, flows: Mapping[int, float]) -> list[Hop]:
    """Exact hops for normalised edge flows; raises `PoolMathError` if a pool cannot take its share."""
    ordered = _order(problem.edges, flows)
    balance: dict[str, int] = defaultdict(int, problem.demands.sell)
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    for e in ordered:
        outgoing[e.token_in].append(e)
    ledger = Ledger(problem.liquidity.pools)
    hops: list[Hop] = []
    done: set[str] = set()
    for e in ordered:
        token = e.token_in
        if token in done:
            continue
        done.add(token)
        group = outgoing[token]
        total = sum(flows[g.index] for g in group)
        available = balance[token]
        amounts = [int(available * flows[g.index] / total) for g in group]
        largest = max(range(len(group)), key=lambda k: flows[group[k].index])
        amounts[largest] += available - sum(amounts)
        for g, amount in zip(group, amounts, strict=True):
            if amount <= 0:
                continue
            hop = ledger.apply(g.pool.address, token, amount)
            if hop.amount_out <= 0:
                raise PoolMathError(f"pool {g.pool.address} pays nothing for {amount}", "amount")
            hops.append(hop)
            balance[token] -= amount
            balance[g.token_out] += hop.amount_out
    return hops


def paths_to_hops(pools: Sequence[Pool], legs: Sequence[tuple[Sequence[Edge], int]]) -> list[Hop]:
    """Exact hops for whole paths, each leg (edges, amount in) run to its end before the next."""
    ledger = Ledger(pools)
    hops: list[Hop] = []
    for path, amount in legs:
        carried = amount
        for e in path:
            if carried <= 0:
                break
            hop = ledger.apply(e.pool.address, e.token_in, carried)
            hops.append(hop)
            carried = hop.amount_out
    return hops


def delivered(hops: Sequence[Hop], wanted: Sequence[str]) -> dict[str, int]:
    """Net amount of each wanted token the hops deliver."""
    out = dict.fromkeys(wanted, 0)
    for h in hops:
        if h.token_out in out:
            out[h.token_out] += h.amount_out
        if h.token_in in out:
            out[h.token_in] -= h.amount_in
    return out


def gas_units(hops: Sequence[Hop]) -> int:
    """Gas of executing the hops through the routers (one approve + one swap per hop)."""
    from routing.pools import GAS_V2_HOP, GAS_V3_HOP, GAS_V3_TICK_CROSS

    return sum(GAS_V2_HOP if h.kind == "v2" else GAS_V3_HOP + GAS_V3_TICK_CROSS * h.ticks_crossed for h in hops)
