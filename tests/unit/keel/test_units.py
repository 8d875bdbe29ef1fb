"""keel.units: each scale converts exactly where it can, and rounds the way its docstring says."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel import units
from keel.units import (
    BOUND_PRICE_SCALE,
    FEED_SCALE,
    USD_PRICE_SCALE,
    USD_VALUE_SCALE,
    Rounding,
    bound_price,
    bound_price_exact,
    feed_answer,
    gas_cost,
    mul_div,
    to_usd_value,
    usd_price_from_feed,
    usd_value,
)

ANSWERS = st.integers(1, 10**15)  # up to $10M per whole token, 8 decimals
DECIMALS = st.integers(0, 28)


@given(ANSWERS, DECIMALS)
def test_a_feed_answer_becomes_a_usd_price_exactly_for_up_to_28_decimals(answer: int, decimals: int) -> None:
    price = usd_price_from_feed(answer, decimals)
    # USD per base unit × 1e36 == (answer / 1e8) / 10**decimals × 1e36, with no remainder
    assert Fraction(price) == Fraction(answer, FEED_SCALE) / 10**decimals * USD_PRICE_SCALE


def test_a_token_with_more_than_28_decimals_rounds_its_price_down() -> None:
    assert usd_price_from_feed(123_456_789, 30) == 123_456_789 // 100
    assert usd_price_from_feed(99, 30) == 0  # below one unit of the scale: down, never up


def test_the_world_prices_on_the_usd_price_scale() -> None:
    # $3000 per WETH is 3000e-18 USD per wei; $1 per USDC is 1e-6 USD per base unit
    assert usd_price_from_feed(feed_answer(3000.0), 18) == 3000 * USD_PRICE_SCALE // 10**18
    assert usd_price_from_feed(feed_answer(1.0), 6) == USD_PRICE_SCALE // 10**6
    assert usd_value(10**18, usd_price_from_feed(feed_answer(3000.0), 18)) == 3000 * USD_VALUE_SCALE


@given(st.integers(-(10**40), 10**40), st.integers(1, 10**40), st.integers(1, 10**30))
def test_mul_div_rounds_down_and_up_by_at_most_one_on_the_sides_it_promises(a: int, b: int, d: int) -> None:
    exact = Fraction(a * b, d)
    down, up = mul_div(a, b, d, Rounding.DOWN), mul_div(a, b, d, Rounding.UP)
    assert down <= exact < down + 1
    assert up - 1 < exact <= up
    assert up - down == (0 if exact.denominator == 1 else 1)


def test_mul_div_refuses_a_zero_denominator() -> None:
    with pytest.raises(ValueError, match="denominator"):
        mul_div(1, 1, 0)


@given(st.integers(0, 10**30), st.integers(1, 10**30))
def test_a_value_is_credited_rounded_down_and_charged_rounded_up(amount: int, price: int) -> None:
    exact = Fraction(amount * price, USD_PRICE_SCALE // USD_VALUE_SCALE)
    assert usd_value(amount, price) <= exact <= usd_value(amount, price, Rounding.UP)
    assert to_usd_value(amount * price) == usd_value(amount, price)


@given(st.integers(1, 10**30), st.integers(1, 10**30))
def test_a_bound_price_rounds_down_exactly_as_the_settlement_contract_divides(price: int, numeraire: int) -> None:
    # BatchSettlement: clearingPrice[j] * 1e18 / clearingPrice[0], Solidity's truncating division
    assert bound_price(price, numeraire) == price * 10**18 // numeraire
    assert Fraction(bound_price(price, numeraire)) <= Fraction(price * BOUND_PRICE_SCALE, numeraire)


def test_the_exact_bound_price_of_two_feeds_is_numeraire_base_units_per_token_base_unit() -> None:
    # WBTC at $60k (8 decimals) in USDC (6 decimals): 60_000e6 USDC units per 1e8 WBTC units, × 1e18
    assert bound_price_exact(feed_answer(60_000.0), 8, feed_answer(1.0), 6) == Fraction(60_000 * 10**6 * 10**18, 10**8)
    # and it agrees with pricing both tokens on the USD scale first
    wbtc, usdc = usd_price_from_feed(feed_answer(60_000.0), 8), usd_price_from_feed(feed_answer(1.0), 6)
    assert bound_price(wbtc, usdc) == int(bound_price_exact(feed_answer(60_000.0), 8, feed_answer(1.0), 6))


@given(st.integers(21_000, 30_000_000), st.integers(1, 10**12), st.integers(1, 10**24))
def test_gas_is_charged_rounded_up_and_never_free(gas: int, gas_price: int, native: int) -> None:
    cost = gas_cost(gas, gas_price, native)
    assert cost >= 1
    assert Fraction(gas * gas_price * native, USD_PRICE_SCALE // USD_VALUE_SCALE) <= cost


@pytest.mark.parametrize("native", [0, -1])
def test_gas_without_a_native_price_is_an_error_not_zero(native: int) -> None:
    with pytest.raises(ValueError, match="native token price"):
        gas_cost(200_000, 10**9, native)


def test_a_feed_answer_is_the_nearest_hundred_millionth_of_a_dollar() -> None:
    assert feed_answer(3000.0) == 3000 * FEED_SCALE
    assert feed_answer(0.123456784) == 12_345_678 and feed_answer(0.123456786) == 12_345_679
    assert units.usd_per_whole(feed_answer(1234.5)) == 1234.5
