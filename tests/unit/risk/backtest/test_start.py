"""Starting hedged: every policy starting unhedged buys the same hedge at step 0, a cost
common to all of them that dilutes every ratio; starting hedged removes exactly that."""

from __future__ import annotations

import numpy as np
import pytest

from risk.backtest import engine, paths
from risk.policies import hedge, impulse

BOOK = engine.OptionBook(np.array([3000.0, 2500.0]), np.array([0.3, 0.3]), np.array([True, False]),
                         np.array([-40.0, 30.0]), np.array([0.62, 0.68]))
RATE = 0.0005
COSTS = engine.CostModel(lambda q, s: np.abs(q) * s * RATE, lambda s: 0.003 * s, RATE, gwei=20.0)


def test_should_remove_exactly_the_common_step_zero_trade() -> None:
    p = paths.gbm(3000.0, 0.64, 1 / 8760, 48, 300, seed=2)
    policies = [hedge.EveryStep("every"), hedge.Threshold("th", band=1.0), impulse.ImpulseBand("imp", risk_aversion=1e-3)]
    cold = engine.run_hedge(p, 3600.0, BOOK, policies, COSTS, initial_hedge=0.0, record=300)
    warm = engine.run_hedge(p, 3600.0, BOOK, policies, COSTS, initial_hedge=None, record=300)
    _, delta0, _ = BOOK.greeks(p[0, :1], 0.0)
    target0 = float(-delta0[0])
    step0 = abs(target0) * 3000.0 * RATE + 0.003 * 3000.0  # fee + gas of buying the hedge
    for c, w in zip(cold[1:], warm[1:], strict=True):  # the band policies: no decision at step 0 when hedged
        assert any(i == 0 for i, _, _ in c.trades) and not any(i == 0 for i, _, _ in w.trades)
        assert c.n_trades.mean() - w.n_trades.mean() == pytest.approx(1.0, abs=0.35)
    # every-step reaches the same hedge after step 0 either way: the whole difference is step 0
    assert cold[0].trading_cost - warm[0].trading_cost == pytest.approx(np.full(300, step0), rel=1e-9)
    assert np.allclose(cold[0].pnl + cold[0].trading_cost, warm[0].pnl + warm[0].trading_cost)
