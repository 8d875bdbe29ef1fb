"""The impulse band policy and its gas-timing variant (`risk.policies.band` holds the math).

`ImpulseBand` (kind "impulse"): each decision builds a local cost model from the state —
fixed F = gas per trade at the current gas price (or, with `gas = "reference"`, at the
cost model's reference price: "the same band at average gas"), proportional k = the pools'
cost fraction (fee + impact) at the band's own trade size, read off `trade_cost` — and the
book's Gamma, spot and time left; it trades when |hedge - target| exceeds the outer trigger
and then only back to the inner target on the same side. Gas-dominated it trades to the
centre on a band that grows as (F Gamma^2 / lambda)^(1/4); with gas ~ 0 it is
Whalley-Wilmott. The same formula serves an L1 at 20 gwei and an L2 at 0.1 gwei: only F
changes. Costs paid now are discounted by e^{-r tau} as in Whalley-Wilmott, so with F = 0
the band is theirs exactly.

`GasTiming` (kind "gas-timing"): waits for cheaper gas. With gas mean-reverting (log
gas an Ornstein-Uhlenbeck process of half-life `gas_half_life_hours` and stationary
log-sd `gas_log_sd` around the reference price), trading now is an option exercised
against a price that will revert, and the right trigger depends on today's gas far more
than the constant-gas law (U ~ F^(1/4)) says when gas reverts within a band's cycle
time. Its outer trigger is the band at the reference gas price times the optimal-stopping
multiplier of `risk.policies.stopping` (today's gas, and the reversion rate measured in
the band's own cycle time, U_ref^2 / (Gamma S sigma)^2); its inner target is the band's
at today's gas. The risk budget: |x| is never left above `budget` times the band at the
reference gas price, however dear gas gets.

Pure: numpy and the state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.policies import stopping
from risk.policies.band import Band, impulse_band
from risk.policies.base import SECONDS_PER_YEAR, Decision, FloatArray, HedgeState, Swept

GAS_CHOICES = ("current", "reference")


def local_rate(state: HedgeState, size: FloatArray) -> FloatArray:
    """The proportional cost fraction of a trade of `size` tokens (either side, averaged):
    (trade_cost - gas) / notional, from the state's own cost function (pools + gas)."""
    q = np.maximum(np.where(np.isfinite(size), size, 1.0), 1e-6)
    gas = state.fixed_cost()
    buy = state.trade_cost(q, state.spot) - gas
    sell = state.trade_cost(-q, state.spot) - gas
    return np.maximum(0.5 * (buy + sell) / (q * state.spot), 0.0)


@dataclass(frozen=True)
class ImpulseBand(Swept):
    """Outer trigger and inner target from fixed + proportional costs, Gamma and time left."""

    risk_aversion: float = 0.001
    gas: str = "current"
    use_horizon: bool = True
    kind: str = "impulse"
    param_name: str = "risk_aversion"

    def __post_init__(self) -> None:
        if self.gas not in GAS_CHOICES:
            raise ValueError(f"gas: must be one of {', '.join(GAS_CHOICES)}, got {self.gas!r}")

    def band(self, state: HedgeState, reference: bool | None = None) -> Band:
        ref = self.gas == "reference" if reference is None else reference
        disc = float(np.exp(-state.rate * max(state.tau_years, 0.0)))
        fixed = state.fixed_cost(reference=ref) * disc
        horizon = state.remaining_years if self.use_horizon else np.inf
        args = (state.gamma, state.spot, state.vol, self.risk_aversion, fixed)
        first = impulse_band(*args, np.full_like(state.spot, state.cost_rate * disc), horizon)
        # the proportional part is read at the size this band trades (fee + the pools' impact)
        rate = local_rate(state, first.outer - first.inner) * disc
        return impulse_band(*args, rate, horizon)

    def decide(self, state: HedgeState) -> Decision:
        return _to_inner(state, self.band(state))


@dataclass(frozen=True)
class GasTiming(ImpulseBand):
    """The impulse band whose trigger follows today's gas by optimal stopping on a
    mean-reverting gas price, within a risk budget of `budget` x the reference band."""

    budget: float = 3.0
    gas_half_life_hours: float = 4.0
    gas_log_sd: float = 0.6
    kind: str = "gas-timing"

    def band(self, state: HedgeState, reference: bool | None = None) -> Band:
        ref = super().band(state, reference=True)
        now = super().band(state, reference=False)
        mult = stopping.multiplier(self.cycles(state), self.gas_z(state), self.gas_log_sd)
        outer = np.minimum(ref.outer * mult, self.budget * ref.outer)
        return Band(outer, np.minimum(now.inner, outer))

    def cycles(self, state: HedgeState) -> FloatArray:
        """Gas reversion rate per cycle time of the fixed-cost band at the reference gas:
        kappa U_f^2 / a, U_f^4 = 12 F Gamma^2 / lambda, a = (Gamma S sigma)^2 per year."""
        fixed = state.fixed_cost(reference=True)
        g2 = state.gamma**2
        u2 = np.sqrt(12.0 * fixed * g2 / self.risk_aversion)
        a = g2 * (state.spot * state.vol) ** 2
        kappa = np.log(2.0) / (self.gas_half_life_hours * 3600.0 / SECONDS_PER_YEAR)
        return np.where(a > 0, kappa * u2 / np.where(a > 0, a, 1.0), np.inf)

    def gas_z(self, state: HedgeState) -> FloatArray:
        """Today's log gas in stationary standard deviations (the reference is the mean)."""
        ratio = state.fixed_cost() / np.maximum(state.fixed_cost(reference=True), 1e-300)
        s = self.gas_log_sd
        return (np.log(np.maximum(ratio, 1e-300)) + 0.5 * s * s) / s


def _to_inner(state: HedgeState, band: Band) -> Decision:
    """Trade paths whose |x| = |hedge - target| exceeds the outer trigger back to the inner
    target on their own side; leave the rest."""
    x = state.hedge - state.target
    trade = np.abs(x) > band.outer
    new = state.target + np.sign(x) * band.inner
    return Decision(trade, np.where(trade, new, state.hedge))
