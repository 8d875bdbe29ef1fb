"""The states policies see and the decision they return, vectorised over paths.

A *hedge* state describes an options book hedged with its underlying; a *weights* state a
portfolio held against target weights. Every array field has one entry per path (the
keeper passes length-1 arrays built from chain state). Scalars are shared by all paths
(the clock, the model volatility, the cost rate).

Gas is part of the state: `gas_cost` is the numeraire a trade pays in gas at the current gas
price (per path: a backtest's gas path, the keeper's `eth_gasPrice`), `gas_ref_cost` the
same at the cost model's reference (average) gas price; `trade_cost` already includes the
current gas. `horizon_years` is the time left in the hedging program (a backtest's
horizon; None in the keeper, where the program runs to the nearest expiry).

Units: `spot` in numeraire per whole token; `hedge`, `delta` in whole tokens of the
underlying (floats: these are optimiser-side quantities; the keeper turns the chosen
hedge into integer balance bounds, rounding the band outwards); `gamma` in tokens per
(numeraire per token); times in seconds; volatilities annualised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
SECONDS_PER_YEAR = 365 * 24 * 3600
# Comparisons of elapsed time against an interval tolerate float noise in the clock.
TIME_EPS_S = 1e-6

# (trade size in tokens, signed; spot) -> total cost in numeraire (impact + fee + gas), >= 0.
TradeCost = Callable[[FloatArray, FloatArray], FloatArray]


def zero_cost(q: FloatArray, spot: FloatArray) -> FloatArray:
    return np.zeros(np.broadcast(q, spot).shape)


@dataclass(frozen=True)
class HedgeState:
    """An options book and its hedge, one entry per path.

    `delta_scaled(m)` is the book's delta with every option's implied vol multiplied by
    `m` (an array over paths): Leland and Zakamouline hedge at a modified volatility.
    """

    t_s: float
    spot: FloatArray
    hedge: FloatArray
    delta: FloatArray
    gamma: FloatArray
    since_trade_s: FloatArray
    realized_vol: FloatArray
    vol: float
    tau_years: float
    rate: float
    cost_rate: float
    trade_cost: TradeCost
    delta_scaled: Callable[[FloatArray], FloatArray]
    target_delta: float = 0.0
    gas_cost: FloatArray | None = None
    gas_ref_cost: FloatArray | None = None
    horizon_years: float | None = None

    @property
    def target(self) -> FloatArray:
        """The hedge that makes the net delta equal the target: h* = target - book delta."""
        return self.target_delta - self.delta

    def fixed_cost(self, reference: bool = False) -> FloatArray:
        """Numeraire per trade that does not depend on its size (gas), per path: at the
        current gas price, or with `reference` at the cost model's reference (average) price.
        A state built without gas fields prices it as the cost of a dust trade."""
        given = self.gas_ref_cost if reference else self.gas_cost
        if given is None:
            given = self.trade_cost(np.full_like(self.spot, 1e-12), self.spot)
        return np.broadcast_to(np.asarray(given, dtype=np.float64), self.spot.shape)

    @property
    def remaining_years(self) -> float:
        """Time left in the hedging program: the backtest's horizon, else the nearest expiry."""
        return self.tau_years if self.horizon_years is None else min(self.horizon_years, self.tau_years)


@dataclass(frozen=True)
class WeightsState:
    """A portfolio against target weights, one row per path.

    `weights` (n, k) sum to 1 per row; `target` (k,); `cov` (k, k) annualised covariance
    of the assets' log returns (0 for the numeraire); `value` (n,) in numeraire.
    `trade_cost(turnover_by_asset (n, k) in numeraire, value)` -> cost (n,) in numeraire.
    """

    t_s: float
    weights: FloatArray
    target: FloatArray
    value: FloatArray
    since_trade_s: FloatArray
    realized_vol: FloatArray
    ref_vol: float
    cov: FloatArray
    cost_rate: float
    trade_cost: Callable[[FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class Decision:
    """`trade[i]`: path i trades now; `position[i]`: its position after (unchanged if not)."""

    trade: BoolArray
    position: FloatArray
    reason: str = ""


class HedgePolicy(Protocol):
    kind: str
    name: str

    def decide(self, state: HedgeState) -> Decision: ...

    def with_param(self, value: float) -> HedgePolicy: ...


class WeightsPolicy(Protocol):
    kind: str
    name: str

    def decide_weights(self, state: WeightsState) -> Decision: ...

    def with_param(self, value: float) -> WeightsPolicy: ...


@dataclass(frozen=True)
class Swept:
    """A policy with one free parameter `param_name`, which a backtest sweeps for its frontier."""

    name: str

    def with_param(self, value: float):  # type: ignore[no-untyped-def]
        return replace(self, **{self.param_name: float(value)})  # type: ignore[attr-defined, arg-type]

    @property
    def param(self) -> float:
        return float(getattr(self, self.param_name))  # type: ignore[attr-defined]


def to_target(state: HedgeState, trade: BoolArray) -> Decision:
    return Decision(trade, np.where(trade, state.target, state.hedge))


def to_band_edge(state: HedgeState, centre: FloatArray, half: FloatArray) -> Decision:
    """Trade only paths outside [centre - half, centre + half], each to its nearest edge."""
    lo, hi = centre - half, centre + half
    trade = (state.hedge < lo) | (state.hedge > hi)
    return Decision(trade, np.clip(state.hedge, lo, hi))


def ewma_variance(prev_var: FloatArray, log_return: FloatArray, decay: float) -> FloatArray:
    """One EWMA update of the per-step return variance (RiskMetrics): v' = d v + (1 - d) r^2.

    The keeper and the backtester both call this, so the realized-vol estimate a live policy
    sees is the one the backtest saw on the same path."""
    return decay * prev_var + (1.0 - decay) * log_return * log_return


def ewma_decay(dt_s: float, half_life_s: float) -> float:
    """Per-step decay for a half-life in seconds, so the estimate does not depend on step size."""
    return float(0.5 ** (dt_s / half_life_s))


def annualise(step_var: FloatArray, dt_s: float) -> FloatArray:
    return np.sqrt(step_var * SECONDS_PER_YEAR / dt_s)
