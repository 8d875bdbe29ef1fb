"""Command-line amounts in exact base units, and reference prices walked from the pools."""

from __future__ import annotations

import pytest

from keel.units import USD_PRICE_SCALE
from routing import synthetic
from routing.amounts import mid_prices, parse_amounts
from routing.errors import RoutingError

LIQ, PRICES = synthetic.liquidity(11, 60, 6)
SYM = {t.symbol: a for a, t in LIQ.tokens.items()}


def test_should_convert_whole_tokens_to_base_units_exactly() -> None:
    got = parse_amounts(["WETH=1.000000000000000001", "usdc=2500.5"], LIQ, "--sell", True)
    assert got == {SYM["WETH"]: 10**18 + 1, SYM["USDC"]: 2_500_500_000}
    assert parse_amounts(["DAI"], LIQ, "--buy", False) == {SYM["DAI"]: 0}


@pytest.mark.parametrize(
    ("item", "needle"),
    [("WETH", "SYMBOL=AMOUNT"), ("WETH=abc", "not a number"), ("WETH=0", "positive"),
     ("WETH=-1", "positive"), ("USDC=0.0000001", "more decimals"), ("WETH=nan", "positive")],
)
def test_rejects_a_malformed_amount_naming_the_flag(item: str, needle: str) -> None:
    with pytest.raises(RoutingError, match=needle) as err:
        parse_amounts([item], LIQ, "--sell", True)
    assert err.value.field == "--sell"


def test_rejects_a_token_given_twice() -> None:
    with pytest.raises(RoutingError, match="twice"):
        parse_amounts(["WETH=1", "weth=2"], LIQ, "--sell", True)


def test_should_price_every_token_from_one_anchor_within_the_pools_dislocation() -> None:
    usdc = SYM["USDC"]
    walked = mid_prices(LIQ, {usdc: PRICES[usdc]})
    assert set(walked) == {t for p in LIQ.pools for t in (p.token0, p.token1)} | {usdc}
    for token, price in walked.items():
        assert abs(price - PRICES[token]) / PRICES[token] < 0.01, LIQ.symbol(token)
    # the synthetic prices are keel's UsdPrice: USDC at $1 is 1e36 / 1e6 per base unit
    assert abs(PRICES[usdc] / (USD_PRICE_SCALE // 10**6) - 1) < 1e-12
