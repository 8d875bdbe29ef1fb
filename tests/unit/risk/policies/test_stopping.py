"""The gas-timing trigger (optimal stopping on a mean-reverting gas price) against its
constant-gas limit and against the full dynamic program with gas as a state."""

from __future__ import annotations

import numpy as np
import pytest

from risk.backtest import dp, engine
from risk.policies import impulse, stopping
from risk.policies.base import HedgeState


def _elasticity(row: np.ndarray, z: np.ndarray, s: float) -> float:
    return float(np.polyfit(s * z[1:-1], np.log(row[1:-1]), 1)[0])


def test_should_give_back_the_constant_gas_law_when_gas_is_slow() -> None:
    _, z, trig = stopping.table(0.6)
    slow, fast = _elasticity(trig[0], z, 0.6), _elasticity(trig[-1], z, 0.6)
    assert 0.25 <= slow < 0.32  # U ~ F^(1/4) at constant gas
    assert fast > 0.6  # fast-reverting gas: cheap gas is never far, wait for it
    assert np.all(np.diff([_elasticity(r, z, 0.6) for r in trig]) > 0)
    # at the mean gas price (z = s/2) and slow gas: the constant-gas trigger 1, moved in by the
    # discrete-monitoring shift 0.5826 sqrt(step) (Broadie, Glasserman & Kou 1997)
    at_mean = np.interp(0.3, z, trig[0])
    assert at_mean == pytest.approx(1.0 - 0.5826 * np.sqrt(stopping.STEP), abs=0.01)


def test_should_match_the_dynamic_programs_trigger_at_every_gas_level() -> None:
    """An independent method: value iteration over (mis-hedge, spot, gas) for a real book."""
    book = engine.OptionBook(np.array([3000.0]), np.array([0.5]), np.array([True]), np.array([-150.0]), np.array([0.6]))
    costs = engine.CostModel(lambda q, s: np.abs(q) * s * 0.0005, lambda s: 0.003 * s, 0.0005, gwei=20.0)
    chain = dp.GasChain.rouwenhorst(20.0, 4 * 3600.0, 0.6, 3600.0, 7)
    sol = dp.solve(book, 3000.0, 0.6, 3600.0, 150, 1e-3, 0.0005, costs.gas, 20.0, chain, 9.0, n_x=141)
    mid = sol.lattice.z.shape[0] // 2
    dp_trigger = sol.hi[50, mid]
    m = chain.levels.shape[0]
    _, delta, gamma = book.greeks(np.full(m, 3000.0), 50 / 8760)
    gas_now = 0.003 * 3000.0 * chain.levels / 20.0
    st = HedgeState(t_s=50 * 3600.0, spot=np.full(m, 3000.0), hedge=-delta, delta=delta, gamma=gamma,
                    since_trade_s=np.zeros(m), realized_vol=np.full(m, 0.6), vol=0.6, tau_years=0.5 - 50 / 8760,
                    rate=0.0, cost_rate=0.0005, trade_cost=costs.at_gas(gas_now), delta_scaled=lambda k: delta * k,
                    gas_cost=gas_now, gas_ref_cost=np.full(m, 9.0))
    policy = impulse.GasTiming("gt", risk_aversion=1e-3, gas_half_life_hours=4, gas_log_sd=0.6, budget=100)
    ours = policy.band(st).outer
    # the DP decides hourly, so its barrier sits lower throughout (the continuity correction,
    # which the policy leaves out): compare how each trigger moves with gas, from the middle level
    ours_rel, dp_rel = ours / ours[m // 2], dp_trigger / dp_trigger[m // 2]
    assert np.all(np.abs(ours_rel / dp_rel - 1) < 0.12), (ours, dp_trigger)
    # and both are more gas-sensitive than the constant-gas fourth-root law
    span = np.log(chain.levels[-1] / chain.levels[0])
    assert np.log(dp_trigger[-1] / dp_trigger[0]) / span > 0.3
    assert np.log(ours[-1] / ours[0]) / span > 0.3
