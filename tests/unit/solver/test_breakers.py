"""The solver's pool-deviation breaker: fee-aware, against the feed and the pool's own TWAP."""

from __future__ import annotations

import math

import pytest

from risk.breakers import Limits, fee_aware_deviation_bps
from routing.math.tick import tick_at_sqrt_ratio
from routing.pools import Liquidity, V2Pool, v3_pool
from solver.breakers import healthy_pools, pool_verdict
from solver.domain import PoolTwap

A = "0x" + "0a" * 20  # token0 (lower address)
B = "0x" + "0b" * 20
PRICES = {A: 10**30, B: 10**30}  # the feed: one base unit of A is worth one of B


def _v2(shift_bps: float, address: str = "0x" + "21" * 20) -> V2Pool:
    r0 = 10**24
    return V2Pool(address, A, B, r0, int(r0 * (1 + shift_bps / 10_000)))


def _v3(shift_bps: float, fee_pips: int = 500, address: str = "0x" + "31" * 20) -> object:
    sqrt_p = int(math.sqrt(1 + shift_bps / 10_000) * 2**96)
    return v3_pool(address, A, B, fee_pips, 10, sqrt_p, tick_at_sqrt_ratio(sqrt_p), 10**20, {}, (0, 0))


def test_should_measure_the_after_fee_prices_beyond_the_fee() -> None:
    for fee in (0, 5, 30, 100):
        assert fee_aware_deviation_bps(1.0, 1.0, fee) == pytest.approx(fee**2 / 10_000, abs=0.02)  # at the reference
        # pushed 25 bps either way: ~25 bps beyond the fee whatever the fee (second order: f·δ)
        assert fee_aware_deviation_bps(1 - 0.0025, 1.0, fee) == pytest.approx(25, abs=0.5)
        assert fee_aware_deviation_bps(1 + 0.0025, 1.0, fee) == pytest.approx(25, abs=1.5)
    assert fee_aware_deviation_bps(1.02, 1.0, 0) == pytest.approx(200)  # fee 0: the old |pool/oracle - 1|


@pytest.mark.parametrize("fee_pips", [100, 500, 3000, 10000])
def test_leaves_out_a_pool_pushed_past_the_tolerance_and_keeps_one_inside_it(fee_pips: int) -> None:
    limits = Limits()  # the default: 10 bps beyond the fee
    assert pool_verdict(_v3(8, fee_pips), PRICES, None, limits) is None
    why = pool_verdict(_v3(-25, fee_pips), PRICES, None, limits)
    assert why is not None and "from the feed" in why and f"{fee_pips / 100:g} bps fee" in why
    assert "> limit 10" in why


def test_should_be_configurable_through_the_limits() -> None:
    assert pool_verdict(_v2(-25), PRICES, None, Limits(max_pool_deviation_bps=30)) is None
    assert pool_verdict(_v2(-25), PRICES, None, Limits(max_pool_deviation_bps=20)) is not None


def test_should_leave_out_a_pool_that_left_its_own_twap_even_when_the_feed_agrees() -> None:
    # the feed moved with the pool (both at +40 bps), but the pool got there within the window
    moved_feed = {A: 10**30 * 10_040 // 10_000, B: 10**30}
    pool = _v3(40)
    at_start = PoolTwap(1800, 0)  # the pool sat at tick 0 (price 1) for the whole window
    why = pool_verdict(pool, moved_feed, at_start, Limits())
    assert why is not None and "1800 s TWAP" in why and "from the feed" not in why
    # the same pool whose TWAP already agrees is kept
    settled = PoolTwap(1800, tick_at_sqrt_ratio(int(math.sqrt(1.004) * 2**96)))
    assert pool_verdict(pool, moved_feed, settled, Limits()) is None


def test_should_say_when_a_pool_has_no_twap_and_the_feed_alone_judged_it() -> None:
    why = pool_verdict(_v3(-50), PRICES, PoolTwap(1800, None, "its oracle history is shorter than the window"), Limits())
    assert why is not None and "no TWAP: its oracle history is shorter" in why and "feed alone" in why


def test_should_split_the_liquidity_into_kept_and_left_out_with_reasons() -> None:
    pushed, honest = _v2(-50, "0x" + "22" * 20), _v3(0)
    liquidity = Liquidity({}, (pushed, honest), 1)
    kept, left_out = healthy_pools(liquidity, PRICES, 0)
    assert [p.address for p in kept.pools] == [honest.address]
    assert list(left_out) == [pushed.address] and "49.85 bps from the feed beyond its 30 bps fee" in left_out[pushed.address]
