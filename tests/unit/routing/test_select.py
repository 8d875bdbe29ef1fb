"""Gas-aware selection from the convex optimum: what the dual surpluses promise holds, pools
that do not earn their gas are dropped, and keel is never below a baseline after gas."""

from __future__ import annotations

import pytest

from routing import baselines, convex, synthetic
from routing.errors import NoLiquidityError
from routing.problem import Demands, build
from routing.route import METHODS, route
from routing.select import cost, net_value, select

GAS = 20 * 10**9


@pytest.fixture(scope="module")
def split_order():
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    return build(Demands({sym["WETH"]: 3_000 * 10**18}, {sym["USDC"]: 0}), liq, prices, GAS)


def test_should_lose_at_least_a_pools_surplus_when_it_is_removed(split_order) -> None:
    problem = split_order
    free = convex.solve(problem)
    used = sorted({problem.edges[i].pool.address for i, x in free.x.items() if x > 1e-9})
    assert len(used) >= 3
    for pool in used:
        surplus = sum(s for i, s in free.surplus.items() if problem.edges[i].pool.address == pool)
        without = convex.solve(problem, [e for e in problem.edges if e.pool.address != pool], warm=free.prices)
        assert free.value - without.value >= surplus - 1e-9


def test_should_gain_at_most_a_pools_surplus_when_it_is_added(split_order) -> None:
    problem = split_order
    free = convex.solve(problem)
    kept = [e for e in problem.edges if free.x.get(e.index, 0.0) > 1e-9]
    pruned = kept[:-1]
    base = convex.solve(problem, pruned, warm=free.prices)
    assert free.network is not None
    priced = convex.surplus(free.network, base.prices)
    grown = convex.solve(problem, kept, warm=base.prices)
    assert grown.value - base.value <= priced.get(kept[-1].index, 0.0) + 1e-9


@pytest.mark.parametrize(("weth", "kept"), [(10, 1), (300, 8)])
def test_should_keep_only_the_pools_that_earn_their_gas(weth: int, kept: int) -> None:
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    problem = build(Demands({sym["WETH"]: weth * 10**18}, {sym["USDC"]: 0}), liq, prices, GAS)
    free = convex.solve(problem)
    spread = {problem.edges[i].pool.address for i, x in free.x.items() if x > 1e-9}
    assert len(spread) > kept, "gas-free, the order is split over more pools"
    best = select(problem, free, [list(p) for p in baselines.best_paths(problem, 3)])[0]
    assert len({e.pool.address for e in best.edges}) == kept
    # no kept pool is worth dropping: it earns its cost at the kept optimum's prices, or the
    # rest cannot carry the order without it, or they carry it for less after costs
    for e in best.edges:
        if best.solution.surplus.get(e.index, 0.0) >= cost(problem, e):
            continue
        rest = [f for f in best.edges if f.pool.address != e.pool.address]
        if rest:
            without = convex.solve(problem, rest, warm=best.solution.prices)
            sold = sum(x for i, x in without.x.items() if problem.edges[i].token_in == sym["WETH"])
            assert sold < 1 - 1e-9 or net_value(problem, without) <= best.net
    result = route(problem.demands, liq, prices, "milp", GAS, with_bound=False)
    assert result.status == "selected" and len({h.pool for h in result.hops}) == kept


@pytest.mark.parametrize(("pools", "tokens"), [(10, 5), (100, 20)])
def test_should_never_deliver_less_after_gas_than_any_baseline_without_falling_back(pools: int, tokens: int) -> None:
    fallbacks = 0
    for inst in synthetic.routable(4, 8, pools, tokens):
        keel = route(inst.demands, inst.liquidity, inst.prices, "milp", GAS, with_bound=False)
        fallbacks += keel.status not in ("selected", "optimal")
        for method in METHODS[1:]:
            try:
                other = route(inst.demands, inst.liquidity, inst.prices, method, GAS, with_bound=False)
            except NoLiquidityError:
                continue
            assert keel.net_value >= other.net_value, (method, inst.usd)
    assert fallbacks == 0, "the selection itself matched or beat every baseline"
