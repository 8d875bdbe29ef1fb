"""From balances, oracle prices and wishes to intents: bounds rounded the stated way."""

from __future__ import annotations

from fractions import Fraction

import pytest

from intents.build import (
    TokenState,
    hedge_band,
    hedge_intent,
    order_tokens,
    parse_duration_s,
    parse_percent_bps,
    parse_weights,
    price_bounds,
    relative_price,
    weights_intent,
)
from intents.errors import IntentError
from intents.validate import check_intent
from tests.unit.intents.test_model import USDC, WBTC, WETH

OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
usdc = TokenState("USDC", USDC, 6, 100_000_000, 150_000 * 10**6)
weth = TokenState("WETH", WETH, 18, 3_000 * 10**8, 100 * 10**18)
wbtc = TokenState("WBTC", WBTC, 8, 60_000 * 10**8, 2 * 10**8)


def test_should_express_prices_as_numeraire_base_units_per_token_base_unit_times_1e18() -> None:
    # 1 WETH (1e18 wei) = 3000 USDC (3e9 base units): 3e9 / 1e18 * 1e18 = 3e9
    assert relative_price(weth, usdc) == 3_000 * 10**6
    assert relative_price(wbtc, usdc) == Fraction(60_000 * 10**6 * 10**18, 10**8)


def test_should_round_price_bounds_outward_around_the_oracle() -> None:
    lo, hi = price_bounds([usdc, weth, wbtc], 100)
    assert lo[0] == hi[0] == 10**18
    for j, t in ((1, weth), (2, wbtc)):
        p = relative_price(t, usdc)
        assert lo[j] <= p * Fraction(99, 100) < lo[j] + 1
        assert hi[j] - 1 < p * Fraction(101, 100) <= hi[j]


def test_should_build_a_valid_weights_intent_and_preview_the_trades() -> None:
    intent, lines = weights_intent(OWNER, [usdc, weth, wbtc], {"USDC": 3000, "WETH": 5000, "WBTC": 2000}, 50, 100, 30, 2_000_000_000, 1)
    check_intent(intent, {USDC: "USDC", WETH: "WETH", WBTC: "WBTC"}, 1_900_000_000)
    total = 150_000 + 300_000 + 120_000
    assert [round(x.weight_pct, 6) for x in lines] == [round(v / total * 100, 6) for v in (150_000, 300_000, 120_000)]
    assert sum(x.trade_usd for x in lines) == pytest.approx(0, abs=1e-6)
    assert lines[1].trade == pytest.approx((0.5 * total - 300_000) / 3000)


def test_should_parse_flags() -> None:
    assert parse_percent_bps("0.5%", "t") == 50 and parse_percent_bps("30", "t") == 3000
    assert parse_duration_s("10m") == 600 and parse_duration_s("2h") == 7200 and parse_duration_s("45") == 45
    assert parse_weights(["weth=50", "USDC=30", "WBTC=20"], ["USDC", "WBTC", "WETH"]) == {"WETH": 5000, "USDC": 3000, "WBTC": 2000}
    assert order_tokens(["WETH", "WBTC", "USDC"], None) == ["USDC", "WETH", "WBTC"]


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        (["WETH=50", "USDC=40"], "sum to 90%"),
        (["WETH=50", "PEPE=50"], "PEPE is not a token of this world"),
        (["WETH50", "USDC=50"], "SYMBOL=PERCENT"),
        (["WETH=100"], "at least two"),
        (["WETH=50", "WETH=50"], "given twice"),
    ],
)
def test_rejects_bad_weights(pairs: list[str], match: str) -> None:
    with pytest.raises(IntentError, match=match) as err:
        parse_weights(pairs, ["DAI", "USDC", "WBTC", "WETH"])
    assert err.value.field == "token"


def test_should_round_the_hedge_band_inward_so_every_allowed_balance_keeps_delta_in_band() -> None:
    band = hedge_band(book_delta=-37.3, holding=10 * 10**18, decimals=18, target_delta=0.0, band=2.0)
    assert band.min_balance / 1e18 >= 35.3 - 1e-9 and band.max_balance / 1e18 <= 39.3 + 1e-9
    for balance in (band.min_balance, band.max_balance):
        assert abs(-37.3 + balance / 1e18) <= 2.0 + 1e-12
    assert band.trade == pytest.approx(35.3 - 10, abs=1e-9)
    inside = hedge_band(-37.3, 38 * 10**18, 18, 0.0, 2.0)
    assert inside.trade == 0.0


def test_rejects_a_hedge_that_needs_a_short_spot_position() -> None:
    with pytest.raises(IntentError, match="short spot") as err:
        hedge_band(book_delta=+5.0, holding=0, decimals=18, target_delta=0.0, band=2.0)
    assert err.value.field == "target-delta"
    with pytest.raises(IntentError) as err:
        hedge_band(1.0, 0, 18, 0.0, 0.0)
    assert err.value.field == "band"


def test_should_build_a_valid_balances_intent_for_the_hedge() -> None:
    band = hedge_band(-37.3, 10 * 10**18, 18, 0.0, 2.0)
    intent = hedge_intent(OWNER, usdc, weth, band, 100, 30, 2_000_000_000, 3)
    check_intent(intent, {USDC: "USDC", WETH: "WETH"}, 1_900_000_000)
    assert intent.min_balance == (0, band.min_balance) and intent.max_balance[1] == band.max_balance
