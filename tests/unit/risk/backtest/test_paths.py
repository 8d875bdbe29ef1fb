"""Price paths: seeded and vectorised; replayed CSVs refuse gaps, duplicates and bad prices."""

from __future__ import annotations

import numpy as np
import pytest

from risk.backtest import paths
from risk.policies.errors import PathError


def test_should_draw_gbm_with_the_stated_volatility_and_a_martingale_mean() -> None:
    p = paths.gbm(100.0, 0.5, 1 / 365, 365, 20_000, seed=1)
    assert p.shape == (366, 20_000) and np.all(p[0] == 100.0)
    r = paths.log_returns(p)
    assert r.std() * np.sqrt(365) == pytest.approx(0.5, rel=0.01)
    assert p[-1].mean() == pytest.approx(100.0, rel=0.02)
    assert np.array_equal(p, paths.gbm(100.0, 0.5, 1 / 365, 365, 20_000, seed=1))


def test_should_cluster_volatility_under_garch_around_its_long_run_level() -> None:
    p = paths.garch(100.0, 0.6, 1 / 365, 2000, 400, seed=2, alpha=0.1, beta=0.85)
    r = paths.log_returns(p)
    assert r.std() * np.sqrt(365) == pytest.approx(0.6, rel=0.05)
    # clustering: squared returns are autocorrelated (zero for GBM)
    sq = r**2
    ac = np.mean([np.corrcoef(sq[:-1, j], sq[1:, j])[0, 1] for j in range(sq.shape[1])])
    assert ac > 0.05


def test_should_correlate_assets_as_the_matrix_says() -> None:
    corr = np.array([[1.0, 0.7], [0.7, 1.0]])
    p = paths.correlated_gbm(np.array([1.0, 2.0]), np.array([0.5, 0.3]), corr, 1 / 365, 200, 500, seed=3)
    r = paths.log_returns(p).reshape(-1, 2)
    assert np.corrcoef(r.T)[0, 1] == pytest.approx(0.7, abs=0.02)


def test_should_parse_a_price_csv() -> None:
    s = paths.parse_csv("timestamp,WETH,WBTC\n0,3000,60000\n3600,3010,60100\n7200,2990,59900\n")
    assert s.dt_seconds == 3600 and s.path("WETH")[:, 0].tolist() == [3000, 3010, 2990]


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("timestamp,WETH\n0,3000\n3600,\n7200,3000\n", "prices.csv:row 3", "gap"),
        ("timestamp,WETH\n0,3000\n3600,3000\n10800,3000\n", "prices.csv:row 4", "gap"),
        ("timestamp,WETH\n0,3000\n0,3001\n3600,3000\n", "prices.csv:row 3", "duplicate"),
        ("timestamp,WETH\n0,3000\n3600,-5\n7200,3000\n", "prices.csv:row 3", "positive"),
        ("timestamp,WETH\n0,3000\n3600,0\n7200,3000\n", "prices.csv:row 3", "positive"),
        ("time,WETH\n0,3000\n3600,3000\n", "prices.csv:header", "header"),
        ("timestamp,WETH\n0,3000\n", "prices.csv", "at least two"),
    ],
)
def test_rejects_a_bad_price_csv_naming_the_row(text: str, field: str, words: str) -> None:
    with pytest.raises(PathError, match=words) as info:
        paths.parse_csv(text)
    assert info.value.field == field


def test_rejects_non_positive_model_parameters() -> None:
    with pytest.raises(PathError, match="vol"):
        paths.gbm(100.0, 0.0, 0.01, 2, 2, 1)


def _variance_half_life_steps(r: np.ndarray, max_lag: int) -> float:
    """Lag (in steps) where the autocorrelation of squared returns falls to half its lag-1 value."""
    sq = r**2 - (r**2).mean(axis=0)
    ac = np.array([np.mean(sq[:-k] * sq[k:]) for k in range(1, max_lag)]) / np.mean(sq * sq)
    return float(np.argmax(ac < ac[0] / 2) + 1)


def test_should_simulate_the_same_garch_market_with_hourly_or_daily_steps() -> None:
    """Per-time parameters: the variance reverts with the same half-life in days, whatever the step."""
    half_life_s = 10 * 86_400.0
    a_h, b_h = paths.garch_per_step(half_life_s, 2.7, 3600.0)
    a_d, b_d = paths.garch_per_step(half_life_s, 2.7, 86_400.0)
    # persistence per step is the exact half-life decay; the shock scales with sqrt(dt)
    assert (a_h + b_h) ** 240 == pytest.approx(0.5, rel=1e-9)
    assert (a_d + b_d) ** 10 == pytest.approx(0.5, rel=1e-9)
    assert a_d / a_h == pytest.approx(np.sqrt(24), rel=1e-12)
    hourly = paths.log_returns(paths.garch(100.0, 0.6, 1 / 8760, 24 * 400, 60, seed=4, alpha=a_h, beta=b_h))
    daily = paths.log_returns(paths.garch(100.0, 0.6, 1 / 365, 400, 1500, seed=5, alpha=a_d, beta=b_d))
    assert hourly.std() * np.sqrt(8760) == pytest.approx(0.6, rel=0.05)
    assert daily.std() * np.sqrt(365) == pytest.approx(0.6, rel=0.05)
    # squared daily returns (summed from hours) decorrelate on the same clock in both
    hourly_days = hourly.reshape(400, 24, 60).sum(axis=1)
    assert _variance_half_life_steps(hourly_days, 60) == pytest.approx(_variance_half_life_steps(daily, 60), abs=5)


def test_rejects_garch_parameters_that_daily_steps_cannot_carry() -> None:
    with pytest.raises(PathError, match="garch_vol_of_var") as info:
        paths.garch_per_step(3600.0, 30.0, 86_400.0)
    assert info.value.field == "backtest.garch_vol_of_var"


def test_should_bootstrap_a_replay_keeping_the_series_as_path_zero() -> None:
    rng = np.random.default_rng(2)
    series = 3000.0 * np.exp(np.cumsum(np.r_[0.0, 0.01 * rng.standard_normal(99)]))
    gas = np.exp(rng.standard_normal(100))
    p, g = paths.block_bootstrap(series, 50, 8, seed=1, gas=gas)
    assert p.shape == (100, 50) and g is not None and g.shape == (100, 50)
    assert np.array_equal(p[:, 0], series) and np.array_equal(g[:, 0], gas)
    assert np.all(p[0] == series[0])
    r, rs = np.diff(np.log(p), axis=0), np.diff(np.log(series))
    # every resampled return is one of the series' own, in runs of the block length
    idx = np.array([[int(np.argmin(np.abs(rs - x))) for x in col] for col in r[:, 1:].T])
    assert np.allclose(rs[idx], r[:, 1:].T)
    runs = np.diff(idx, axis=1) % 99 == 1
    assert runs.mean() > 0.8  # 7 of 8 steps continue a block
    # the gas price travels with the return it sat beside
    assert np.allclose(g[:-1, 1:].T, gas[idx])
    assert np.unique(np.round(p[-1], 6)).size > 40  # the histories differ


def test_rejects_a_bootstrap_block_longer_than_the_series() -> None:
    with pytest.raises(PathError, match="block"):
        paths.block_bootstrap(np.array([1.0, 1.1, 1.2]), 5, 3, seed=1)
