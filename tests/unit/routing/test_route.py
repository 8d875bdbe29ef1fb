"""The router end to end on synthetic mainnet-shaped pools: quality against the baselines
and the bound, exact reported amounts, multi-token demands, and every refusal."""

from __future__ import annotations

import statistics

import pytest

from routing import synthetic
from routing.errors import NoLiquidityError, RoutingError, UnknownTokenError
from routing.evaluate import Ledger
from routing.pools import Liquidity
from routing.problem import Demands
from routing.route import METHODS, route

GAS = 20 * 10**9


def _instances(count: int, n_pools: int = 100, n_tokens: int = 20) -> list[synthetic.Instance]:
    return synthetic.routable(0, count, n_pools, n_tokens)


INSTANCES = _instances(6)


def test_should_deliver_no_less_value_after_gas_than_any_baseline() -> None:
    for inst in INSTANCES:
        best = route(inst.demands, inst.liquidity, inst.prices, "milp", GAS, with_bound=False)
        for method in METHODS[1:]:
            try:
                other = route(inst.demands, inst.liquidity, inst.prices, method, GAS, with_bound=False)
            except NoLiquidityError:
                continue  # e.g. no single pool joins the pair
            assert best.net_value >= other.net_value, (method, inst.usd)


def test_should_stay_within_a_basis_point_of_the_bound_before_gas() -> None:
    gaps = [route(i.demands, i.liquidity, i.prices, "milp", 0).gap_bps for i in INSTANCES]
    assert all(g is not None and g >= 0 for g in gaps), "nothing beats the upper bound"
    # (orders of $20-$60 here: a base unit of some token on their path is worth ~0.1 bp of them)
    assert statistics.median(gaps) <= 0.05
    assert max(gaps) <= 0.5


@pytest.mark.parametrize("gas", [0, GAS])
def test_should_report_amounts_that_the_integer_math_reproduces_hop_by_hop(gas: int) -> None:
    for inst in INSTANCES:
        result = route(inst.demands, inst.liquidity, inst.prices, "milp", gas)
        ledger = Ledger(inst.liquidity.pools)
        for hop in result.hops:
            assert ledger.apply(hop.pool, hop.token_in, hop.amount_in) == hop
        (sell, amount), = inst.demands.sell.items()
        assert result.sold[sell] == amount
        assert sum(h.amount_in for h in result.hops if h.token_in == sell) == amount
        (buy,) = inst.demands.buy
        assert result.delivered[buy] == sum(h.amount_out for h in result.hops if h.token_out == buy)
        assert result.value_out == result.delivered[buy] * inst.prices[buy]
        assert result.bound_value is not None and result.value_out <= result.bound_value


def test_should_split_a_pool_moving_order_over_several_pools() -> None:
    liq, prices = synthetic.liquidity(11, 60, 6)
    weth, usdc = (next(a for a, t in liq.tokens.items() if t.symbol == s) for s in ("WETH", "USDC"))
    big = route(Demands({weth: 20_000 * 10**18}, {usdc: 0}), liq, prices, "milp", GAS)
    single = route(Demands({weth: 20_000 * 10**18}, {usdc: 0}), liq, prices, "single-path", GAS)
    assert len({h.pool for h in big.hops}) >= 3
    assert big.net_value > single.net_value


def test_should_meet_minimums_when_selling_two_tokens_into_two() -> None:
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    sell = {sym["WETH"]: 10 * 10**18, sym["WBTC"]: 10**8}
    want = {sym["USDC"]: 20_000 * 10**6, sym["DAI"]: 20_000 * 10**18}
    result = route(Demands(sell, want), liq, prices, "milp", GAS)
    assert result.sold == sell
    assert all(result.delivered[t] >= m for t, m in want.items())


def test_rejects_minimums_the_pools_cannot_pay() -> None:
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    with pytest.raises(NoLiquidityError, match="minimum"):
        route(Demands({sym["WETH"]: 10**18}, {sym["USDC"]: 10_000 * 10**6}), liq, prices, "milp", GAS)


@pytest.fixture(scope="module")
def world() -> tuple[Liquidity, dict[str, int], dict[str, str]]:
    liq, prices = synthetic.liquidity(11, 60, 6)
    return liq, prices, {t.symbol: a for a, t in liq.tokens.items()}


def test_rejects_an_unknown_token(world) -> None:
    liq, prices, sym = world
    with pytest.raises(UnknownTokenError) as err:
        route(Demands({"0x" + "ab" * 20: 10}, {sym["USDC"]: 0}), liq, prices)
    assert err.value.field == "sell"


@pytest.mark.parametrize("amount", [0, -10**18])
def test_rejects_a_zero_or_negative_amount(world, amount: int) -> None:
    liq, prices, sym = world
    with pytest.raises(RoutingError, match="must be positive") as err:
        route(Demands({sym["WETH"]: amount}, {sym["USDC"]: 0}), liq, prices)
    assert err.value.field == "sell"


def test_rejects_an_amount_larger_than_all_the_liquidity(world) -> None:
    liq, prices, sym = world
    with pytest.raises(NoLiquidityError, match="larger than the pools can take") as err:
        route(Demands({sym["WETH"]: 10**12 * 10**18}, {sym["USDC"]: 0}), liq, prices)
    assert err.value.field == "sell"


def test_rejects_an_empty_pool_set(world) -> None:
    liq, prices, sym = world
    empty = Liquidity(liq.tokens, (), 0, liq.native)
    with pytest.raises(NoLiquidityError, match="empty") as err:
        route(Demands({sym["WETH"]: 10**18}, {sym["USDC"]: 0}), empty, prices)
    assert err.value.field == "pools"


def test_rejects_an_unknown_method_and_a_token_both_sold_and_bought(world) -> None:
    liq, prices, sym = world
    with pytest.raises(RoutingError, match="unknown method"):
        route(Demands({sym["WETH"]: 10**18}, {sym["USDC"]: 0}), liq, prices, "magic")
    with pytest.raises(RoutingError, match="both sold and bought"):
        route(Demands({sym["WETH"]: 10**18}, {sym["WETH"]: 0}), liq, prices)


def test_should_route_the_acceptance_twin_of_every_refusal(world) -> None:
    liq, prices, sym = world
    ok = route(Demands({sym["WETH"]: 10**18}, {sym["USDC"]: 0}), liq, prices)
    assert ok.delivered[sym["USDC"]] > 0 and ok.hops


def test_should_sell_everything_even_when_gas_costs_more_than_the_order(world) -> None:
    liq, prices, sym = world
    dust = 10**14  # 0.0001 WETH, about 30 cents, against dollars of gas
    result = route(Demands({sym["WETH"]: dust}, {sym["USDC"]: 0}), liq, prices, "milp", 200 * 10**9)
    assert result.sold == {sym["WETH"]: dust} and result.hops
    assert result.net_value < 0 < result.value_out


def test_should_answer_within_a_tiny_time_limit_with_the_best_feasible_route() -> None:
    liq, prices = synthetic.liquidity(5, 200, 30)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    demands = Demands({sym["WETH"]: 3_000 * 10**18}, {sym["USDC"]: 0})
    rushed = route(demands, liq, prices, "milp", GAS, time_limit_s=0.001, with_bound=False)
    calm = route(demands, liq, prices, "milp", GAS, with_bound=False)
    split = route(demands, liq, prices, "split", GAS, with_bound=False)
    assert rushed.sold == calm.sold == demands.sell
    assert rushed.net_value >= split.net_value
    assert calm.net_value >= rushed.net_value
    assert rushed.status in ("optimal", "selected", "feasible") or rushed.status.startswith("fallback:")
