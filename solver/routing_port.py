"""The solver's one door into `routing/`: a residual in, an exact routed plan out."""

from __future__ import annotations

from contracts.mainnet import UNISWAP
from solver.clearing import RoutedPlan, RouteFn
from solver.domain import Interaction
from solver.errors import NoSolution

ROUTERS = {"v2": UNISWAP["UniswapV2Router02"], "v3": UNISWAP["SwapRouter"]}

# Minimums handed to the router as a share of what users are owed: the clearing loop
# raises prices until the owed amounts fit what is delivered, so the router must not
# refuse a residual just because the first guess at prices was too generous.
MINIMUM_SHARES = (0.97, 0.9, 0.6, 0.0)


def make_route_fn(
    method: str,
    liquidity_json: dict,
    prices: dict[str, int],
    gas_price_wei: int,
    recipient: str,
    deadline_s: int,
    time_limit_s: float = 2.0,
) -> RouteFn:
    from routing.errors import NoLiquidityError, PoolMathError, RoutingError
    from routing.execute import interactions as hop_interactions
    from routing.pools import Liquidity
    from routing.problem import Demands
    from routing.route import route

    if not liquidity_json:
        raise NoSolution("the auction carries no liquidity snapshot", "liquidity")
    liquidity = Liquidity.from_json(liquidity_json, source="auction.liquidity")

    def route_fn(sells: dict[str, int], buys: dict[str, int]) -> RoutedPlan:
        last: Exception | None = None
        for share in MINIMUM_SHARES:
            demands = Demands(sell=dict(sells), buy={t: int(q * share) for t, q in buys.items()})
            try:
                result = route(demands, liquidity, prices, method, gas_price_wei,
                               with_bound=False, time_limit_s=time_limit_s)
            except (NoLiquidityError, PoolMathError) as exc:
                last = exc
                continue
            except RoutingError as exc:
                raise NoSolution(f"routing refused the residual: {exc}", "liquidity") from None
            hops = list(result.hops)
            return RoutedPlan(
                spent=dict(result.sold),
                obtained=dict(result.delivered),
                gas=result.gas_units,
                interactions=tuple(Interaction(i.target, i.value, i.call_data)
                                   for i in hop_interactions(hops, ROUTERS, recipient, deadline_s)),
                description=tuple(
                    f"{h.amount_in} {liquidity.symbol(h.token_in)} -> {h.amount_out} {liquidity.symbol(h.token_out)} "
                    f"via {h.kind} {h.pool}" + (f" ({h.fee_pips / 10_000:g}%)" if h.kind == "v3" else "")
                    for h in hops
                ),
            )
        raise NoSolution(f"no route for the residual: {last}", "liquidity")

    return route_fn
