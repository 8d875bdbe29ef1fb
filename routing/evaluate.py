"""Exact re-evaluation: turn optimiser flows (or baseline paths) into ordered integer hops.

Whatever an optimiser promised, the numbers a route reports come from here: every hop is
quoted by the integer pool math on the pool's state *after* the hops before it, so the
result is what the chain will pay. Flows are converted to amounts per token in
topological order: a token that is only passed through (or sold) has its exact balance
split over its outgoing pools in the optimiser's proportions, rounding down, the last pool
taking the remainder, so nothing sold or passed through is left behind; a wanted token
sends on only the amount its flows name. A pool that cannot take its share (a V3 pool
drained past its last initialized tick) is filled exactly to its end, a partial fill, and
the rest passes to the token's next pools (the pools nearest their capacity go first).
Cycles in the flows are cut at their smallest edge. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from routing.errors import PoolMathError
from routing.math.tick import sqrt_ratio_at_tick
from routing.math.v3_swap import swap as v3_swap
from routing.pools import Pool, V3Pool
from routing.problem import Edge, Problem

MIN_FLOW = 1e-10  # value fractions below this are numerical noise, not a route
COARSE_UNIT = 1e-9  # a token whose base unit is worth this share of the order: its hops trim to whole units


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

    def quote(self, pool: str, token_in: str, amount_in: int) -> tuple[Hop, Pool]:
        """The exact swap of `amount_in` on the current state and the pool after it, not applied;
        raises `PoolMathError` if the pool cannot take it all."""
        current = self.state[pool]
        if isinstance(current, V3Pool):
            result = current.swap(token_in, amount_in)
            moved: Pool = replace(current, sqrt_price_x96=result.sqrt_price_x96, tick=result.tick,
                                  liquidity=result.liquidity)
            out, crossed = result.amount_out, result.ticks_crossed
        else:
            moved, out = current.after_swap(token_in, amount_in)
            crossed = 0
        hop = Hop(pool, current.kind, current.fee_pips, token_in, current.other(token_in), amount_in, out, crossed)
        return hop, moved

    def apply(self, pool: str, token_in: str, amount_in: int) -> Hop:
        """Swap exactly `amount_in`; raises `PoolMathError` if the pool cannot take it all."""
        hop, moved = self.quote(pool, token_in, amount_in)
        self.state[pool] = moved
        return hop

    def least_input(self, pool: str, token_in: str, amount_in: int) -> int:
        """The least input that buys, on the current state, everything `amount_in` buys: a swap
        pays whole base units, so past that point more input buys nothing (and where the fee or
        the price rounds up, the least input is smaller still)."""
        try:
            paid = self.quote(pool, token_in, amount_in)[0].amount_out
            if paid <= 0:
                return amount_in
            need = self.state[pool].amount_in(token_in, paid)
            if need < amount_in and self.quote(pool, token_in, need)[0].amount_out >= paid:
                return need
        except PoolMathError:
            pass
        return amount_in

    def fill(self, pool: str, token_in: str, amount_in: int) -> Hop | None:
        """Like `apply`, but a V3 pool that runs out of liquidity is filled exactly to its end (the
        hop then spends less than `amount_in`). None, and nothing applied, if the pool takes
        nothing or pays nothing."""
        try:
            hop, moved = self.quote(pool, token_in, amount_in)
        except PoolMathError:
            current = self.state[pool]
            most = capacity(current, token_in) if isinstance(current, V3Pool) else 0
            if not 0 < most < amount_in:
                return None
            try:
                hop, moved = self.quote(pool, token_in, most)
            except PoolMathError:
                return None
        if hop.amount_out <= 0:
            return None
        self.state[pool] = moved
        return hop


def capacity(pool: V3Pool, token_in: str) -> int:
    """The most gross input the pool takes before its known liquidity ends: the exact swap to the
    last initialized tick in the swap's direction (or the edge of the ticks read), fee included.
    A swap of exactly this amount stops there, as on chain, instead of walking empty words."""
    zero_for_one = token_in == pool.token0
    ahead = [t for t, _ in pool.ticks if (t <= pool.tick if zero_for_one else t > pool.tick)]
    if not ahead:
        return 0
    end = min(ahead) if zero_for_one else max(ahead)
    result = v3_swap(pool.state, zero_for_one, 1 << 200, sqrt_ratio_at_tick(end), allow_partial=True)
    return result.amount_in


def _edge(edges: Sequence[Edge], index: int) -> Edge:
    """The edge with this index: at that position in a built problem, else found by search."""
    if index < len(edges) and edges[index].index == index:
        return edges[index]
    return next(e for e in edges if e.index == index)


def _order(edges: Sequence[Edge], flows: Mapping[int, float]) -> list[Edge]:
    """Edges in an order where every token's inflows come before its outflows (Kahn's order);
    where a cycle blocks it, the cycle's smallest flow is cut (a cycle only moves value in a
    circle and pays fees twice) and the order carries on."""
    live = {i: _edge(edges, i) for i in sorted(flows) if flows[i] > MIN_FLOW}
    outgoing: dict[str, list[int]] = defaultdict(list)
    indeg: dict[str, int] = defaultdict(int)
    for i, e in live.items():
        outgoing[e.token_in].append(i)
        indeg[e.token_out] += 1
    ready = sorted(t for t in outgoing if indeg[t] == 0)
    ordered: list[Edge] = []
    while live:
        while ready:
            for i in outgoing[ready.pop()]:
                if i in live:
                    e = live.pop(i)
                    ordered.append(e)
                    indeg[e.token_out] -= 1
                    if indeg[e.token_out] == 0:
                        ready.append(e.token_out)
        if live:  # only cycles are left: cut the smallest flow
            cut = live.pop(min(live, key=lambda i: flows[i]))
            indeg[cut.token_out] -= 1
            if indeg[cut.token_out] == 0:
                ready.append(cut.token_out)
    return ordered


def flows_to_hops(problem: Problem, flows: Mapping[int, float], fee_exact: bool = False) -> list[Hop]:
    """Exact hops for normalised edge flows (see the module docstring for the rules). With
    `fee_exact`, a coarse token's share into a V3 pool, all but the last, is rounded down to a
    whole fee period (`_fee_period`): its fee is then exact instead of rounded up (on a swap that
    crosses no tick: each step past one rounds its own), the rest rolls on."""
    ordered = _order(problem.edges, flows)
    wanted = set(problem.demands.buy)
    balance: dict[str, int] = defaultdict(int, problem.demands.sell)
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    for e in ordered:
        outgoing[e.token_in].append(e)
    ledger = Ledger(problem.liquidity.pools)
    coarse = {t for t, p in problem.prices.items() if p >= COARSE_UNIT * problem.value_sold}
    hops: list[Hop] = []
    for token, group in outgoing.items():  # insertion order is the topological order
        budget = balance[token]
        if token in wanted:  # keep what is wanted: send on only what the flows name
            budget = min(budget, sum(int(flows[g.index] / g.in_scale) for g in group))
        for hop in _spend(ledger, group, flows, budget, coarse, fee_exact):
            hops.append(hop)
            balance[token] -= hop.amount_in
            balance[hop.token_out] += hop.amount_out
    return hops


def _fee_period(fee_pips: int) -> int:
    """The least input whose V3 fee (input x fee_pips / 1e6) is a whole number of base units."""
    return 1_000_000 // math.gcd(fee_pips, 1_000_000) if fee_pips > 0 else 1


def _spend(ledger: Ledger, group: Sequence[Edge], flows: Mapping[int, float], budget: int,
           coarse: set[str], fee_exact: bool = False) -> list[Hop]:
    """`budget` of one token over its outgoing edges in the flows' proportions. The edges nearest
    their capacity go first; what a drained pool cannot take rolls on to the next edge, and the
    last edge (the one with the most room) also takes the rounding remainder. An edge paying
    out a `coarse` token (one base unit worth a noticeable share of the order) spends only the
    least input that buys its whole units; the rest rolls on too."""
    if budget <= 0:
        return []
    group = sorted(group, key=lambda g: flows[g.index] / g.cap if g.cap > 0 else 0.0, reverse=True)
    total = sum(flows[g.index] for g in group)
    amounts = [int(budget * flows[g.index] / total) for g in group]
    amounts[-1] += budget - sum(amounts)
    hops: list[Hop] = []
    carry = 0
    for k, (g, planned) in enumerate(zip(group, amounts, strict=True)):
        amount, carry = planned + carry, 0
        last = k == len(group) - 1
        if fee_exact and not last and g.token_in in coarse and g.pool.kind != "v2":
            period = _fee_period(g.pool.fee_pips)
            if amount >= period:
                carry += amount % period
                amount -= amount % period
        if g.token_out in coarse and not last and amount > 0:
            least = ledger.least_input(g.pool.address, g.token_in, amount)
            carry += amount - least
            amount = least
        hop = ledger.fill(g.pool.address, g.token_in, amount) if amount > 0 else None
        carry += amount - (hop.amount_in if hop else 0)
        if hop:
            hops.append(hop)
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
