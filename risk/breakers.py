"""Circuit breakers: checked by the keeper before it signs and by the solver before it routes.

Five breakers, each a measured value against a limit:

    stale-oracle     seconds since the feed's last update      > max_oracle_age_s (its heartbeat)
    pool-deviation   how far the pool's after-fee marginal prices  > max_pool_deviation_bps
                     sit from the reference, beyond the pool's fee
    price-impact     the trade's impact on the pools, in bps   > max_impact_bps
    volatility       realized (EWMA) vol, annualised           > halt_vol
    notional-cap     traded notional in the window + this one  > notional_cap

Hysteresis so a breaker does not flap: a breaker trips when its value exceeds the limit,
and once tripped it resets only when the value is back at or below `resume_fraction` x
the limit. While any breaker is tripped nothing is signed or routed; the caller shows the
reasons. A reading may leave a value as None (no trade proposed: no impact to measure);
a breaker with no reading keeps its current state.

The pool-deviation value is fee-aware (`fee_aware_deviation_bps`): a pool with mid price m
and fee f sells at m(1-f) and buys at m/(1-f); an undisturbed pool's after-fee prices sit
exactly f from the reference, so the value is how much further the worse of the two sits.
To first order that is |m / reference - 1|, whatever the fee: a pool pushed δ from the
reference reads δ, so the default limit (10 bps) leaves out any pool pushed more than ~10 bps
— including 30 and 100 bps pools, which on a real chain may idle up to their fee away from
the market (arbitrage does not pay inside the fee); they are left out then too, the price of
not trusting a pool's word. With a fee of 0 it is the old |pool / oracle - 1|.

Pure: state in, state out (frozen dataclasses); the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from risk.policies.errors import BreakerTripped

NAMES = ("stale-oracle", "pool-deviation", "price-impact", "volatility", "notional-cap")


@dataclass(frozen=True)
class Limits:
    max_oracle_age_s: float = 3600.0
    max_pool_deviation_bps: float = 10.0  # beyond the pool's fee (fee_aware_deviation_bps)
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
    pool_fee_bps: float = 0.0  # the pool's fee: its after-fee prices are compared (fee_aware_deviation_bps)


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


def fee_aware_deviation_bps(pool_price: float, reference: float, fee_bps: float = 0.0) -> float:
    """How far the pool's after-fee marginal prices sit from `reference`, beyond its fee, in bps.

    Selling into the pool pays `pool_price·(1-f)`, buying costs `pool_price/(1-f)`; each sits f
    from the reference when the pool is at it. The value is the larger distance less f (never
    negative): ≈ |pool_price / reference - 1| for small f. Floats (a breaker's reading), in bps.
    """
    f = fee_bps / 10_000
    bid, ask = pool_price * (1 - f), pool_price / (1 - f)
    distance = max(abs(bid / reference - 1.0), abs(ask / reference - 1.0))
    return max(distance - f, 0.0) * 10_000


def _values(limits: Limits, state: State, r: Reading) -> dict[str, tuple[float | None, float, str]]:
    """Per breaker: (measured value or None, limit, unit text)."""
    age = None if r.oracle_updated_s is None else r.now_s - r.oracle_updated_s
    dev = None
    if r.oracle_price and r.pool_price:
        dev = fee_aware_deviation_bps(r.pool_price, r.oracle_price, r.pool_fee_bps)
    window = sum(n for t, n in state.fills if t > r.now_s - limits.notional_window_s)
    notional = None if r.trade_notional is None else window + r.trade_notional
    return {
        "stale-oracle": (age, limits.max_oracle_age_s, "s since the feed's last update"),
        "pool-deviation": (dev, limits.max_pool_deviation_bps, "bps between pool and reference beyond the pool's fee"),
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
