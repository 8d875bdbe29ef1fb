"""Hedging policies for an options book: when to re-hedge the underlying, and to where.

Each is a frozen dataclass with one free parameter (`param`, swept by the backtester) and
one decision function over `HedgeState` arrays. Formulas cite their sources:

- Leland (1985), "Option pricing and replication with transactions costs", J. Finance
  40(5): hedge at a fixed interval dt with the adjusted variance
  sigma_L^2 = sigma^2 (1 +/- sqrt(2/pi) k / (sigma sqrt(dt))), k the round-trip
  proportional cost (here 2 x the one-way `cost_rate`); + for a net short-gamma book.
- Whalley & Wilmott (1997), "An asymptotic analysis of an optimal hedging model for
  option pricing with transaction costs", Math. Finance 7(3): no-trade band around the
  BS delta of half-width (3 e^{-r tau} k S Gamma^2 / (2 lambda))^{1/3}, k the one-way
  proportional cost, lambda the absolute risk aversion; trade to the nearest edge.
  Models: proportional costs, small; Gamma. Does not model: a fixed cost per trade (gas),
  so under gas it trades too often and too little; keel's k is the pools' cost fraction
  for a 1-token trade.
- Zakamouline (2006), "Efficient analytic approximation of the optimal hedging strategy
  for a European call option with transaction costs", Quantitative Finance 6(5):
  band Delta(sigma_m) +/- (H0 + Hw), with H0 = k / (gamma S sigma^2 tau),
  Hw = 1.12 k^0.31 tau^0.05 (e^{-r tau}/sigma)^0.25 (|Gamma|/gamma)^0.5,
  sigma_m^2 = sigma^2 (1 - K), K = -4.76 k^0.78 tau^-0.02 (e^{-r tau}/sigma)^0.25
  (gamma S^2 |Gamma|)^0.15 (for a short-gamma book; sign of K flipped for long gamma).
  What it is: a regression fitted to numerically optimal bands of the utility-based
  problem with *proportional* costs only. It has no fixed-cost term and no inner band (it
  trades to the edge, like Whalley-Wilmott); it is not a gas-aware rule.
  The coefficients are the paper's regression estimates; they are restated here and in
  tests/unit/risk/policies so a typo fails a test. Checked against an independent open-source
  implementation of the same paper, which uses the same 1.12, 0.31, 0.25, 0.5 and 4.76,
  0.78, 0.15 (it drops the near-unity tau^0.05 and tau^-0.02 factors; we keep them). The
  original PDF was not readable offline here, so that check is second-hand.
- DeFi production rule (Lyra's pool hedger, Opyn's Crab): every `interval` or whenever
  |delta gap| exceeds a threshold, re-hedge to the full target.
- Gas-aware (keel's earlier rule): trade to the target only when the certainty-equivalent
  value of the hedge variance removed over `horizon`, (lambda/2) gap^2 S^2 sigma_hat^2
  horizon, exceeds the trade's full cost (impact + fee + gas). In effect a plain threshold
  |gap| > sqrt(2 c / (lambda S^2 sigma_hat^2 horizon)): no Gamma term (the optimal band under
  a fixed cost grows as |Gamma|^(1/2), see `risk.policies.band`), lambda and horizon enter
  only as their product, and the band narrows when realised vol rises, the wrong way
  (the optimal band does not depend on volatility).
- The impulse band and its gas-timing variant, which model fixed and proportional costs
  together, live in `risk.policies.impulse`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.policies.base import (
    SECONDS_PER_YEAR,
    TIME_EPS_S,
    Decision,
    HedgeState,
    Swept,
    WeightsState,
    to_band_edge,
    to_target,
)
from risk.policies.weights import drift, weights_to_edge, weights_to_target

# Zakamouline (2006) regression coefficients, restated once.
ZAK_HW = (1.12, 0.31, 0.05, 0.25, 0.5)  # coefficient, k^, tau^, (e^-r tau / sigma)^, (|G|/gamma)^
ZAK_K = (-4.76, 0.78, -0.02, 0.25, 0.15)  # coefficient, k^, tau^, (e^-r tau / sigma)^, (gamma S^2 |G|)^


@dataclass(frozen=True)
class EveryStep(Swept):
    """The reference: re-hedge to the full target at every decision."""

    kind: str = "every-step"
    param_name: str = "none"
    none: float = 0.0

    def decide(self, state: HedgeState) -> Decision:
        return to_target(state, np.ones_like(state.spot, dtype=bool))

    def decide_weights(self, state: WeightsState) -> Decision:
        return weights_to_target(state, np.ones(state.weights.shape[0], dtype=bool))


@dataclass(frozen=True)
class TimeBased(Swept):
    """Every `interval_hours`, re-hedge to the full target."""

    interval_hours: float = 24.0
    kind: str = "time"
    param_name: str = "interval_hours"

    def due(self, state: HedgeState | WeightsState) -> np.ndarray:
        return state.since_trade_s >= self.interval_hours * 3600.0 - TIME_EPS_S

    def decide(self, state: HedgeState) -> Decision:
        return to_target(state, self.due(state))

    def decide_weights(self, state: WeightsState) -> Decision:
        return weights_to_target(state, self.due(state))


@dataclass(frozen=True)
class Threshold(Swept):
    """When |target - hedge| exceeds `band` tokens, trade to within `to` tokens of target."""

    band: float = 1.0
    to: float = 0.0
    kind: str = "threshold"
    param_name: str = "band"

    def decide(self, state: HedgeState) -> Decision:
        gap = state.target - state.hedge
        trade = np.abs(gap) > self.band
        inner = np.minimum(self.to, self.band)
        new = state.target - np.sign(gap) * inner
        return Decision(trade, np.where(trade, new, state.hedge))

    def decide_weights(self, state: WeightsState) -> Decision:
        """`band`, `to`: weight fractions (0.05 = 5 points). Scale the drift back to `to`."""
        d = drift(state)
        return weights_to_edge(state, d > self.band, np.full_like(d, self.to))


@dataclass(frozen=True)
class DeFiRule(Swept):
    """Every `interval_hours` or when |gap| > `band` tokens, re-hedge to the full target."""

    band: float = 1.0
    interval_hours: float = 24.0
    kind: str = "defi"
    param_name: str = "band"

    def decide(self, state: HedgeState) -> Decision:
        due = state.since_trade_s >= self.interval_hours * 3600.0 - TIME_EPS_S
        trade = due | (np.abs(state.target - state.hedge) > self.band)
        return to_target(state, trade)

    def decide_weights(self, state: WeightsState) -> Decision:
        due = state.since_trade_s >= self.interval_hours * 3600.0 - TIME_EPS_S
        return weights_to_target(state, due | (drift(state) > self.band))


def _gamma_sign(state: HedgeState) -> np.ndarray:
    """+1 where the book is net short gamma (writer: widen the vol), -1 where long."""
    return np.where(state.gamma < 0, 1.0, -1.0)


@dataclass(frozen=True)
class Leland(Swept):
    """At a fixed interval, hedge to the delta at Leland's cost-adjusted volatility."""

    interval_hours: float = 24.0
    kind: str = "leland"
    param_name: str = "interval_hours"

    def vol_multiplier(self, state: HedgeState) -> np.ndarray:
        dt = self.interval_hours * 3600.0 / SECONDS_PER_YEAR
        round_trip = 2.0 * state.cost_rate
        le = np.sqrt(2.0 / np.pi) * round_trip / (state.vol * np.sqrt(dt))
        # A long-gamma book with Le > 1 has no Leland vol; floor the variance at 1% of sigma^2.
        return np.sqrt(np.maximum(1.0 + _gamma_sign(state) * le, 0.01))

    def decide(self, state: HedgeState) -> Decision:
        due = state.since_trade_s >= self.interval_hours * 3600.0 - TIME_EPS_S
        target = state.target_delta - state.delta_scaled(self.vol_multiplier(state))
        return Decision(due, np.where(due, target, state.hedge))


