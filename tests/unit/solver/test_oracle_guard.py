"""The clearing's bounds for an oracle-guarded intent: the signed bounds ∩ feed ± the guard,
rounded so that every price inside passes the contract's exact check."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from keel.units import BOUND_PRICE_SCALE, BPS
from solver.oracle_guard import clearing_bounds
from tests.unit.intents.test_model import USDC, WBTC, WETH, weights_intent

REFERENCE = {USDC: 10**30, WETH: 3_000 * 10**18, WBTC: 60_000 * 10**28}  # UsdPrice: USD per base unit × 1e36


def _contract_accepts(ratio: int, feed: Fraction, guard: int) -> bool:
    """BatchSettlement's OracleBounds: |r − f| · 10000 ≤ g · f, exact."""
    return abs(ratio - feed) * BPS <= guard * feed


def test_should_leave_an_unguarded_intent_alone() -> None:
    intent = weights_intent()
    assert clearing_bounds(intent, REFERENCE) is intent


@settings(max_examples=200, deadline=None)
@given(guard=st.integers(1, 3_000), weth=st.integers(10**15, 10**22), wbtc=st.integers(10**25, 10**32))
def test_every_price_inside_the_narrowed_bounds_passes_the_contracts_check(guard: int, weth: int, wbtc: int) -> None:
    reference = {USDC: 10**30, WETH: weth, WBTC: wbtc}
    wide = weights_intent(min_price=(BOUND_PRICE_SCALE, 1, 1), max_price=(BOUND_PRICE_SCALE, 2**200, 2**200),
                          max_oracle_deviation_bps=guard)
    narrowed = clearing_bounds(wide, reference)
    for j, token in ((1, WETH), (2, WBTC)):
        feed = Fraction(reference[token] * BOUND_PRICE_SCALE, reference[USDC])
        lo, hi = narrowed.min_price[j], narrowed.max_price[j]
        if lo > hi:  # no integer price fits (a coarse ratio, a tight guard): the clearing drops it
            assert feed * 2 * guard / BPS < 3
            continue
        # the clearing compares a floored ratio: the true one lies in [lo, hi + 1)
        assert _contract_accepts(lo, feed, guard) and _contract_accepts(hi + 1, feed, guard)


def test_should_keep_the_tighter_of_the_signed_bounds_and_the_guard() -> None:
    signed = weights_intent(max_oracle_deviation_bps=5_000)  # a 50% guard: the signed ±3% bounds bind
    assert clearing_bounds(signed, REFERENCE).min_price == signed.min_price
    tight = weights_intent(max_oracle_deviation_bps=10)  # 0.1%: the guard binds
    narrowed = clearing_bounds(tight, REFERENCE)
    weth_feed = REFERENCE[WETH] * BOUND_PRICE_SCALE // REFERENCE[USDC]  # 3,000 USDC per WETH, in the bounds' unit
    assert narrowed.min_price[1] > tight.min_price[1] and narrowed.max_price[1] < tight.max_price[1]
    assert abs(narrowed.min_price[1] / weth_feed - 0.999) < 1e-6 and abs(narrowed.max_price[1] / weth_feed - 1.001) < 1e-6
