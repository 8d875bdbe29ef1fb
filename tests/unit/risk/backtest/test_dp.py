"""The dynamic-programming benchmark: it finds the closed-form band where theory has one
(two independent methods agreeing), its forecast of its own cost is what the backtest
measures, and its band replays as an ordinary policy."""

from __future__ import annotations

import numpy as np
import pytest

from risk.backtest import dp, engine, paths
from risk.policies.band import impulse_band

# One long-dated written call: Gamma barely moves over ten days, as the closed form assumes.
BOOK = engine.OptionBook(np.array([3000.0]), np.array([1.0]), np.array([True]), np.array([-150.0]), np.array([0.6]))
HOUR = 3600.0


def _solve(fee: float, gas_usd: float, lam: float = 1e-3, steps: int = 240, half_range: float | None = None,
           ) -> tuple[dp.DPSolution, float, float, float]:
    _, _, gamma = BOOK.greeks(np.array([3000.0]), 0.0)
    band = impulse_band(gamma, np.array([3000.0]), 0.6, lam, np.array([gas_usd]), np.array([fee]))
    sol = dp.solve(BOOK, 3000.0, 0.6, HOUR, steps, lam, fee, lambda s: gas_usd / 3000.0 * s, 20.0,
                   dp.GasChain.constant(20.0), half_range or 3 * float(band.outer[0]), n_x=201)
    # decisions every hour: the optimal barrier sits in by 0.5826 sigma_x sqrt(dt) (Broadie,
    # Glasserman & Kou 1997), sigma_x = |Gamma| S sigma the mis-hedge's volatility
    shift = 0.5826 * abs(float(gamma[0])) * 3000.0 * 0.6 * np.sqrt(HOUR / 31_536_000)
    return sol, float(band.outer[0]) - shift, float(band.inner[0]), float(sol.x[1] - sol.x[0])


@pytest.mark.parametrize(("fee", "gas_usd"), [(0.0, 9.0), (0.0005, 0.0), (0.0005, 9.0)],
                         ids=["gas only", "fee only", "gas and fee"])
def test_should_find_the_closed_form_band_by_value_iteration(fee: float, gas_usd: float) -> None:
    sol, trigger, inner, dx = _solve(fee, gas_usd)
    mid = sol.lattice.z.shape[0] // 2
    assert sol.hi[0, mid, 0] == pytest.approx(trigger, rel=0.02)
    assert -sol.lo[0, mid, 0] == pytest.approx(trigger, rel=0.02)  # symmetric
    if gas_usd == 0:  # trade to the edge: the reset is the trigger
        assert sol.u_hi[0, mid, 0] == pytest.approx(sol.hi[0, mid, 0], abs=dx)
    else:
        assert sol.u_hi[0, mid, 0] == pytest.approx(inner, abs=dx)


def test_should_forecast_the_cost_the_backtest_then_measures() -> None:
    sol, *_ = _solve(0.0005, 9.0, steps=240)
    costs = engine.CostModel(lambda q, s: np.abs(q) * s * 0.0005, lambda s: 0.003 * s, 0.0005, gwei=20.0)
    p = paths.gbm(3000.0, 0.6, HOUR / 31_536_000, 240, 1500, seed=3)
    run = engine.run_hedge(p, HOUR, BOOK, [dp.DPPolicy("dp", sol, HOUR, 1e-3, 20.0)], costs, initial_hedge=None)[0]
    se = run.trading_cost.std() / np.sqrt(run.trading_cost.shape[0])
    assert abs(run.trading_cost.mean() - sol.cost0[0]) < 3 * se + 0.02 * sol.cost0[0]
    assert run.n_trades.mean() > 2  # the band did trade: the check is not trivially 0 = 0


def test_should_carry_gas_as_a_state_and_trade_less_in_dear_gas() -> None:
    chain = dp.GasChain.rouwenhorst(20.0, 4 * HOUR, 0.6, HOUR, 5)
    assert chain.transition.sum(axis=1) == pytest.approx(np.ones(5))
    assert np.exp(np.log(chain.levels).mean() + 0.5 * 0.6**2) == pytest.approx(20.0, rel=1e-9)
    sol = dp.solve(BOOK, 3000.0, 0.6, HOUR, 60, 1e-3, 0.0005, lambda s: 0.003 * s, 20.0, chain, 9.0, n_x=121)
    mid = sol.lattice.z.shape[0] // 2
    assert np.all(np.diff(sol.hi[10, mid]) > 0)  # dearer gas, wider no-trade band
    assert sol.value0[0] < sol.value0[-1]  # starting in cheap gas is worth something


def test_refuses_to_sweep_a_solved_policy() -> None:
    sol, *_ = _solve(0.0005, 9.0, steps=24)
    with pytest.raises(ValueError, match="solve again"):
        dp.DPPolicy("dp", sol, HOUR, 1e-3, 20.0).with_param(0.01)
