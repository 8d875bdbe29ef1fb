"""The solver's one door into `routing/`: a residual in, an exact routed plan out.

A residual may owe several tokens. The sold tokens are shared out over the owed tokens in
proportion to the value owed, and each owed token is routed on its own (the router then
maximises what it delivers of that token), on the pools' state after the routes before
it — so the hops, executed in this order, pay exactly the amounts reported. Handing the
router every owed token at once would let it pour everything into whichever pays best.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from contracts.mainnet import UNISWAP
from keel import metrics
from keel.units import USD_PRICE_SCALE
from solver.breakers import detour_reason, healthy_pools, impact_reason
from solver.clearing import RoutedPlan, RouteFn
from solver.errors import NoSolution

if TYPE_CHECKING:
    from routing.evaluate import Hop
    from routing.pools import Liquidity
    from solver.domain import PoolTwap

DUST_VALUE = USD_PRICE_SCALE // 100  # one cent (amount × UsdPrice): not worth a swap
REALLOCATIONS = 4  # re-share the sold tokens at most this often per residual
EVEN_DELIVERY = 1.00002  # owed tokens delivered within 0.2 bp of the same share of what is owed
EMPTY = RoutedPlan({}, {}, 0, ())


def make_route_fn(
    method: str,
    liquidity: Liquidity,
    prices: dict[str, int],
    gas_price_wei: int,
    recipient: str,
    deadline_s: int,
    time_limit_s: float = 2.0,
    notes: dict[str, Any] | None = None,
    twaps: Mapping[str, PoolTwap] | None = None,
) -> RouteFn:
    """A route function over the auction's pools, less any the pool-deviation breaker trips on
    against the feed or the pool's TWAP (`twaps`; listed with the reason in
    `notes["pools_left_out"]`); a residual whose pair's cheapest pool is left out is not routed
    around it (`solver.breakers.detour_reason`); a route past the price-impact limit is refused."""
    if not liquidity.tokens:  # no snapshot at all (a discovered one always lists its tokens)
        raise NoSolution("the auction carries no liquidity snapshot", "liquidity")
    full = liquidity
    liquidity, left_out = healthy_pools(liquidity, prices, 0, twaps=twaps)
    if notes is not None:
        notes["pools_left_out"] = left_out

    bias: dict[str, float] = {}  # learnt across calls: how much more of the sells a token needs

    def route_fn(sells: dict[str, int], buys: dict[str, int]) -> RoutedPlan:
        detour = detour_reason(full, left_out, sells, buys)
        if detour:
            metrics.BREAKER_TRIPS.labels(metrics.breaker_label(detour)).inc()
            raise NoSolution(f"breaker: {detour}", "liquidity")
        try:
            return _route(sells, buys)
        except NoSolution as exc:
            if not left_out:
                raise
            raise NoSolution(f"{exc} ({len(left_out)} pools left out by the breaker: "
                             f"{next(iter(left_out.values()))})", "liquidity") from None

    def _route(sells: dict[str, int], buys: dict[str, int]) -> RoutedPlan:
        plan = EMPTY
        for _ in range(REALLOCATIONS):
            weights = {t: q * prices[t] * bias.get(t, 1.0) for t, q in buys.items()}
            plan = _route_shares(method, liquidity, sells, buys, weights, prices, gas_price_wei, time_limit_s,
                                 recipient, deadline_s)
            ratios = {t: max(plan.obtained.get(t, 0), 1) / need for t, need in buys.items()}
            if len(buys) == 1 or max(ratios.values()) / min(ratios.values()) < EVEN_DELIVERY:
                break
            # give more of what is sold to the owed tokens the pools delivered least of
            for t, r in ratios.items():
                bias[t] = bias.get(t, 1.0) / r
        tripped = impact_reason(sum(q * prices[t] for t, q in plan.spent.items()),
                                sum(q * prices[t] for t, q in plan.obtained.items()), 0)
        if tripped:
            for reason in tripped.split("; "):
                metrics.BREAKER_TRIPS.labels(metrics.breaker_label(reason)).inc()
            raise NoSolution(f"breaker: {tripped}", "liquidity")
        return plan

    return route_fn


def _route_shares(method: str, liquidity: Liquidity, sells: dict[str, int], buys: dict[str, int], weights: dict[str, float],
                  prices: dict[str, int], gas_price_wei: int, time_limit_s: float, recipient: str,
                  deadline_s: int) -> RoutedPlan:
    """Route each owed token on its own, from the sold tokens `allocate` gives it, in order."""
    state = liquidity
    hops: list[Hop] = []
    for token, share in allocate(sells, weights, prices, liquidity).items():
        share = {s: q for s, q in share.items() if q * prices[s] >= DUST_VALUE}
        if not share:
            continue
        found = _route_one(method, state, share, token, prices, gas_price_wei, time_limit_s)
        hops += found
        state = _advance(state, found)
    return _plan(hops, sells, buys, liquidity, recipient, deadline_s)


def allocate(sells: dict[str, int], weights: dict[str, float], prices: dict[str, int],
             liquidity: Liquidity) -> dict[str, dict[str, int]]:
    """Which sold token pays for which owed token: a greedy transport plan.

    Each owed token wants its `weights` share of the value sold; pairs with the best direct
    pool (the marginal rate of a small trade, in value) are filled first, so a sold token
    goes straight to an owed token it trades with — never through a pool that another owed
    token's route crosses the other way. Every base unit sold is allocated.
    """
    supply: dict[str, float] = {s: q * prices[s] for s, q in sells.items()}
    total_weight = sum(weights.values())
    demand = {b: w / total_weight * sum(supply.values()) for b, w in weights.items()}
    pairs = sorted(((_direct_rate(liquidity, s, b, sells[s], prices), s, b) for s in sells for b in weights),
                   key=lambda x: -x[0])
    value: dict[str, dict[str, float]] = {b: {} for b in weights}
    for _rate, s, b in pairs:
        v = min(supply[s], demand[b])
        if v > 0:
            value[b][s] = value[b].get(s, 0) + v
            supply[s] -= v
            demand[b] -= v
    amounts = {b: {s: int(v / prices[s]) for s, v in per.items()} for b, per in value.items()}
    for s, q in sells.items():  # rounding either way is settled on the largest part of the token
        given = sum(per.get(s, 0) for per in amounts.values())
        if given != q:
            b = max(amounts, key=lambda t: amounts[t].get(s, 0))
            amounts[b][s] = amounts[b].get(s, 0) + q - given
    return {b: per for b, per in amounts.items() if per}


def _direct_rate(liquidity: Liquidity, sold: str, owed: str, amount: int, prices: dict[str, int]) -> float:
    """Value out per value in of a small trade through the best pool joining the two tokens (0: none)."""
    probe = max(amount // 1000, 1)
    best = 0.0
    for pool in liquidity.pools:
        if {pool.token0, pool.token1} != {sold, owed}:
            continue
        try:
            out = pool.amount_out(sold, probe)
        except Exception:  # a pool that cannot take the probe is simply not a direct route
            continue
        best = max(best, out * prices[owed] / (probe * prices[sold]))
    return best


def _route_one(method: str, state: Liquidity, sells: dict[str, int], token: str, prices: dict[str, int],
               gas_price_wei: int, time_limit_s: float) -> list[Hop]:
    from routing.errors import NoLiquidityError, PoolMathError, RoutingError
    from routing.problem import Demands
    from routing.route import route

    try:
        result = route(Demands(sell=sells, buy={token: 0}), state, prices, method, gas_price_wei,
                       with_bound=False, time_limit_s=time_limit_s)
    except (NoLiquidityError, PoolMathError) as exc:
        raise NoSolution(f"no route to {state.symbol(token)}: {exc}", "liquidity") from None
    except RoutingError as exc:
        raise NoSolution(f"routing refused the residual: {exc}", "liquidity") from None
    return list(result.hops)


def _advance(state: Liquidity, hops: list[Hop]) -> Liquidity:
    pools = {p.address: p for p in state.pools}
    for hop in hops:
        pools[hop.pool], _ = pools[hop.pool].after_swap(hop.token_in, hop.amount_in)
    return replace(state, pools=tuple(pools[p.address] for p in state.pools))


def _plan(hops: list[Hop], sells: dict[str, int], buys: dict[str, int], liquidity: Liquidity, recipient: str,
          deadline_s: int) -> RoutedPlan:
    from routing.evaluate import gas_units
    from routing.execute import interactions as hop_interactions
    from routing.execute import routers

    spent = {s: 0 for s in sells}
    obtained = {b: 0 for b in buys}
    for h in hops:
        if h.token_in in spent:
            spent[h.token_in] += h.amount_in
        if h.token_out in obtained:
            obtained[h.token_out] += h.amount_out
        if h.token_in in obtained:  # an owed token used as an intermediate hop
            obtained[h.token_in] -= h.amount_in
        if h.token_out in spent:
            spent[h.token_out] -= h.amount_out
    return RoutedPlan(
        spent=spent,
        obtained=obtained,
        gas=gas_units(hops) if hops else 0,
        # the world reproduces mainnet's routers, and the auction names no others; the
        # settlement's owner gives them standing allowances, so no approve interaction
        interactions=tuple(hop_interactions(hops, routers(UNISWAP), recipient, deadline_s, approve_first=False)),
        description=tuple(
            f"{h.amount_in} {liquidity.symbol(h.token_in)} -> {h.amount_out} {liquidity.symbol(h.token_out)} "
            f"via {h.kind} {h.pool}" + (f" ({h.fee_pips / 10_000:g}%)" if h.kind == "v3" else "")
            for h in hops
        ),
        hops=tuple({"pool": h.pool, "kind": h.kind, "fee_pips": h.fee_pips, "token_in": h.token_in,
                    "token_out": h.token_out, "amount_in": str(h.amount_in), "amount_out": str(h.amount_out)}
                   for h in hops),
    )
