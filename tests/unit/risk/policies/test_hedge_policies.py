"""Each hedging policy's decision function, on arrays over paths (length 1 is the keeper)."""

from __future__ import annotations

import numpy as np
import pytest

from risk.policies import hedge
from risk.policies.base import HedgeState, WeightsState


def _state(hedge_now: list[float], delta: list[float], since: float = 0.0, gamma: float = -0.002,
           cost: float = 0.0005, realized: float = 0.8, **kw: object) -> HedgeState:
    n = len(hedge_now)
    args = dict(
        t_s=0.0, spot=np.full(n, 3000.0), hedge=np.array(hedge_now), delta=np.array(delta),
        gamma=np.full(n, gamma), since_trade_s=np.full(n, since), realized_vol=np.full(n, realized),
        vol=0.8, tau_years=30 / 365, rate=0.0, cost_rate=cost,
        trade_cost=lambda q, s: np.abs(q) * s * cost + 2.0,
        delta_scaled=lambda m: np.array(delta) * 0 - 0.5 * m,
    )
    args.update(kw)
    return HedgeState(**args)  # type: ignore[arg-type]


def test_should_trade_every_step_to_the_full_target() -> None:
    d = hedge.EveryStep("e").decide(_state([0.0, 1.0], [-0.5, -0.2]))
    assert d.trade.all() and np.allclose(d.position, [0.5, 0.2])


def test_should_trade_on_time_only_when_the_interval_has_passed() -> None:
    p = hedge.TimeBased("t", interval_hours=4)
    assert not p.decide(_state([0.0], [-0.5], since=4 * 3600 - 1)).trade[0]
    d = p.decide(_state([0.0], [-0.5], since=4 * 3600))
    assert d.trade[0] and d.position[0] == 0.5


def test_should_trade_past_the_threshold_to_within_to() -> None:
    p = hedge.Threshold("th", band=0.2, to=0.05)
    d = p.decide(_state([0.0, 0.4, 0.9], [-0.5, -0.5, -0.5]))
    assert d.trade.tolist() == [True, False, True]
    assert np.allclose(d.position, [0.45, 0.4, 0.55])


def test_should_apply_the_defi_rule_on_time_or_threshold() -> None:
    p = hedge.DeFiRule("defi", band=0.2, interval_hours=24)
    d = p.decide(_state([0.45, 0.0], [-0.5, -0.5], since=0))
    assert d.trade.tolist() == [False, True]
    assert p.decide(_state([0.45], [-0.5], since=24 * 3600)).trade[0]


def test_should_keep_whalley_wilmott_inside_its_band_and_trade_to_the_edge() -> None:
    p = hedge.WhalleyWilmott("ww", risk_aversion=0.01)
    st = _state([0.5, 0.0, 1.0], [-0.5, -0.5, -0.5])
    half = float(np.cbrt(3 * 0.0005 * 3000 * 0.002**2 / (2 * 0.01)))
    assert np.allclose(p.half_width(st), half)
    d = p.decide(st)
    assert d.trade.tolist() == [False, True, True]
    assert np.allclose(d.position, [0.5, 0.5 - half, 0.5 + half])
    # more risk aversion, narrower band
    assert hedge.WhalleyWilmott("ww", risk_aversion=1.0).half_width(st)[0] < half


def test_should_use_zakamouline_coefficients_from_the_paper() -> None:
    assert hedge.ZAK_HW == (1.12, 0.31, 0.05, 0.25, 0.5)
    assert hedge.ZAK_K == (-4.76, 0.78, -0.02, 0.25, 0.15)
    p = hedge.Zakamouline("z", risk_aversion=0.01)
    st = _state([0.5], [-0.5])
    centre, half = p.bands(st)
    k, g, tau, s, sig = 0.0005, 0.01, 30 / 365, 3000.0, 0.8
    h0 = k / (g * s * sig**2 * tau)
    hw = 1.12 * k**0.31 * tau**0.05 * (1 / sig) ** 0.25 * (0.002 / g) ** 0.5
    assert half[0] == pytest.approx(h0 + hw)
    big_k = -4.76 * k**0.78 * tau**-0.02 * (1 / sig) ** 0.25 * (g * s**2 * 0.002) ** 0.15
    # a short-gamma book hedges at the higher vol sigma*sqrt(1 - K)
    assert centre[0] == pytest.approx(0.5 * np.sqrt(1 - big_k))


def test_should_widen_the_vol_adaptive_band_with_realized_vol() -> None:
    p = hedge.VolAdaptive("va", band=0.1)
    calm = p.decide(_state([0.0], [-0.15], realized=0.4))  # half-width 0.05: trades
    wild = p.decide(_state([0.0], [-0.15], realized=1.6))  # half-width 0.2: holds
    assert calm.trade[0] and calm.position[0] == pytest.approx(0.1)
    assert not wild.trade[0]


def test_should_trade_gas_aware_only_when_risk_removed_beats_cost() -> None:
    p = hedge.GasAware("gas", risk_aversion=0.01, horizon_hours=24)
    small, large = p.decide(_state([0.49], [-0.5])), p.decide(_state([0.0], [-5.0]))
    assert not small.trade[0]
    assert large.trade[0] and large.position[0] == 5.0


def test_should_hedge_leland_at_the_widened_vol_for_a_writer() -> None:
    p = hedge.Leland("l", interval_hours=24)
    st = _state([0.0], [-0.5], since=24 * 3600)
    m = p.vol_multiplier(st)[0]
    dt = 1 / 365
    assert m == pytest.approx(np.sqrt(1 + np.sqrt(2 / np.pi) * 0.001 / (0.8 * np.sqrt(dt))))
    d = p.decide(st)
    assert d.trade[0] and d.position[0] == pytest.approx(0.5 * m)


def test_should_sweep_a_policys_free_parameter() -> None:
    assert hedge.TimeBased("t").with_param(6).interval_hours == 6
    assert hedge.WhalleyWilmott("w").with_param(3).risk_aversion == 3


def _wstate(weights: list[list[float]], since: float = 0.0) -> WeightsState:
    w = np.array(weights)
    return WeightsState(
        t_s=0.0, weights=w, target=np.array([0.3, 0.5, 0.2]), value=np.full(len(w), 1e6),
        since_trade_s=np.full(len(w), since), realized_vol=np.full(len(w), 0.5), ref_vol=0.5,
        cov=np.diag([0.0, 0.64, 0.36]), cost_rate=0.0005,
        trade_cost=lambda turnover, value: turnover.sum(axis=1) * 0.0005 + 2.0,
    )


def test_should_rebalance_weights_when_any_drifts_past_the_band_to_within_to() -> None:
    p = hedge.Threshold("w", band=0.05, to=0.005)
    d = p.decide_weights(_wstate([[0.30, 0.54, 0.16], [0.28, 0.54, 0.18], [0.24, 0.56, 0.20]]))
    assert d.trade.tolist() == [False, False, True]
    assert np.allclose(d.position[2].sum(), 1.0)
    assert np.max(np.abs(d.position[2] - [0.3, 0.5, 0.2])) == pytest.approx(0.005)
    assert np.allclose(d.position[0], [0.30, 0.54, 0.16])
