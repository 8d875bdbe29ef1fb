"""The weights engine: constant-mix tracking, costs, and policies compared on equal paths."""

from __future__ import annotations

import numpy as np

from risk.backtest import paths
from risk.backtest.weights import WeightsCost, run_weights, summarise
from risk.policies import hedge

TARGET = np.array([0.3, 0.5, 0.2])
CORR = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.7], [0.0, 0.7, 1.0]])


def _prices(n: int = 400, steps: int = 240) -> np.ndarray:
    risky = paths.correlated_gbm(np.array([3000.0, 60000.0]), np.array([0.8, 0.6]), CORR[1:, 1:],
                                 1 / 365 / 8, steps, n, seed=5)
    return np.concatenate([np.ones((steps + 1, n, 1)), risky], axis=2)


def _cost() -> WeightsCost:
    return WeightsCost(impact=lambda q, p: (np.abs(q[:, 1:]) * p[:, 1:]).sum(axis=1) * 0.0005, gas=5.0, rate=0.0005)


def test_should_track_the_constant_mix_exactly_when_rebalancing_every_step_for_free() -> None:
    run = run_weights(_prices(), 3 * 3600, TARGET, [hedge.EveryStep("e")])[0]
    assert run.tracking_error_bps.max() < 1e-6
    assert run.trading_cost.sum() == 0


def test_should_trade_less_and_track_worse_with_a_wider_band() -> None:
    cov = np.diag([0.0, 0.8, 0.6]) @ CORR @ np.diag([0.0, 0.8, 0.6])
    policies = [hedge.Threshold("d", band=b, to=0.0) for b in (0.01, 0.05)]
    narrow, wide = (summarise(r) for r in run_weights(_prices(), 3 * 3600, TARGET, policies, _cost(), cov=cov))
    assert wide["trades_mean"] < narrow["trades_mean"]
    assert wide["cost_mean"] < narrow["cost_mean"]
    assert wide["hedge_error"] > narrow["hedge_error"]


def test_should_keep_weights_inside_the_band_after_each_decision() -> None:
    run = run_weights(_prices(n=20), 3 * 3600, TARGET, [hedge.Threshold("d", band=0.05, to=0.005)], record=20)[0]
    assert run.trades
    for _, _, weights in run.trades:
        assert abs(sum(weights) - 1) < 1e-9
        assert max(abs(w - t) for w, t in zip(weights, TARGET, strict=True)) <= 0.005 + 1e-12


def test_rejects_a_correlation_matrix_that_is_not_positive_semidefinite() -> None:
    import pytest

    from risk.policies.errors import PathError

    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.raises(PathError, match="positive semi-definite") as info:
        paths.correlated_gbm(np.ones(3), np.ones(3), bad, 0.01, 2, 2, 1)
    assert info.value.field == "correlation"
