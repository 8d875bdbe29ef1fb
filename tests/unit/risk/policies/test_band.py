"""The impulse band's closed form: the minimum of the long-run cost J(U, u) found by an
independent numerical minimiser, its two textbook limits (Whalley-Wilmott with no fixed cost,
the fourth-root law with no proportional cost), and the finite-horizon widening."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from risk.policies import hedge
from risk.policies.band import ergodic, impulse_band, one_shot
from tests.unit.risk.policies.test_hedge_policies import _state


def _long_run_cost(p: np.ndarray, alpha: float, beta: float) -> float:
    """J / b for a band (U, u): the renewal formula of risk.policies.band, written out again."""
    outer, inner = p
    if not 0 <= inner < outer:
        return 1e18
    return (alpha + beta * (outer - inner)) / (outer**2 - inner**2) + (outer**2 + inner**2) / 6


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (1.0, 0.1), (1.0, 1.0), (1.0, 10.0), (16.0, 3.0), (1e-6, 1.0)])
def test_should_find_the_minimum_of_the_long_run_cost(alpha: float, beta: float) -> None:
    band = ergodic(np.array([alpha]), np.array([beta]))
    closed = (float(band.outer[0]), float(band.inner[0]))
    starts = ([2.0, 0.1], [2.0, 1.5], [closed[0] * 1.2, closed[1] * 0.8])
    best = min((minimize(_long_run_cost, x0, args=(alpha, beta), method="Nelder-Mead",
                         options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40_000}) for x0 in starts),
               key=lambda r: r.fun)
    assert _long_run_cost(np.array(closed), alpha, beta) <= best.fun * (1 + 1e-9)
    assert closed == pytest.approx(tuple(best.x), rel=1e-4, abs=1e-6)


def test_should_be_whalley_wilmott_when_gas_is_free() -> None:
    st = _state([0.5], [-0.5], gamma=-0.002, cost=0.0005)
    for lam in (0.001, 0.01, 1.0):
        band = impulse_band(st.gamma, st.spot, 0.8, lam, np.zeros(1), np.full(1, 0.0005))
        ww = hedge.WhalleyWilmott("ww", risk_aversion=lam).half_width(st)
        assert band.outer == pytest.approx(ww, rel=1e-12)
        assert band.inner == pytest.approx(ww, rel=1e-12)  # trade to the edge


def test_should_be_the_fourth_root_band_to_the_centre_when_gas_dominates() -> None:
    gamma, fixed, lam = 0.0167, 9.0, 0.001
    band = impulse_band(np.array([gamma]), np.array([3000.0]), 0.6, lam, np.array([fixed]), np.zeros(1))
    assert band.outer[0] == pytest.approx((12 * fixed * gamma**2 / lam) ** 0.25, rel=1e-12)
    assert band.inner[0] == pytest.approx(0.0, abs=1e-12)


def test_should_not_depend_on_volatility_far_from_the_horizon() -> None:
    args = (np.array([0.0167]), np.array([3000.0]))
    calm = impulse_band(*args, 0.3, 0.001, np.array([9.0]), np.array([0.0005]))
    wild = impulse_band(*args, 1.5, 0.001, np.array([9.0]), np.array([0.0005]))
    assert calm.outer == pytest.approx(wild.outer) and calm.inner == pytest.approx(wild.inner)


def test_should_widen_with_gas_and_narrow_its_reset_towards_the_centre() -> None:
    gas = np.array([0.01, 0.1, 1.0, 9.0, 100.0])
    band = impulse_band(np.full(5, 0.0167), np.full(5, 3000.0), 0.6, 0.001, gas, np.full(5, 0.0005))
    assert np.all(np.diff(band.outer) > 0)
    assert np.all(np.diff(band.inner) < 0)
    assert np.all(band.inner < band.outer)


def test_should_widen_near_the_end_and_never_trade_with_no_time_left() -> None:
    args = (np.full(3, 0.0167), np.full(3, 3000.0), 0.6, 0.001, np.full(3, 9.0), np.full(3, 0.0005))
    far = impulse_band(*args, np.inf)
    near = impulse_band(*args, np.array([1.0, 4 / 8760, 0.0]))
    assert near.outer[0] == pytest.approx(far.outer[0])
    assert near.outer[1] > 1.5 * far.outer[1]  # four hours left: a trade has little time to pay for itself
    assert np.isinf(near.outer[2])
    # the one-shot trigger itself: b T (U^2 - y^2) - K (U - y) = F at U, with y = K / (2 b T)
    b, t, fixed, per_token = 0.5 * 0.001 * (3000 * 0.6) ** 2, 2 / 365, 9.0, 1.5
    shot = one_shot(np.array([fixed]), np.array([per_token]), np.array([b]), np.array([t]))
    u, y = shot.outer[0], shot.inner[0]
    assert b * t * (u * u - y * y) - per_token * (u - y) == pytest.approx(fixed, rel=1e-9)


def test_should_solve_the_band_equation_to_machine_precision_for_any_cost_mix() -> None:
    from risk.policies.band import _scaled_d

    rho = np.concatenate([[0.0], np.exp(np.linspace(-60, 60, 20_001))])
    d = _scaled_d(rho)
    assert np.max(np.abs(d**8 * (1 + rho * d) / 36 - 1)) < 1e-13
