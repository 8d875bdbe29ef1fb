"""Uniform clearing over real pool math: netting first, then the pools, never paying out more than in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intents.model import Intent, IntentKind
from routing.pools import Liquidity
from solver.clearing import DropCause, clear, net_flows, within_bounds
from solver.routing_port import make_route_fn
from solver.translate import translate

USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
SETTLEMENT = "0x000000000000000000000000000000000000dEaD"
PRICES = {USDC: 10**30, WETH: 3000 * 10**18}
OWNERS = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          "0x90F79bf6EB2c4f870365E785982E1f101E93b906"]


def liquidity(usdc_reserve: int = 30_000_000 * 10**6, weth_reserve: int = 10_000 * 10**18) -> dict:
    return {
        "tokens": {USDC: {"symbol": "USDC", "decimals": 6}, WETH: {"symbol": "WETH", "decimals": 18}},
        "pools": [{"kind": "v2", "address": "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc", "token0": USDC,
                   "token1": WETH, "reserve0": str(usdc_reserve), "reserve1": str(weth_reserve)}],
        "native": WETH,
        "block": 1,
    }


def intent(owner: str, weth_bps: int, slippage: float = 0.02) -> Intent:
    rel = PRICES[WETH] * 10**18 // PRICES[USDC]
    return Intent(owner, (USDC, WETH), (10**18, int(rel * (1 - slippage))), (10**18, int(rel * (1 + slippage))),
                  IntentKind.WEIGHTS, target_weight_bps=(10_000 - weth_bps, weth_bps), tolerance_bps=50,
                  max_fee_bps=30, valid_to=2**32, nonce=1)


def run(intents: dict[str, Intent], balances: dict[str, dict[str, int]], pools: dict | None = None):
    wants = {i: translate(i, it, balances[it.owner], PRICES) for i, it in intents.items()}
    route = make_route_fn("milp", Liquidity.from_json(pools or liquidity()), PRICES, 0, SETTLEMENT, 2**32)
    return clear(wants, intents, balances, PRICES, route, lambda _i: 0)


def test_exactly_offsetting_intents_net_to_nothing_and_clear_at_reference_prices() -> None:
    # A holds 100k USDC + 0 ETH and wants 50/50; B holds 0 USDC + 33.3 ETH (100k) and wants 50/50
    balances = {OWNERS[0]: {USDC: 100_000 * 10**6, WETH: 0}, OWNERS[1]: {USDC: 0, WETH: 100_000 * 10**18 // 3000}}
    intents = {"0xa": intent(OWNERS[0], 5000), "0xb": intent(OWNERS[1], 5000)}
    cleared = run(intents, balances)
    assert set(cleared.flows) == {"0xa", "0xb"}
    assert cleared.plan.interactions == ()  # a pure coincidence of wants: no pool is touched
    assert cleared.prices == PRICES
    assert all(q <= 0 for q in cleared.net().values())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1_000, 2_000_000), st.integers(0, 1_000), st.integers(1000, 9000)),
                min_size=1, max_size=3))
def test_the_settlement_never_owes_more_than_the_pools_and_users_give_it(users) -> None:
    balances, intents = {}, {}
    for k, (usdc, eth, weth_bps) in enumerate(users):
        owner = OWNERS[k]
        balances[owner] = {USDC: usdc * 10**6, WETH: eth * 10**18}
        intents[f"0x{k}"] = intent(owner, weth_bps, slippage=0.2)
    cleared = run(intents, balances)
    net = net_flows(cleared.flows)
    for token in (USDC, WETH):
        pools_pay = cleared.plan.obtained.get(token, 0) - cleared.plan.spent.get(token, 0)
        assert net.get(token, 0) <= pools_pay
    for i in cleared.flows:
        assert within_bounds(intents[i], cleared.prices) is None


def test_an_intent_whose_price_bounds_the_pools_cannot_meet_is_dropped_with_the_reason() -> None:
    # a thin pool: buying $1k of ETH costs ~0.6% (fee + impact), past a 0.5% slippage bound
    thin = liquidity(300_000 * 10**6, 100 * 10**18)
    balances = {OWNERS[0]: {USDC: 2_000 * 10**6, WETH: 0}}
    intents = {"0xa": intent(OWNERS[0], 5000, slippage=0.005)}
    cleared = run(intents, balances, thin)
    assert cleared.flows == {}
    assert cleared.dropped["0xa"].cause is DropCause.OUT_OF_BOUNDS
    assert "outside its signed bounds" in cleared.dropped["0xa"].detail


def test_the_same_intent_with_a_wider_slippage_settles_through_the_thin_pool() -> None:
    thin = liquidity(300_000 * 10**6, 100 * 10**18)
    balances = {OWNERS[0]: {USDC: 2_000 * 10**6, WETH: 0}}
    cleared = run({"0xa": intent(OWNERS[0], 5000, slippage=0.02)}, balances, thin)
    assert set(cleared.flows) == {"0xa"} and cleared.dropped == {}


def test_a_residual_past_the_price_impact_breaker_is_not_routed_and_the_intent_says_why() -> None:
    # buying 20% of the pool moves its price ~25%: the impact breaker (100 bps) refuses the route
    thin = liquidity(300_000 * 10**6, 100 * 10**18)
    balances = {OWNERS[0]: {USDC: 200_000 * 10**6, WETH: 0}}
    cleared = run({"0xa": intent(OWNERS[0], 5000, slippage=0.5)}, balances, thin)
    assert cleared.flows == {}
    assert cleared.dropped["0xa"].cause is DropCause.NO_ROUTE
    assert "price-impact" in cleared.dropped["0xa"].detail and "limit 100" in cleared.dropped["0xa"].detail


def test_an_out_of_bounds_drop_reads_in_whole_tokens_with_symbols() -> None:
    from solver.clearing import Drop, DropCause
    from solver.strategies.batch import in_words
    from tests.unit.auction.test_verify import make_auction

    auction = make_auction()
    seller = auction.intents[0]  # tokens (USDC, WETH): USDC is the numeraire
    drop = Drop(DropCause.OUT_OF_BOUNDS, "raw", (1, 2_999_089_446, 3_000_000_000, 3_000_000_000))
    words = in_words(auction, seller.id, drop)
    assert words.startswith("clearing price 2,999.09 USDC per WETH is outside the intent's signed bounds "
                            "[3,000, 3,000] USDC per WETH"), words
    assert in_words(auction, seller.id, Drop(DropCause.NO_ROUTE, "no pool path")) == "no pool path"
