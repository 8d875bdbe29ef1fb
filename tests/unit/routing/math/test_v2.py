"""Uniswap V2's formulas: rounding against the trader in both directions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.errors import PoolMathError
from routing.math.v2 import get_amount_in, get_amount_out, marginal_out

reserves = st.integers(10**3, 10**30)


@settings(max_examples=200)
@given(reserves, reserves, st.integers(1, 10**30))
def test_should_never_pay_more_than_the_constant_product_allows(r_in: int, r_out: int, amount_in: int) -> None:
    out = get_amount_out(amount_in, r_in, r_out)
    assert out < r_out
    # the product, with the 0.3% fee counted on the input, never falls
    assert (r_in * 1000 + amount_in * 997) * (r_out - out) >= r_in * r_out * 1000
    assert out <= marginal_out(amount_in, r_in, r_out)[0] * (1 + 1e-12)  # the real curve (floats) bounds it


@settings(max_examples=200)
@given(reserves, reserves, st.floats(1e-9, 0.99))
def test_should_quote_the_least_input_that_buys_the_output(r_in: int, r_out: int, share: float) -> None:
    want = max(1, int(r_out * share))
    if want >= r_out:
        return
    needed = get_amount_in(want, r_in, r_out)
    assert get_amount_out(needed, r_in, r_out) >= want
    if needed > 1:
        # one wei less does not always fall short (the +1 is the library's), two always does
        assert get_amount_out(max(1, needed - 2), r_in, r_out) < want or needed - 2 < 1


@pytest.mark.parametrize("amount", [0, -5])
def test_rejects_a_non_positive_amount(amount: int) -> None:
    with pytest.raises(PoolMathError, match="positive"):
        get_amount_out(amount, 10**18, 10**18)
    with pytest.raises(PoolMathError, match="positive"):
        get_amount_in(amount, 10**18, 10**18)


def test_rejects_an_output_that_drains_the_pair() -> None:
    with pytest.raises(PoolMathError, match="reserve"):
        get_amount_in(10**18, 10**18, 10**18)
