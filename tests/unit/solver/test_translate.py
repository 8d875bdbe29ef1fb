"""Translation: the least trade that lands every weight inside its band; hedges to the band's edge."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intents.model import UINT256_MAX, Intent, IntentKind
from keel.units import BPS
from solver.translate import Want, outcome_met, translate

USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
WBTC = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PRICES = {USDC: 10**30, WETH: 3000 * 10**18, WBTC: 60000 * 10**28}  # USD per base unit × 1e36


def weights(targets: tuple[int, int, int], tolerance_bps: int = 50) -> Intent:
    return Intent(OWNER, (USDC, WETH, WBTC), (0, 0, 0), (UINT256_MAX,) * 3, IntentKind.WEIGHTS,
                  target_weight_bps=targets, tolerance_bps=tolerance_bps, max_fee_bps=30, valid_to=2**32, nonce=1)


balances = st.fixed_dictionaries({
    USDC: st.integers(0, 10**13),
    WETH: st.integers(0, 10**22),
    WBTC: st.integers(0, 10**9),
}).filter(lambda b: sum(b[t] * PRICES[t] for t in b) > 10**36 * 1000)

targets = st.tuples(st.integers(0, BPS), st.integers(0, BPS)).filter(lambda t: t[0] + t[1] <= BPS).map(
    lambda t: (t[0], t[1], BPS - t[0] - t[1]))


@settings(max_examples=200, deadline=None)
@given(balances, targets, st.integers(10, 200))
def test_should_land_every_weight_inside_the_signed_band_at_the_prices_it_was_computed_at(held, target, tol) -> None:
    intent = weights(target, tol)
    want = translate("0x01", intent, held, PRICES)
    flows = want.flows(PRICES, 0)
    assert outcome_met(intent, held, flows, PRICES)
    assert all(held[t] + flows.get(t, 0) >= 0 for t in held)


@settings(max_examples=200, deadline=None)
@given(balances, targets, st.integers(0, 100))
def test_should_never_pay_out_more_value_than_the_user_gives_less_the_fee(held, target, fee_bps) -> None:
    want = translate("0x01", weights(target), held, PRICES)
    flows = want.flows(PRICES, fee_bps)
    given_ = sum(-q * PRICES[t] for t, q in flows.items() if q < 0)
    received = sum(q * PRICES[t] for t, q in flows.items() if q > 0)
    assert received * BPS <= given_ * (BPS - fee_bps)


def test_should_not_trade_a_portfolio_already_inside_its_band() -> None:
    held = {USDC: 500_000 * 10**6, WETH: 100 * 10**18, WBTC: 5 * 10**7}  # 500k / 300k / 30k: 60/36/4
    target = (6024, 3614, 362)
    want = translate("0x01", weights(target, 50), held, PRICES)
    assert want.is_empty


def test_should_sell_only_what_is_over_weight_not_rebalance_to_the_centre() -> None:
    held = {USDC: 0, WETH: 100 * 10**18, WBTC: 0}  # all ETH; target 50/50 USDC/ETH
    intent = weights((5000, 5000, 0), 100)
    want = translate("0x01", intent, held, PRICES)
    sold_usd = -want.exact[WETH] * 3000 / 10**18
    # the inner band is ±0.5%: ETH goes to 50.5%, so 49.5% of 300k is sold, not 50%
    assert abs(sold_usd - 0.495 * 300_000) < 1
    assert set(want.balancing) == {USDC}


def test_hedge_should_buy_exactly_to_the_lower_edge_with_the_numeraire() -> None:
    intent = Intent(OWNER, (USDC, WETH), (0, 0), (UINT256_MAX, UINT256_MAX), IntentKind.BALANCES,
                    min_balance=(0, 6 * 10**18), max_balance=(UINT256_MAX, 10 * 10**18), max_fee_bps=30,
                    valid_to=2**32, nonce=1)
    want = translate("0x01", intent, {USDC: 100_000 * 10**6, WETH: 5 * 10**18}, PRICES)
    assert want.exact == {WETH: 10**18}
    flows = want.flows(PRICES, 10)
    assert flows[WETH] == 10**18
    assert -flows[USDC] * 10**30 * (BPS - 10) >= 10**18 * PRICES[WETH] * BPS  # paid in full, fee on top


def test_flows_of_an_empty_want_are_empty() -> None:
    assert Want("0x01", OWNER, {}).flows(PRICES, 30) == {}