@dataclass(frozen=True)
class WhalleyWilmott(Swept):
    """No-trade band of half-width (3 e^{-r tau} k S Gamma^2 / (2 lambda))^(1/3) around target."""

    risk_aversion: float = 1.0
    kind: str = "whalley-wilmott"
    param_name: str = "risk_aversion"

    def half_width(self, state: HedgeState) -> np.ndarray:
        k = state.cost_rate
        disc = np.exp(-state.rate * state.tau_years)
        return np.cbrt(3.0 * disc * k * state.spot * state.gamma**2 / (2.0 * self.risk_aversion))

    def decide(self, state: HedgeState) -> Decision:
        return to_band_edge(state, state.target, self.half_width(state))


@dataclass(frozen=True)
class Zakamouline(Swept):
    """Band Delta(sigma_m) +/- (H0 + Hw) (Zakamouline 2006); trade to the nearest edge."""

    risk_aversion: float = 1.0
    kind: str = "zakamouline"
    param_name: str = "risk_aversion"

    def bands(self, state: HedgeState) -> tuple[np.ndarray, np.ndarray]:
        k, g = state.cost_rate, self.risk_aversion
        tau = max(state.tau_years, 1e-9)
        s, sigma = state.spot, state.vol
        abs_gamma = np.abs(state.gamma)
        disc_vol = np.exp(-state.rate * tau) / sigma
        c, pk, pt, pd, pg = ZAK_HW
        hw = c * k**pk * tau**pt * disc_vol**pd * (abs_gamma / g) ** pg
        h0 = k / (g * s * sigma**2 * tau)
        c, pk, pt, pd, pg = ZAK_K
        big_k = c * k**pk * tau**pt * disc_vol**pd * (g * s**2 * abs_gamma) ** pg
        # K < 0: a writer (short gamma) hedges at a higher vol, sigma^2 (1 - K); a holder lower.
        var_mult = np.maximum(1.0 - _gamma_sign(state) * big_k, 0.01)
        centre = state.target_delta - state.delta_scaled(np.sqrt(var_mult))
        return centre, h0 + hw

    def decide(self, state: HedgeState) -> Decision:
        centre, half = self.bands(state)
        return to_band_edge(state, centre, half)


