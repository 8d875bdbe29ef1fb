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
