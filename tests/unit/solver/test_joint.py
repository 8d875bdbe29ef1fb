"""The joint program: its bound bounds what the clearing settles, it matches a brute force on a
small case, and its volumes reach the target rather than the band's edge."""

from __future__ import annotations

import pytest

from intents.model import Intent, IntentKind
from keel.units import BPS, USD_PRICE_SCALE
from routing.pools import Liquidity
from solver import joint, joint_bound, scoring
from solver.clearing import clear, within_bounds
from solver.joint_wants import joint_want
from solver.routing_port import make_route_fn
from solver.strategies.batch import clear_trimming
from solver.translate import translate, weights_after
from tests.unit.solver.test_clearing import (
    OWNERS,
    PRICES,
    SETTLEMENT,
    USDC,
    WETH,
    intent,
    liquidity,
)


def contributions_usd(intents: dict[str, Intent], balances: dict, flows: dict[str, dict[str, int]]) -> float:
    """Σ of `solver.scoring`'s per-execution contributions, from flows alone (reference prices)."""
    total = 0
    for i, f in flows.items():
        it = intents[i]
        before = balances[it.owner]
        after = {t: before.get(t, 0) + f.get(t, 0) for t in it.tokens}
        progress = scoring.distance_e18(it, before, PRICES) - scoring.distance_e18(it, after, PRICES)
        cost = scoring.cost_e18(f, PRICES)
        if progress <= 0:
            total += min(0, -cost)
            continue
        useful = min(scoring.given_e18(f, PRICES), progress)
        total += useful * (it.max_fee_bps + scoring.band_bps(it, PRICES)) // BPS - cost
    return total / 1e18


def batch(users: list[tuple[int, int, int]]) -> tuple[dict[str, Intent], dict]:
    balances, intents = {}, {}
    for k, (usdc, eth, weth_bps) in enumerate(users):
        balances[OWNERS[k]] = {USDC: usdc * 10**6, WETH: eth * 10**18}
        intents[f"0x{k}"] = intent(OWNERS[k], weth_bps)
    return intents, balances


def program(intents: dict[str, Intent], balances: dict, pools: Liquidity, mode: str) -> joint.JointResult:
    jis = joint.joint_intents(list(intents), intents, balances, PRICES, lambda _: 0)
    return joint.solve(jis, pools, PRICES, mode)


def settle_joint(intents: dict[str, Intent], balances: dict, pools: Liquidity):
    result = program(intents, balances, pools, joint.SETTLE)
    wants = {i: joint_want(i, it, result.flows_usd[i], balances[it.owner], PRICES) for i, it in intents.items()}
    route = make_route_fn("milp", pools, PRICES, 0, SETTLEMENT, 2**32)
    return clear(wants, intents, balances, PRICES, route, lambda _i: 0)


@pytest.mark.parametrize("users", [
    [(100_000, 0, 5000), (0, 30, 5000)],  # opposite wants: mostly matched
    [(200_000, 0, 6000), (50_000, 10, 3000), (0, 40, 5000)],  # three users, residual routed
    [(200_000, 0, 8000)],  # one user alone, through the pool
])
def test_should_bound_the_score_of_the_batch_the_clearing_settles(users) -> None:
    intents, balances = batch(users)
    pools = Liquidity.from_json(liquidity())
    cleared = settle_joint(intents, balances, pools)
    assert cleared.flows, "the batch settles"
    for i in cleared.flows:
        assert within_bounds(intents[i], cleared.prices) is None
    settled = contributions_usd(intents, balances, cleared.flows)
    loose = program(intents, balances, pools, joint.ANY_PRICE).bound_usd
    jis = joint.joint_intents(list(intents), intents, balances, PRICES, lambda _: 0)
    bound, vertices = joint_bound.priced_bound(jis, pools, PRICES)
    assert vertices == 2  # one token priced against the numeraire: the box's two ends
    fixed = program(intents, balances, pools, joint.FIXED_PRICE).objective_usd
    assert settled <= bound <= loose * (1 + 1e-9)
    assert fixed <= bound  # the price box holds the reference prices
    for weth in (0.981, 0.99, 1.0, 1.01, 1.019):  # uniform clearing prices inside the ±2% bounds
        at = joint.solve(jis, pools, PRICES, joint.FIXED_PRICE, {WETH: weth}).objective_usd
        assert at <= bound
    assert settled >= 0.99 * bound  # and it is tight on these: within 1%


