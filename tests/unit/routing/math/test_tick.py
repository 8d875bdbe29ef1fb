"""Ticks and Q64.96 prices: the pool's constants, rounding and the tick-of-price definition."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.errors import PoolMathError
from routing.math.tick import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    sqrt_ratio_at_tick,
    tick_at_sqrt_ratio,
)


def test_should_reproduce_the_pools_extreme_ratios() -> None:
    assert sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    assert sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    assert sqrt_ratio_at_tick(0) == 1 << 96


def test_rejects_ticks_past_the_maximum() -> None:
    with pytest.raises(PoolMathError, match="outside"):
        sqrt_ratio_at_tick(MAX_TICK + 1)


@settings(max_examples=200)
@given(st.integers(MIN_TICK, MAX_TICK))
def test_should_match_sqrt_of_1_0001_to_the_tick(tick: int) -> None:
    exact = math.sqrt(1.0001**tick) * 2**96
    assert abs(sqrt_ratio_at_tick(tick) - exact) / exact < 1e-9


@settings(max_examples=200)
@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_should_return_the_greatest_tick_whose_ratio_is_below_the_price(tick: int) -> None:
    lo, hi = sqrt_ratio_at_tick(tick), sqrt_ratio_at_tick(tick + 1)
    assert tick_at_sqrt_ratio(lo) == tick
    assert tick_at_sqrt_ratio(hi - 1) == tick
    assert tick_at_sqrt_ratio((lo + hi) // 2) == tick


def test_rejects_prices_outside_the_pools_range() -> None:
    with pytest.raises(PoolMathError):
        tick_at_sqrt_ratio(MIN_SQRT_RATIO - 1)
    with pytest.raises(PoolMathError):
        tick_at_sqrt_ratio(MAX_SQRT_RATIO)
