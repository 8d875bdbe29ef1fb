"""The impulse band and gas-timing policies' decisions, on arrays over paths."""

from __future__ import annotations

import numpy as np
import pytest

from risk.backtest import engine
from risk.policies import impulse
from risk.policies.band import impulse_band
from risk.policies.base import HedgeState

GAS_REF = 9.0  # numeraire per trade at the reference gas price


def _state(x: list[float], gas_now: list[float] | None = None, gamma: float = -0.0167, impact: float = 0.0,
           horizon: float | None = None) -> HedgeState:
    n = len(x)
    spot = np.full(n, 3000.0)
    gas = np.full(n, GAS_REF) if gas_now is None else np.array(gas_now)
    delta = np.full(n, -36.7)

    def cost(q: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.where(q != 0, np.abs(q) * s * (0.0005 + impact * np.abs(q)) + gas, 0.0)

    return HedgeState(
        t_s=0.0, spot=spot, hedge=-delta + np.array(x), delta=delta, gamma=np.full(n, gamma),
        since_trade_s=np.zeros(n), realized_vol=np.full(n, 0.64), vol=0.64, tau_years=0.3, rate=0.0,
        cost_rate=0.0005, trade_cost=cost, delta_scaled=lambda m: delta * m, gas_cost=gas,
        gas_ref_cost=np.full(n, GAS_REF), horizon_years=horizon,
    )


def test_should_trade_past_the_outer_trigger_back_to_the_inner_target_on_the_same_side() -> None:
    p = impulse.ImpulseBand("imp", risk_aversion=0.001)
    st = _state([0.0, 2.0, 3.0, -3.0])
    band = p.band(st)
    outer, inner = float(band.outer[0]), float(band.inner[0])
    assert 0 < inner < 2.0 < outer < 3.0
    d = p.decide(st)
    assert d.trade.tolist() == [False, False, True, True]
    assert np.allclose(d.position - st.target, [0.0, 2.0, inner, -inner])


def test_should_read_the_proportional_cost_at_its_own_trade_size() -> None:
    """With impact growing in size, the pools charge more than the 1-token rate for the band's
    trade: the policy prices that, so its inner target moves out (smaller trades)."""
    p = impulse.ImpulseBand("imp", risk_aversion=0.001)
    flat, steep = p.band(_state([0.0])), p.band(_state([0.0], impact=0.0005))
    assert steep.inner[0] > flat.inner[0]
    size = float(flat.outer[0] - flat.inner[0])
    rate = 0.0005 + 0.0005 * size
    expected = impulse_band(np.array([-0.0167]), np.array([3000.0]), 0.64, 0.001, np.array([GAS_REF]),
                            np.array([rate]), 0.3)
    assert steep.inner[0] == pytest.approx(expected.inner[0], rel=0.05)


def test_should_follow_the_current_gas_price_unless_told_to_use_the_reference() -> None:
    current = impulse.ImpulseBand("imp", risk_aversion=0.001)
    reference = impulse.ImpulseBand("imp", risk_aversion=0.001, gas="reference")
    st = _state([0.0, 0.0], gas_now=[GAS_REF / 4, GAS_REF * 4])
    cheap, dear = current.band(st).outer
    assert cheap < reference.band(st).outer[0] < dear
    assert reference.band(st).outer[0] == pytest.approx(reference.band(st).outer[1])
    # U ~ F^(1/4) when gas is all the cost; the fee part does not scale with gas, so a bit less
    assert 0.85 * 16**0.25 < dear / cheap < 16**0.25


def test_should_know_when_the_program_ends() -> None:
    p = impulse.ImpulseBand("imp", risk_aversion=0.001)
    far, last_hour = p.band(_state([0.0], horizon=0.3)), p.band(_state([0.0], horizon=1 / 8760))
    assert last_hour.outer[0] > 2 * far.outer[0]
    unaware = impulse.ImpulseBand("imp", risk_aversion=0.001, use_horizon=False)
    assert unaware.band(_state([0.0], horizon=1 / 8760)).outer[0] == pytest.approx(far.outer[0])


def test_should_time_gas_harder_than_the_fourth_root_law_when_gas_reverts_fast() -> None:
    st = _state([0.0, 0.0, 0.0], gas_now=[GAS_REF / 3, GAS_REF, GAS_REF * 3])
    fast = impulse.GasTiming("gt", risk_aversion=0.001, gas_half_life_hours=1, budget=100).band(st).outer
    slow = impulse.GasTiming("gt", risk_aversion=0.001, gas_half_life_hours=1000, budget=100).band(st).outer
    plain = impulse.ImpulseBand("imp", risk_aversion=0.001).band(st).outer
    assert np.all(np.diff(fast) > 0) and np.all(np.diff(slow) > 0)
    assert fast[2] / fast[0] > slow[2] / slow[0] > 0.9 * plain[2] / plain[0]


def test_should_never_let_the_mis_hedge_pass_the_risk_budget() -> None:
    st = _state([0.0], gas_now=[GAS_REF * 50])
    ref = impulse.ImpulseBand("imp", risk_aversion=0.001, gas="reference").band(st).outer[0]
    capped = impulse.GasTiming("gt", risk_aversion=0.001, gas_half_life_hours=1, budget=1.5).band(st)
    assert capped.outer[0] == pytest.approx(1.5 * ref)
    assert capped.inner[0] <= capped.outer[0]


def test_should_take_gas_from_the_backtests_gas_path() -> None:
    """The engine hands the policy today's gas: dear gas on every path but one delays trades."""
    book = engine.OptionBook(np.array([3000.0]), np.array([0.3]), np.array([True]), np.array([-100.0]), np.array([0.64]))
    costs = engine.CostModel(lambda q, s: np.abs(q) * s * 0.0005, lambda s: 0.003 * s, 0.0005, gwei=20.0)
    rng = np.random.default_rng(1)
    p = 3000.0 * np.exp(np.cumsum(np.vstack([np.zeros((1, 1)), 0.006 * rng.standard_normal((240, 1))]), axis=0))
    paths = np.repeat(p, 2, axis=1)
    gas = np.column_stack([np.full(241, 20.0), np.full(241, 400.0)])
    run = engine.run_hedge(paths, 3600.0, book, [impulse.ImpulseBand("imp", risk_aversion=0.001)], costs,
                           initial_hedge=None, gas_gwei=gas)[0]
    assert run.n_trades[0] > run.n_trades[1] > 0
    assert run.gas[1] / run.n_trades[1] == pytest.approx(20 * run.gas[0] / run.n_trades[0], rel=0.02)
