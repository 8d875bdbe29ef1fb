"""Circuit breakers: checked by the keeper before it signs and by the solver before it routes.

Five breakers, each a measured value against a limit:

    stale-oracle     seconds since the feed's last update      > max_oracle_age_s (its heartbeat)
    pool-deviation   |pool price / oracle price - 1| in bps    > max_pool_deviation_bps
    price-impact     the trade's impact on the pools, in bps   > max_impact_bps
    volatility       realized (EWMA) vol, annualised           > halt_vol
    notional-cap     traded notional in the window + this one  > notional_cap

Hysteresis so a breaker does not flap: a breaker trips when its value exceeds the limit,
and once tripped it resets only when the value is back at or below `resume_fraction` x
the limit. While any breaker is tripped nothing is signed or routed; the caller shows the
reasons. A reading may leave a value as None (no trade proposed: no impact to measure);
a breaker with no reading keeps its current state.

Pure: state in, state out (frozen dataclasses); the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from risk.policies.errors import BreakerTripped

NAMES = ("stale-oracle", "pool-deviation", "price-impact", "volatility", "notional-cap")


@dataclass(frozen=True)
class Limits:
    max_oracle_age_s: float = 3600.0
    max_pool_deviation_bps: float = 200.0
    max_impact_bps: float = 100.0
    halt_vol: float = 3.0
    notional_cap: float = 5_000_000.0
    notional_window_s: float = 86_400.0
    resume_fraction: float = 0.8


@dataclass(frozen=True)
class Reading:
    """What the caller measured now. Prices in numeraire per whole token; notional in numeraire."""

    now_s: float
    oracle_updated_s: float | None = None
    oracle_price: float | None = None
    pool_price: float | None = None
    impact_bps: float | None = None
    realized_vol: float | None = None
    trade_notional: float | None = None


@dataclass(frozen=True)
class Trip:
    breaker: str
    value: float
    limit: float
    reason: str


@dataclass(frozen=True)
class State:
    tripped: frozenset[str] = frozenset()
    fills: tuple[tuple[float, float], ...] = ()  # (time, notional) of trades signed in the window


@dataclass(frozen=True)
class Verdict:
    state: State
    trips: tuple[Trip, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.state.tripped

    def reasons(self) -> list[str]:
        return [t.reason for t in self.trips]

    def raise_if_tripped(self) -> None:
        if not self.ok:
            raise BreakerTripped("breaker tripped: " + "; ".join(self.reasons()), "breakers")


def _values(limits: Limits, state: State, r: Reading) -> dict[str, tuple[float | None, float, str]]:
    """Per breaker: (measured value or None, limit, unit text)."""
    age = None if r.oracle_updated_s is None else r.now_s - r.oracle_updated_s
    dev = None
    if r.oracle_price and r.pool_price:
        dev = abs(r.pool_price / r.oracle_price - 1.0) * 10_000
    window = sum(n for t, n in state.fills if t > r.now_s - limits.notional_window_s)
    notional = None if r.trade_notional is None else window + r.trade_notional
    return {
        "stale-oracle": (age, limits.max_oracle_age_s, "s since the feed's last update"),
        "pool-deviation": (dev, limits.max_pool_deviation_bps, "bps between pool and oracle"),
        "price-impact": (r.impact_bps, limits.max_impact_bps, "bps price impact"),
        "volatility": (r.realized_vol, limits.halt_vol, "annualised realized vol"),
        "notional-cap": (notional, limits.notional_cap, "notional traded in the window"),
    }


def check(limits: Limits, state: State, reading: Reading) -> Verdict:
    """Update each breaker with hysteresis; return the new state and why each tripped one is."""
    tripped = set(state.tripped)
    trips: list[Trip] = []
    for name, (value, limit, unit) in _values(limits, state, reading).items():
        if value is None:
            if name in tripped:
                trips.append(Trip(name, float("nan"), limit, f"{name}: still tripped (no new reading)"))
            continue
        resume_at = limit * limits.resume_fraction
        if name in tripped and value <= resume_at:
            tripped.discard(name)
        elif name not in tripped and value > limit:
            tripped.add(name)
        if name in tripped:
            trips.append(Trip(name, value, limit, f"{name}: {value:,.4g} {unit} > limit {limit:,.4g} (resumes at {resume_at:,.4g})"))
    cutoff = reading.now_s - limits.notional_window_s
    fills = tuple(f for f in state.fills if f[0] > cutoff)
    return Verdict(State(frozenset(tripped), fills), tuple(trips))


def record_fill(state: State, now_s: float, notional: float) -> State:
    """Count a signed trade's notional against the window's cap."""
    return replace(state, fills=(*state.fills, (now_s, abs(notional))))