@dataclass(frozen=True)
class VolAdaptive(Swept):
    """Band of half-width `band * realized_vol / vol` tokens (EWMA vol); trade to the edge."""

    band: float = 1.0
    kind: str = "vol-adaptive"
    param_name: str = "band"

    def decide(self, state: HedgeState) -> Decision:
        half = self.band * state.realized_vol / state.vol
        return to_band_edge(state, state.target, half)

    def decide_weights(self, state: WeightsState) -> Decision:
        half = self.band * state.realized_vol / state.ref_vol
        return weights_to_edge(state, drift(state) > half, half)


@dataclass(frozen=True)
class GasAware(Swept):
    """Re-hedge to target only if (lambda/2) gap^2 S^2 sigma_hat^2 horizon > cost(gap)."""

    risk_aversion: float = 1.0
    horizon_hours: float = 24.0
    kind: str = "gas-aware"
    param_name: str = "risk_aversion"

    def benefit(self, state: HedgeState, gap: np.ndarray) -> np.ndarray:
        horizon = self.horizon_hours * 3600.0 / SECONDS_PER_YEAR
        variance = (gap * state.spot * state.realized_vol) ** 2 * horizon
        return 0.5 * self.risk_aversion * variance

    def decide(self, state: HedgeState) -> Decision:
        gap = state.target - state.hedge
        trade = self.benefit(state, gap) > state.trade_cost(gap, state.spot)
        trade &= gap != 0
        return to_target(state, trade)

    def decide_weights(self, state: WeightsState) -> Decision:
        """Tracking variance of the deviation d over the horizon: V^2 d' Cov d horizon."""
        horizon = self.horizon_hours * 3600.0 / SECONDS_PER_YEAR
        dev = state.weights - state.target
        var = np.einsum("ni,ij,nj->n", dev, state.cov, dev) * state.value**2 * horizon
        turnover = np.abs(dev) * state.value[:, None]
        cost = state.trade_cost(turnover, state.value)
        return weights_to_target(state, (0.5 * self.risk_aversion * var > cost) & (drift(state) > 0))


HEDGE_KINDS: dict[str, type] = {
    c.kind: c
    for c in (EveryStep, TimeBased, Threshold, DeFiRule, Leland, WhalleyWilmott, Zakamouline, VolAdaptive, GasAware)
}
