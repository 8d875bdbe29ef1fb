"""With zero costs, time-based hedging of a written at-the-money call reproduces the textbook:
the mean cost of writing and hedging is the Black-Scholes price, and hedge error falls as
one over the square root of the number of rebalances."""

from __future__ import annotations

import numpy as np

from risk.backtest import engine, metrics, paths
from risk.greeks import black_scholes
from risk.policies.hedge import TimeBased

DAYS = 30
STEPS = 256
FREQUENCIES = (8, 16, 32, 64, 128, 256)


def _runs(n_paths: int = 10_000, seed: int = 7) -> list[dict]:
    years = DAYS / 365
    book = engine.OptionBook(
        np.array([3000.0]), np.array([years]), np.array([True]), np.array([-1.0]), np.array([0.8])
    )
    dt_s = DAYS * 86400 / STEPS
    p = paths.gbm(3000.0, 0.8, years / STEPS, STEPS, n_paths, seed)
    policies = [TimeBased(f"every {STEPS // k}", interval_hours=DAYS * 24 / k) for k in FREQUENCIES]
    return [metrics.summarise(r) for r in engine.run_hedge(p, dt_s, book, policies)]


def test_should_price_the_written_call_at_black_scholes_within_two_standard_errors() -> None:
    bs = float(black_scholes(3000.0, 3000.0, DAYS / 365, 0.8, True).price)
    for row in _runs():
        assert abs(row["bs_value"] - bs) < 1e-9
        assert abs(row["writing_cost_mean"] - bs) < 2 * row["writing_cost_stderr"], row


def test_should_shrink_hedge_error_as_one_over_root_of_rebalances() -> None:
    rows = _runs()
    trades = np.array([r["trades_mean"] for r in rows])
    errors = np.array([r["hedge_error"] for r in rows])
    assert np.all(np.diff(errors) < 0)
    slope = np.polyfit(np.log(trades), np.log(errors), 1)[0]
    assert -0.55 <= slope <= -0.45, slope


def test_should_rebalance_exactly_as_often_as_the_interval_says() -> None:
    rows = _runs(n_paths=200)
    for k, row in zip(FREQUENCIES, rows, strict=True):
        # a path whose delta has not moved at all (deep out of the money) trades nothing
        assert 0.98 * k <= row["trades_mean"] <= k
