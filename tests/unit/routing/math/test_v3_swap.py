"""The V3 swap loop on a synthetic pool with many initialized ticks: consistency between
exact input and exact output, word-edge stepping, the real-valued curve, and refusals.
(Equality with the real pool, to the wei, is shown on the fork in tests/integration.)"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.curves import curve
from routing.errors import PoolMathError
from routing.math.tick import sqrt_ratio_at_tick, tick_at_sqrt_ratio
from routing.pools import V3Pool, v3_pool

T0 = "0x" + "11" * 20
T1 = "0x" + "22" * 20


def crowded_pool(seed: int = 7, positions: int = 60, spacing: int = 10) -> V3Pool:
    """A pool at tick ~0 with many narrow positions spread over several bitmap words."""
    rnd = random.Random(seed)
    sqrt_p = sqrt_ratio_at_tick(3) + 12345
    tick = tick_at_sqrt_ratio(sqrt_p)
    nets: dict[int, int] = {}
    active = 0
    for _ in range(positions):
        lo = rnd.randint(-900, 890) * spacing
        hi = lo + spacing * rnd.randint(1, 40)
        liquidity = rnd.randint(10**17, 10**19)
        nets[lo] = nets.get(lo, 0) + liquidity
        nets[hi] = nets.get(hi, 0) - liquidity
        if lo <= tick < hi:
            active += liquidity
    return v3_pool("0x" + "33" * 20, T0, T1, 500, spacing, sqrt_p, tick, active, nets.items())


POOL = crowded_pool()


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.floats(10, 21.5))
def test_should_charge_no_less_for_an_output_than_the_input_that_bought_it(zero_for_one: bool, log_amount: float) -> None:
    token_in = T0 if zero_for_one else T1
    amount_in = int(10**log_amount)
    result = POOL.swap(token_in, amount_in, allow_partial=True)
    if not result.complete or result.amount_out == 0:
        return
    # buying exactly that output back costs at most what was paid, and one wei less buys less
    needed = POOL.amount_in(token_in, result.amount_out)
    assert needed <= amount_in
    assert POOL.amount_out(token_in, needed) >= result.amount_out
    assert result.amount_out >= POOL.amount_out(token_in, max(1, amount_in - 1))


def test_should_cross_many_initialized_ticks_and_move_through_word_edges() -> None:
    big = POOL.swap(T0, 10**21, allow_partial=True)
    assert big.ticks_crossed >= 20
    assert big.tick < POOL.tick - 2560, "the swap must leave the current 256-tick word"
    up = POOL.swap(T1, 10**21, allow_partial=True)
    assert up.ticks_crossed >= 20 and up.tick > POOL.tick + 2560


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.floats(3, 21))
def test_should_never_exceed_the_real_valued_curve(zero_for_one: bool, log_amount: float) -> None:
    token_in = T0 if zero_for_one else T1
    amount = int(10**log_amount)
    result = POOL.swap(token_in, amount, allow_partial=True)
    if not result.complete:
        return
    y, slope = curve(POOL, token_in).at(float(amount))
    assert result.amount_out <= y * (1 + 1e-9) + 1
    assert result.amount_out >= y * (1 - 1e-6) - 2, "the rounding costs wei, not percent"
    assert slope >= 0


def test_should_stop_at_the_known_tick_range_or_refuse() -> None:
    narrow = v3_pool("0x" + "44" * 20, T0, T1, 3000, 60, 1 << 96, 0, 10**18, [(-600, 10**18), (600, -10**18)])
    with pytest.raises(PoolMathError, match="not enough liquidity"):
        narrow.amount_out(T0, 10**30)
    partial = narrow.swap(T0, 10**30, allow_partial=True)
    assert not partial.complete and 0 < partial.amount_in < 10**30
    capped = curve(narrow, T0).cap
    assert math.isclose(capped, partial.amount_in, rel_tol=1e-6)


def test_rejects_a_zero_amount_and_a_foreign_token() -> None:
    with pytest.raises(PoolMathError, match="positive"):
        POOL.amount_out(T0, 0)
    with pytest.raises(Exception, match="does not trade"):
        POOL.amount_out("0x" + "99" * 20, 10)


def test_refuses_to_step_into_a_bitmap_word_it_has_not_read() -> None:
    ticks = [(-600, 10**18), (600, -10**18), (-887220, 10**15), (887220, -10**15)]
    windowed = v3_pool("0x" + "55" * 20, T0, T1, 3000, 60, 1 << 96, 0, 10**18 + 10**15, ticks, (-1, 0))
    with pytest.raises(PoolMathError, match="scanned tick range"):
        windowed.amount_out(T0, 10**22)
    whole = v3_pool("0x" + "55" * 20, T0, T1, 3000, 60, 1 << 96, 0, 10**18 + 10**15, ticks)
    assert whole.amount_out(T0, 10**22) > windowed.swap(T0, 10**22, allow_partial=True).amount_out
