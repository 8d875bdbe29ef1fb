"""Gas-price paths: the mean-reverting log-gas model has the stated mean, spread and
half-life, per unit of time (not per step), and is independent of the price draws."""

from __future__ import annotations

import numpy as np
import pytest

from risk.backtest import gas
from risk.policies.errors import PathError


def test_should_revert_to_the_stated_mean_with_the_stated_spread_and_half_life() -> None:
    g = gas.mean_reverting(20.0, 4 * 3600.0, 0.6, 600.0, 6 * 24 * 20, 2000, seed=1)
    assert g.mean() == pytest.approx(20.0, rel=0.02)  # the arithmetic mean users quote
    y = np.log(g)
    assert y.std() == pytest.approx(0.6, rel=0.02)
    lag = 24  # 4 hours of 10-minute steps: correlation one half
    c = np.mean((y[:-lag] - y.mean()) * (y[lag:] - y.mean())) / y.var()
    assert c == pytest.approx(0.5, abs=0.03)
    hourly = gas.mean_reverting(20.0, 4 * 3600.0, 0.6, 3600.0, 24 * 20, 2000, seed=1)
    yh = np.log(hourly)
    ch = np.mean((yh[:-4] - yh.mean()) * (yh[4:] - yh.mean())) / yh.var()
    assert ch == pytest.approx(c, abs=0.03)  # the same clock with hourly steps


def test_should_draw_gas_independently_of_prices_for_the_same_seed() -> None:
    from risk.backtest import paths

    p = paths.gbm(3000.0, 0.6, 1 / 8760, 500, 200, seed=3)
    g = gas.mean_reverting(20.0, 3600.0, 0.6, 3600.0, 500, 200, seed=3)
    corr = np.corrcoef(np.diff(np.log(p), axis=0).ravel(), np.diff(np.log(g), axis=0).ravel())[0, 1]
    assert abs(corr) < 0.02


@pytest.mark.parametrize(("args", "field"), [((0.0, 3600.0, 0.6), "gas.mean_gwei"),
                                             ((20.0, -1.0, 0.6), "gas.half_life_hours"),
                                             ((20.0, 3600.0, 0.0), "gas.log_sd")])
def test_rejects_gas_model_parameters_naming_the_field(args: tuple[float, float, float], field: str) -> None:
    with pytest.raises(PathError) as info:
        gas.mean_reverting(*args, 3600.0, 10, 2, seed=1)
    assert info.value.field == field
