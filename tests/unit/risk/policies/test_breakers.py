"""Circuit breakers: each trips past its limit, stays tripped until back under the
hysteresis level, and then resumes by itself."""

from __future__ import annotations

import pytest

from risk import breakers
from risk.breakers import Limits, Reading, State, check, record_fill
from risk.policies.errors import BreakerTripped

LIMITS = Limits(max_oracle_age_s=3600, max_pool_deviation_bps=200, max_impact_bps=100,
                halt_vol=3.0, notional_cap=1_000_000, notional_window_s=86_400, resume_fraction=0.8)


def _calm(now: float = 10_000.0, **kw: float) -> Reading:
    base = dict(now_s=now, oracle_updated_s=now - 60, oracle_price=3000.0, pool_price=3001.0,
                impact_bps=5.0, realized_vol=0.8, trade_notional=10_000.0)
    base.update(kw)
    return Reading(**base)


def test_should_pass_a_calm_reading() -> None:
    verdict = check(LIMITS, State(), _calm())
    assert verdict.ok and verdict.trips == ()
    verdict.raise_if_tripped()


@pytest.mark.parametrize(
    ("name", "bad", "between", "good"),
    [
        ("stale-oracle", {"oracle_updated_s": 10_000 - 4000}, {"oracle_updated_s": 10_000 - 3000}, {"oracle_updated_s": 10_000 - 2000}),
        ("pool-deviation", {"pool_price": 3000 * 1.03}, {"pool_price": 3000 * 1.019}, {"pool_price": 3000 * 1.01}),
        ("price-impact", {"impact_bps": 150.0}, {"impact_bps": 90.0}, {"impact_bps": 50.0}),
        ("volatility", {"realized_vol": 3.5}, {"realized_vol": 2.9}, {"realized_vol": 1.0}),
        ("notional-cap", {"trade_notional": 1_200_000.0}, {"trade_notional": 900_000.0}, {"trade_notional": 700_000.0}),
    ],
)
def test_should_trip_hold_with_hysteresis_and_resume(name: str, bad: dict, between: dict, good: dict) -> None:
    tripped = check(LIMITS, State(), _calm(**bad))
    assert not tripped.ok and [t.breaker for t in tripped.trips] == [name]
    assert name in tripped.reasons()[0]
    with pytest.raises(BreakerTripped, match=name):
        tripped.raise_if_tripped()
    # back under the limit but above resume_fraction x limit: still tripped (no flapping)
    held = check(LIMITS, tripped.state, _calm(**between))
    assert not held.ok
    # an untripped breaker at the same in-between value stays untripped
    assert check(LIMITS, State(), _calm(**between)).ok
    resumed = check(LIMITS, held.state, _calm(**good))
    assert resumed.ok


def test_should_count_signed_notional_in_the_window_only() -> None:
    state = record_fill(State(), 0.0, 600_000)
    assert not check(LIMITS, state, _calm(now=3600, trade_notional=500_000)).ok
    # a day later the first fill has left the window
    assert check(LIMITS, state, _calm(now=86_401, trade_notional=500_000)).ok


def test_should_keep_a_tripped_breaker_tripped_when_no_value_is_read() -> None:
    tripped = check(LIMITS, State(), _calm(impact_bps=500.0))
    held = check(LIMITS, tripped.state, _calm(impact_bps=None))
    assert not held.ok and held.trips[0].breaker == "price-impact"


def test_names_cover_every_breaker() -> None:
    assert set(breakers.NAMES) == {"stale-oracle", "pool-deviation", "price-impact", "volatility", "notional-cap"}