def test_should_match_a_brute_force_over_the_sold_amount_for_one_user_and_one_pool() -> None:
    # one user, 1M USDC, wants 80% WETH: the only freedom is how much USDC to sell into the pool;
    # at reference prices with value conservation, what it receives is the pool's exact output
    intents, balances = batch([(1_000_000, 0, 8000)])
    pools = Liquidity.from_json(liquidity())
    pool = pools.pools[0]

    def value(sold: int) -> float:
        flows = {USDC: -sold, WETH: pool.amount_out(USDC, sold) if sold else 0}
        return contributions_usd(intents, balances, {"0x0": flows})

    step = 1_000 * 10**6
    coarse = max(range(0, 1_000_001 * 10**6, step), key=value)
    best_sold = max((coarse + k * step // 1000 for k in range(-2000, 2001)), key=value)  # to $1 around it
    best = value(best_sold)
    fixed = program(intents, balances, pools, joint.FIXED_PRICE)
    assert fixed.bound_usd >= best  # an upper bound on every amount tried
    assert fixed.bound_usd <= best * (1 + 1e-4)  # and as good as the best of them, to 1 bp
    sold_usd = -fixed.flows_usd["0x0"][USDC]
    # where the pool's marginal cost meets the allowance: well short of the target ($800k) here
    assert sold_usd == pytest.approx(best_sold / 10**6, abs=2_000)


def test_should_choose_volumes_that_land_at_the_target_where_translate_stops_at_the_band_edge() -> None:
    intents, balances = batch([(100_000, 0, 5000), (0, 30, 5000)])
    pools = Liquidity.from_json(liquidity())
    result = program(intents, balances, pools, joint.SETTLE)
    for i, it in intents.items():
        held = balances[it.owner]
        least = translate(i, it, held, PRICES).flows(PRICES, 0)
        chosen = joint_want(i, it, result.flows_usd[i], held, PRICES).flows(PRICES, 0)
        miss_least = abs(weights_after(it, held, least, PRICES)[1] - 5000)
        miss_chosen = abs(weights_after(it, held, chosen, PRICES)[1] - 5000)
        assert miss_chosen < 1 < miss_least  # within 1 bp of target; translate stops 12.5 bp away


def test_should_round_sells_up_but_never_past_the_balance_and_give_buys_whole_shares() -> None:
    it = intent(OWNERS[0], 5000)
    held = {USDC: 1_000 * 10**6, WETH: 0}
    want = joint_want("0xa", it, {USDC: -1_000.0000004, WETH: 999.9}, held, PRICES)
    assert want.exact == {USDC: -1_000 * 10**6}  # rounds up to 1,000.000001 but holds only 1,000
    assert want.balancing == {WETH: BPS}
    small = joint_want("0xa", it, {USDC: -0.001, WETH: 0.001}, held, PRICES)
    assert small.is_empty  # under a cent: no trade


def test_should_report_an_intent_no_pool_can_bring_into_its_band_instead_of_failing_the_batch() -> None:
    # a hedger holds $1,000 of USDC and must end with at least 100 WETH: nothing gets it there
    intents, balances = batch([(100_000, 0, 5000), (0, 30, 5000)])
    balances[OWNERS[2]] = {USDC: 1_000 * 10**6, WETH: 0}
    weights = intent(OWNERS[2], 5000)
    intents["0x2"] = Intent(OWNERS[2], weights.tokens, weights.min_price, weights.max_price, IntentKind.BALANCES,
                            min_balance=(0, 100 * 10**18), max_balance=(2**256 - 1, 2**256 - 1), max_fee_bps=30,
                            valid_to=2**32, nonce=1)
    result = program(intents, balances, Liquidity.from_json(liquidity()), joint.SETTLE)
    assert result.missed == ("0x2",)
    assert result.flows_usd["0x0"][WETH] > 40_000  # the others still trade


def test_values_are_usd_at_reference_prices() -> None:
    intents, balances = batch([(100_000, 0, 5000)])
    jis = joint.joint_intents(list(intents), intents, balances, PRICES, lambda _: 0)
    assert jis[0].held_usd[USDC] == pytest.approx(100_000 * 10**6 * PRICES[USDC] / USD_PRICE_SCALE)
    assert joint.distance_usd(jis[0], PRICES) == pytest.approx(50_000)


def test_should_trim_an_intent_the_impact_breaker_trips_on_to_its_least_trade_instead_of_dropping_it() -> None:
    # $500k of USDC, 50% WETH ± 40%: the joint volume buys to the target ($250k, ~1.1% lost to fee
    # and impact, past the breaker's 1%); the least trade (the inner band's edge, $150k) fits
    rel = PRICES[WETH] * 10**18 // PRICES[USDC]
    wide = Intent(OWNERS[0], (USDC, WETH), (10**18, rel * 98 // 100), (10**18, rel * 102 // 100), IntentKind.WEIGHTS,
                  target_weight_bps=(5000, 5000), tolerance_bps=4000, max_fee_bps=30, valid_to=2**32, nonce=1)
    intents = {"0xa": wide}
    balances = {OWNERS[0]: {USDC: 500_000 * 10**6, WETH: 0}}
    pools = Liquidity.from_json(liquidity())
    chosen = {"0xa": joint_want("0xa", wide, program(intents, balances, pools, joint.SETTLE).flows_usd["0xa"],
                                balances[OWNERS[0]], PRICES)}
    least = {"0xa": translate("0xa", wide, balances[OWNERS[0]], PRICES)}
    route = make_route_fn("milp", pools, PRICES, 0, SETTLEMENT, 2**32)
    untrimmed = clear(chosen, intents, balances, PRICES, route, lambda _i: 0)
    assert "breaker" in untrimmed.dropped["0xa"].detail  # the joint volume alone would be dropped
    cleared, trimmed = clear_trimming(intents, balances, PRICES, chosen, least, route, lambda _i: 0)
    assert trimmed == ["0xa"] and "0xa" in cleared.flows and not cleared.dropped
    assert cleared.flows["0xa"] == least["0xa"].flows(cleared.prices, 0)


def test_should_settle_a_thin_pair_through_a_multi_hop_route() -> None:
    # no DAI/WBTC pool: a DAI holder who wants half WBTC is routed DAI -> USDC -> WBTC
    dai, wbtc = "0x6B175474E89094C44Da98b954EedeAC495271d0F", "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
    prices = {USDC: 10**30, dai: 10**18, wbtc: 60_000 * 10**28}
    pools = Liquidity.from_json({
        "tokens": {USDC: {"symbol": "USDC", "decimals": 6}, dai: {"symbol": "DAI", "decimals": 18},
                   wbtc: {"symbol": "WBTC", "decimals": 8}},
        "pools": [{"kind": "v2", "address": "0xAE461cA67B15dc8dc81CE7615e0320dA1A9aB8D5", "token0": dai, "token1": USDC,
                   "reserve0": str(200_000_000 * 10**18), "reserve1": str(200_000_000 * 10**6)},
                  {"kind": "v2", "address": "0x004375Dff511095CC5A197A54140a24eFEF3A416", "token0": wbtc, "token1": USDC,
                   "reserve0": str(3_000 * 10**8), "reserve1": str(180_000_000 * 10**6)}],
        "native": USDC, "block": 1})
    rel = prices[wbtc] * 10**18 // prices[dai]
    it = Intent(OWNERS[0], (dai, wbtc), (10**18, rel * 98 // 100), (10**18, rel * 102 // 100), IntentKind.WEIGHTS,
                target_weight_bps=(5000, 5000), tolerance_bps=50, max_fee_bps=30, valid_to=2**32, nonce=1)
    balances = {OWNERS[0]: {dai: 20_000 * 10**18, wbtc: 0}}
    jis = joint.joint_intents(["0xa"], {"0xa": it}, balances, prices, lambda _: 0)
    result = joint.solve(jis, pools, prices, joint.SETTLE)
    wants = {"0xa": joint_want("0xa", it, result.flows_usd["0xa"], balances[OWNERS[0]], prices)}
    route = make_route_fn("milp", pools, prices, 0, SETTLEMENT, 2**32)
    cleared = clear(wants, {"0xa": it}, balances, prices, route, lambda _i: 0)
    assert "0xa" in cleared.flows and not cleared.dropped
    assert [h["token_in"] for h in cleared.plan.hops] == [dai, USDC]  # two hops through USDC
    assert cleared.flows["0xa"][wbtc] > 0
