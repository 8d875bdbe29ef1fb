"""The V3 TWAP from two tick cumulatives: OracleLibrary.consult's rounding, the pool's own price."""

from __future__ import annotations

import pytest

from routing.errors import PoolMathError
from routing.math.tick import sqrt_ratio_at_tick
from routing.math.twap import mean_tick, twap_sqrt_price_x96


@pytest.mark.parametrize(("then", "now", "window", "tick"), [
    (0, 1800 * 200_000, 1800, 200_000),     # constant tick
    (1000, 1000 + 7, 2, 3),                 # positive remainder: truncated
    (0, -7, 2, -4),                         # negative remainder: toward -inf, as consult decrements
    (0, -8, 2, -4),                         # exact negative: no decrement
    (-5_000_000, -5_000_000 + 1800 * -196_000 + 900, 1800, -196_000),
])
def test_should_round_the_mean_tick_as_oracle_library_consult(then: int, now: int, window: int, tick: int) -> None:
    assert mean_tick(then, now, window) == tick


def test_should_price_the_mean_tick_with_the_pools_tick_math() -> None:
    # half the window at tick 100, half at tick 300: the geometric mean, tick 200
    cumulative = 900 * 100 + 900 * 300
    assert twap_sqrt_price_x96(0, cumulative, 1800) == sqrt_ratio_at_tick(200)
    price = (twap_sqrt_price_x96(0, cumulative, 1800) / 2**96) ** 2
    assert price == pytest.approx(1.0001**200, rel=1e-12)


def test_rejects_an_empty_window_and_a_tick_outside_the_pools_range() -> None:
    with pytest.raises(PoolMathError, match="window"):
        mean_tick(0, 0, 0)
    with pytest.raises(PoolMathError, match="outside"):
        mean_tick(0, 10 * 900_000, 10)
