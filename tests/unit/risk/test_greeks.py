"""Black–Scholes against textbook values, finite differences and put–call parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.greeks import black_scholes, years_to


def sig4(x: float) -> str:
    return f"{x:.4g}"


# (spot, strike, years, vol, call?, rate, q, field, textbook value, source)
TEXTBOOK = [
    (42, 40, 0.5, 0.2, True, 0.10, 0.0, "price", 4.759, "Hull, OFOD 10e, Example 15.6"),
    (42, 40, 0.5, 0.2, False, 0.10, 0.0, "price", 0.8086, "Hull, OFOD 10e, Example 15.6"),
    (60, 65, 0.25, 0.3, True, 0.08, 0.0, "price", 2.133, "Haug 2e, §1.1.1"),
    (100, 95, 0.5, 0.2, False, 0.10, 0.05, "price", 2.465, "Haug 2e, §1.1.3 (Merton)"),
    (105, 100, 0.5, 0.36, True, 0.10, 0.10, "delta", 0.5946, "Haug 2e, §2.1.1"),
    (105, 100, 0.5, 0.36, False, 0.10, 0.10, "delta", -0.3566, "Haug 2e, §2.1.1"),
    (55, 60, 0.75, 0.3, True, 0.10, 0.0, "gamma", 0.02782, "Haug 2e, §2.1.3"),
    (430, 405, 0.0833, 0.2, False, 0.07, 0.05, "theta", -31.19, "Haug 2e, §2.1.5"),
    (72, 75, 1.0, 0.19, True, 0.09, 0.0, "rho", 38.73, "Haug 2e, §2.1.6"),
    (49, 50, 0.3846, 0.2, True, 0.05, 0.0, "delta", 0.5216, "Hull, OFOD 10e, Example 19.1"),
]


@pytest.mark.parametrize("case", TEXTBOOK, ids=[f"{c[7]}-{c[9]}" for c in TEXTBOOK])
def test_should_agree_with_textbook_values_to_four_significant_figures(case: tuple) -> None:
    s, k, t, v, call, r, q, name, expected, _source = case
    got = float(getattr(black_scholes(s, k, t, v, call, r, q), name))
    assert sig4(got) == sig4(expected)


def test_should_match_hulls_greeks_for_the_20_week_call() -> None:
    g = black_scholes(49, 50, 0.3846, 0.2, True, 0.05)
    assert round(float(g.price), 2) == 2.40
    assert round(float(g.gamma), 3) == 0.066
    assert round(float(g.vega), 1) == 12.1
    assert round(float(g.theta), 2) == -4.31
    assert round(float(g.rho), 2) == 8.91


@pytest.mark.parametrize("call", [True, False])
def test_should_match_finite_differences_of_the_price(call: bool) -> None:
    s, k, t, v, r = 3000.0, 3200.0, 0.4, 0.65, 0.03
    h = 1e-4

    def p(**kw: float) -> float:
        args = {"spot": s, "strike": k, "years": t, "vol": v, "rate": r} | kw
        return float(black_scholes(is_call=call, **args).price)

    g = black_scholes(s, k, t, v, call, r)
    ds = s * h
    assert float(g.delta) == pytest.approx((p(spot=s + ds) - p(spot=s - ds)) / (2 * ds), rel=1e-6)
    assert float(g.gamma) == pytest.approx((p(spot=s + ds) - 2 * p() + p(spot=s - ds)) / ds**2, rel=1e-4)
    assert float(g.vega) == pytest.approx((p(vol=v + h) - p(vol=v - h)) / (2 * h), rel=1e-6)
    assert float(g.rho) == pytest.approx((p(rate=r + h) - p(rate=r - h)) / (2 * h), rel=1e-6)
    # theta is the derivative in calendar time: minus the derivative in time to expiry
    assert float(g.theta) == pytest.approx(-(p(years=t + h) - p(years=t - h)) / (2 * h), rel=1e-6)


@settings(max_examples=150, deadline=None)
@given(
    s=st.floats(1.0, 1e5),
    k_ratio=st.floats(0.2, 5.0),
    t=st.floats(1 / 365, 5.0),
    v=st.floats(0.01, 3.0),
    r=st.floats(-0.02, 0.2),
    q=st.floats(0.0, 0.1),
)
def test_should_satisfy_put_call_parity(s: float, k_ratio: float, t: float, v: float, r: float, q: float) -> None:
    k = s * k_ratio
    g = black_scholes([s, s], [k, k], [t, t], [v, v], [True, False], r, q)
    call, put = g.price
    forward_gap = s * math.exp(-q * t) - k * math.exp(-r * t)
    assert call - put == pytest.approx(forward_gap, rel=1e-9, abs=1e-9 * (s + k))
    # deltas differ by exactly e^{-qT}; gamma and vega are the same for both
    assert g.delta[0] - g.delta[1] == pytest.approx(math.exp(-q * t), rel=1e-12)
    assert g.gamma[0] == pytest.approx(g.gamma[1], rel=1e-9)
    assert g.vega[0] == pytest.approx(g.vega[1], rel=1e-9)
    assert call >= max(forward_gap, 0.0) - 1e-9 * s and put >= -1e-9 * s


def test_should_price_expired_options_at_intrinsic_value() -> None:
    g = black_scholes([110, 110, 90, 90], 100, 0.0, 0.5, [True, False, True, False])
    assert list(g.price) == [10.0, 0.0, 0.0, 10.0]
    assert list(g.delta) == [1.0, 0.0, 0.0, -1.0]
    assert not np.any(g.gamma) and not np.any(g.vega)


def test_should_measure_time_in_365_day_years() -> None:
    assert float(years_to(365 * 86400 + 100, 100)) == 1.0


def test_should_scale_position_greeks_by_signed_quantity() -> None:
    unit = black_scholes([3000, 3000], [3000, 2500], 0.5, 0.6, [True, False])
    pos = unit.scaled([-2, 3])
    assert pos.delta[0] == -2 * unit.delta[0] and pos.delta[1] == 3 * unit.delta[1]
    assert pos.total()["vega"] == pytest.approx(-2 * unit.vega[0] + 3 * unit.vega[1])
