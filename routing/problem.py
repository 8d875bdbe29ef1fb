"""The routing problem in optimiser units: demands, candidate edges, normalisation.

A `Demands` says which tokens must be sold (exact amounts) and which are wanted
(minimum amounts, 0 = as much as possible). An edge is one pool in one direction.
The candidate edges are *every* pool direction in the part of the pool graph that joins a
sold token to a wanted token: routes of any length, and walks that re-enter a sold token
or leave a wanted one (cycles), so a relaxation over them bounds every route. Optimisers
see amounts as *value fractions*: `x_hat = x * price / V`, where V is the value sold, so
every variable is O(1) whatever the tokens' decimals. Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.curves import Curve, curve
from routing.errors import NoLiquidityError, RoutingError
from routing.pools import Liquidity, Pool

MIN_KEPT = 0.5  # refuse orders whose best conceivable output is worth less than half of what is sold


@dataclass(frozen=True)
class Demands:
    """Net demands of a batch, base units. `sell`: exact amounts to sell; `buy`: minimums wanted."""

    sell: Mapping[str, int]
    buy: Mapping[str, int]


@dataclass(frozen=True)
class Edge:
    index: int
    pool: Pool
    token_in: str
    token_out: str
    curve: Curve
    in_scale: float  # value fraction per base unit of token_in
    out_scale: float
    cap: float  # gross input that exhausts the pool, in value fractions (inf for V2)
    gas: float  # gas cost of using the pool, in value fractions

    def at(self, x_hat: float) -> tuple[float, float]:
        """Normalised output and slope at normalised input."""
        y, dy = self.curve.at(x_hat / self.in_scale)
        return y * self.out_scale, dy * self.out_scale / self.in_scale


@dataclass(frozen=True)
class Problem:
    demands: Demands
    liquidity: Liquidity
    prices: Mapping[str, int]
    edges: tuple[Edge, ...]
    value_sold: int  # V, in price units (amount * price)
    supply: Mapping[str, float] = field(default_factory=dict)  # normalised
    minimum: Mapping[str, float] = field(default_factory=dict)  # normalised
    gas_value_per_unit: float = 0.0  # value of one gas unit, price units
    max_hops: int = 2  # longest path the path-enumerating routers consider

    @property
    def tokens(self) -> set[str]:
        return {t for e in self.edges for t in (e.token_in, e.token_out)}


def validate(demands: Demands, liquidity: Liquidity, prices: Mapping[str, int]) -> None:
    """One clear error for each bad input, naming the field."""
    if not liquidity.pools:
        raise NoLiquidityError("the pool set is empty: nothing to route through", "pools")
    if not demands.sell:
        raise RoutingError("nothing to sell: give at least one sell token and amount", "sell")
    if not demands.buy:
        raise RoutingError("nothing to buy: give at least one buy token", "buy")
    for side, amounts in (("sell", demands.sell), ("buy", demands.buy)):
        for token, amount in amounts.items():
            if token not in liquidity.tokens:
                liquidity.resolve(token, side)
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise RoutingError(f"{side} amount of {liquidity.symbol(token)} must be an integer of base units", side)
            if side == "sell" and amount <= 0:
                raise RoutingError(f"sell amount of {liquidity.symbol(token)} must be positive, got {amount}", "sell")
            if side == "buy" and amount < 0:
                raise RoutingError(f"buy minimum of {liquidity.symbol(token)} must not be negative", "buy")
            if prices.get(token, 0) <= 0:
                raise RoutingError(f"no reference price for {liquidity.symbol(token)}", "prices")
    both = set(demands.sell) & set(demands.buy)
    if both:
        raise RoutingError(f"{liquidity.symbol(next(iter(both)))} is both sold and bought", "buy")


def candidate_pools(demands: Demands, liquidity: Liquidity) -> list[tuple[Pool, str, str]]:
    """Both directions of every pool in a connected part of the pool graph that holds a sold
    token and a wanted token: every walk from one to the other uses only these."""
    adjacency: dict[str, set[str]] = defaultdict(set)
    for p in liquidity.pools:
        adjacency[p.token0].add(p.token1)
        adjacency[p.token1].add(p.token0)
    component: dict[str, int] = {}
    for start in adjacency:
        if start in component:
            continue
        component[start] = len(component)
        label, stack = component[start], [start]
        while stack:
            for u in adjacency[stack.pop()]:
                if u not in component:
                    component[u] = label
                    stack.append(u)
    sold = {component[t] for t in demands.sell if t in component}
    wanted = {component[t] for t in demands.buy if t in component}
    live = sold & wanted
    return [(p, a, b) for p in liquidity.pools if component[p.token0] in live
            for a, b in ((p.token0, p.token1), (p.token1, p.token0))]


def build(demands: Demands, liquidity: Liquidity, prices: Mapping[str, int], gas_price_wei: int,
          max_hops: int = 2) -> Problem:
    """Validate and normalise; raise `NoLiquidityError` if no path joins what is sold and wanted.

    `max_hops` is kept on the problem for the routers that enumerate paths (the baselines,
    the integer program's seeds); the edges themselves are not limited by path length."""
    validate(demands, liquidity, prices)
    value_sold = sum(a * prices[t] for t, a in demands.sell.items())
    native_price = prices.get(liquidity.native, 0) if liquidity.native else 0
    gas_unit_value = float(gas_price_wei * native_price)
    edges: list[Any] = []
    for p, a, b in candidate_pools(demands, liquidity):
        if prices.get(a, 0) <= 0 or prices.get(b, 0) <= 0:
            continue  # an intermediate without a reference price cannot be valued
        c = curve(p, a)
        if c.cap <= 0:
            continue
        in_scale, out_scale = prices[a] / value_sold, prices[b] / value_sold
        edges.append(Edge(len(edges), p, a, b, c, in_scale, out_scale, c.cap * in_scale,
                          p.gas * gas_unit_value / value_sold))
    supply = {t: a * prices[t] / value_sold for t, a in demands.sell.items()}
    minimum = {t: a * prices[t] / value_sold for t, a in demands.buy.items()}
    problem = Problem(demands, liquidity, prices, tuple(edges), value_sold, supply, minimum, gas_unit_value,
                      max_hops)
    _check_reachable(problem)
    return problem


def _check_reachable(problem: Problem) -> None:
    sym = problem.liquidity.symbol
    for t, s in problem.supply.items():
        out = [e for e in problem.edges if e.token_in == t]
        if not out:
            raise NoLiquidityError(f"no pool path from {sym(t)} to {', '.join(map(sym, problem.demands.buy))}", "sell")
        capacity = sum(e.cap for e in out)
        if capacity < s * (1 - 1e-9):
            most = capacity / out[0].in_scale
            raise NoLiquidityError(
                f"selling {problem.demands.sell[t]} {sym(t)} exceeds what the pools can absorb "
                f"(at most ~{most:.6g} base units): lower the amount", "sell")
    into_buys = [e for e in problem.edges if e.token_out in problem.demands.buy]
    if not into_buys:
        raise NoLiquidityError("no pool reaches the wanted tokens", "buy")
    # even draining every pool into the wanted tokens: if that is worth under half of what is
    # sold, no route is sane (and the optimisers would work in numbers below their tolerances)
    most = sum(e.at(e.cap)[0] for e in into_buys)
    if most < MIN_KEPT:
        raise NoLiquidityError(
            f"the order is larger than the pools can take: all the liquidity into the wanted tokens is worth "
            f"{most:.2%} of the value sold at reference prices; lower the amount", "sell")
