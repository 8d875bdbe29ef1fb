"""The hedging engine: run policies over price paths, all paths at once.

For each step the book's greeks are computed once, vectorised over paths, and every policy
decides on the same state (arrays over paths), so N policies cost one greeks pass plus N
cheap decisions. Accounting, per path, financing at rate 0 (stated: the backtest's cash
earns nothing; the greeks still use the book's rate):

    cash    -= q * S + cost(q)            on every trade of q tokens at spot S
    P&L_T    = V_T - V_0 + (h_T S_T + cash_T - h_0 S_0)
    hedging cost of writing = -V_0 - P&L_T   (for a written call: payoff - hedge gains + costs)

`V_t` is the book's Black-Scholes value (intrinsic at expiry). Hedge error is the standard
deviation of P&L_T over paths. The horizon is the last row of `paths`; it must not pass the
book's nearest expiry (the command sets it so).

Start: `initial_hedge=None` starts every path hedged (holding the target at step 0, at no
cost: the common step-0 trade every policy would make is left out, so it does not dilute
cost ratios); a number starts every path holding that many tokens.

Gas is a state: `gas_gwei` (n_steps + 1, n) or (n_steps + 1, 1) is the gas price per step
and path; a trade at step i pays `costs.gas(S)` scaled by gas_i / `costs.gwei` (the
reference price `gas` is quoted at). Without it gas stays at the reference price.

Pure: numpy and risk.greeks; the cost function is handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from risk.greeks import black_scholes
from risk.policies.base import (
    SECONDS_PER_YEAR,
    FloatArray,
    HedgeState,
    TradeCost,
    annualise,
    ewma_decay,
    ewma_variance,
    zero_cost,
)
from risk.policies.errors import PolicyError

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class OptionBook:
    """One underlying's options as arrays (m,): strike, years to expiry at the start, kind,
    signed quantity (+ long), implied vol. `rate` feeds the greeks only."""

    strike: FloatArray
    years: FloatArray
    is_call: np.ndarray
    quantity: FloatArray
    vol: FloatArray
    rate: float = 0.0

    def __post_init__(self) -> None:
        if len(self.strike) == 0 or not np.any(self.years > 0):
            raise PolicyError("book: every option has expired; nothing to hedge", "book.expiry")

    def live(self) -> OptionBook:
        keep = self.years > 0
        return OptionBook(self.strike[keep], self.years[keep], self.is_call[keep], self.quantity[keep], self.vol[keep], self.rate)

    @property
    def nearest_expiry_years(self) -> float:
        return float(self.years[self.years > 0].min())

    @property
    def mean_vol(self) -> float:
        """Vega-agnostic summary vol: quantity-weighted mean of |q| (the policies' sigma)."""
        w = np.abs(self.quantity)
        return float(np.sum(w * self.vol) / np.sum(w))

    def greeks(self, spot: FloatArray, elapsed_years: float, vol_mult: FloatArray | float = 1.0) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(value, delta, gamma) of the whole book per path, at `spot` (n,)."""
        s = np.asarray(spot, dtype=np.float64)[:, None]
        m = np.asarray(vol_mult, dtype=np.float64)
        vol = self.vol[None, :] * (m[:, None] if m.ndim else m)
        g = black_scholes(s, self.strike, self.years - elapsed_years, vol, self.is_call, self.rate)
        return g.price @ self.quantity, g.delta @ self.quantity, g.gamma @ self.quantity


@dataclass(frozen=True)
class CostModel:
    """`impact(q, S)`: price impact + pool fee in numeraire of trading q tokens at spot S
    (>= 0); `gas(S)`: numeraire per trade at the reference gas price `gwei`; `rate`: the
    proportional cost used by the band formulas (one-way, a fraction)."""

    impact: TradeCost = zero_cost
    gas: Callable[[FloatArray], FloatArray] = lambda s: np.zeros_like(s)
    rate: float = 0.0
    gwei: float = 20.0

    def total(self, q: FloatArray, spot: FloatArray) -> FloatArray:
        return np.where(q != 0, self.impact(q, spot) + self.gas(spot), 0.0)

    def gas_at(self, spot: FloatArray, gwei: FloatArray | float | None) -> FloatArray:
        """Gas per trade in numeraire at gas price `gwei` (None: the reference price)."""
        base = self.gas(spot)
        if gwei is None or self.gwei <= 0:
            return base
        return base * (np.asarray(gwei, dtype=np.float64) / self.gwei)

    def at_gas(self, gas_now: FloatArray) -> TradeCost:
        """The full trade cost (impact + fee + `gas_now`), 0 for no trade."""
        return lambda q, spot: np.where(q != 0, self.impact(q, spot) + gas_now, 0.0)


@dataclass
class HedgeRun:
    """Per-path outcome of one policy over the paths."""

    policy: Any
    pnl: FloatArray
    trading_cost: FloatArray
    gas: FloatArray
    n_trades: FloatArray
    max_drawdown: FloatArray
    v0: float
    trades: list[tuple[int, int, float]] = field(default_factory=list)

    @property
    def replication_cost(self) -> FloatArray:
        return -self.v0 - self.pnl


@dataclass
class _Book:
    hedge: FloatArray
    cash: FloatArray
    since: FloatArray
    cost: FloatArray
    gas: FloatArray
    trades: FloatArray
    peak: FloatArray
    drawdown: FloatArray


def _gas_rows(gas_gwei: FloatArray | None, n_steps: int, n: int) -> FloatArray | None:
    if gas_gwei is None:
        return None
    g = np.asarray(gas_gwei, dtype=np.float64)
    g = g[:, None] if g.ndim == 1 else g
    if g.shape[0] != n_steps + 1 or g.shape[1] not in (1, n):
        raise PolicyError(f"gas: expected {n_steps + 1} rows of 1 or {n} paths, got {g.shape}", "gas")
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise PolicyError("gas: gas prices must be finite and >= 0", "gas")
    return np.broadcast_to(g, (n_steps + 1, n))


def run_hedge(
    paths: FloatArray,
    dt_s: float,
    book: OptionBook,
    policies: Sequence[Any],
    costs: CostModel | None = None,
    initial_hedge: float | None = 0.0,
    target_delta: float = 0.0,
    vol_half_life_s: float = 24 * 3600.0,
    record: int = 0,
    progress: Progress | None = None,
    gas_gwei: FloatArray | None = None,
) -> list[HedgeRun]:
    """Run every policy over `paths` (n_steps + 1, n). `record`: log (step, path, new hedge)
    of every trade on the first `record` paths (the keeper-equivalence test compares them)."""
    costs = costs or CostModel()
    book = book.live()
    n_steps, n = paths.shape[0] - 1, paths.shape[1]
    dt_y = dt_s / SECONDS_PER_YEAR
    if n_steps * dt_y > book.nearest_expiry_years + 1e-9:
        raise PolicyError("paths: the horizon runs past the book's nearest expiry; shorten it", "horizon")
    gas = _gas_rows(gas_gwei, n_steps, n)
    sigma = book.mean_vol
    decay = ewma_decay(dt_s, vol_half_life_s)
    var = np.full(n, sigma * sigma * dt_y)
    v0_all, d0, _ = book.greeks(paths[0], 0.0)
    v0 = float(v0_all[0])
    start = target_delta - d0 if initial_hedge is None else np.full(n, float(initial_hedge))
    state = [
        _Book(start.copy(), np.zeros(n), np.full(n, np.inf), *(np.zeros(n) for _ in range(5)))
        for _ in policies
    ]
    logs: list[list[tuple[int, int, float]]] = [[] for _ in policies]
    for i in range(n_steps + 1):
        spot = paths[i]
        elapsed = i * dt_y
        if i > 0:
            var = ewma_variance(var, np.log(spot / paths[i - 1]), decay)
        value, delta, gamma = book.greeks(spot, elapsed)
        for st in state:
            mark = value - v0 + st.hedge * spot + st.cash - start * paths[0]
            st.peak = np.maximum(st.peak, mark)
            st.drawdown = np.maximum(st.drawdown, st.peak - mark)
        if i == n_steps:
            break
        market = _Market(i, dt_s, spot, delta, gamma, annualise(var, dt_s), sigma, elapsed, n_steps - i)
        _decide_all(market, book, policies, state, logs, costs, None if gas is None else gas[i], target_delta, record)
        if progress is not None:
            progress(i + 1, n_steps)
    final = value
    runs = []
    for policy, st, log in zip(policies, state, logs, strict=True):
        pnl = final - v0 + st.hedge * paths[-1] + st.cash - start * paths[0]
        runs.append(HedgeRun(policy, pnl, st.cost + st.gas, st.gas, st.trades, st.drawdown, v0, log))
    return runs


@dataclass(frozen=True)
class _Market:
    """What every policy sees at step `i` (arrays over paths)."""

    i: int
    dt_s: float
    spot: FloatArray
    delta: FloatArray
    gamma: FloatArray
    realized: FloatArray
    sigma: float
    elapsed_years: float
    steps_left: int


def _decide_all(m: _Market, book: OptionBook, policies: Sequence[Any], state: list[_Book],
                logs: list[list[tuple[int, int, float]]], costs: CostModel, gwei: FloatArray | None,
                target_delta: float, record: int) -> None:
    """Ask every policy on the same state, apply its trades at today's gas, log the first paths'."""
    gas_ref = costs.gas(m.spot)
    gas_now = gas_ref if gwei is None else costs.gas_at(m.spot, gwei)
    trade_cost = costs.total if gwei is None else costs.at_gas(gas_now)
    dt_y = m.dt_s / SECONDS_PER_YEAR
    for k, (policy, st) in enumerate(zip(policies, state, strict=True)):
        hs = HedgeState(
            t_s=m.i * m.dt_s, spot=m.spot, hedge=st.hedge, delta=m.delta, gamma=m.gamma,
            since_trade_s=st.since, realized_vol=m.realized, vol=m.sigma,
            tau_years=book.nearest_expiry_years - m.elapsed_years, rate=book.rate,
            cost_rate=costs.rate, trade_cost=trade_cost,
            delta_scaled=lambda v, s=m.spot, e=m.elapsed_years: book.greeks(s, e, v)[1],  # type: ignore[misc]
            target_delta=target_delta, gas_cost=gas_now, gas_ref_cost=gas_ref,
            horizon_years=m.steps_left * dt_y,
        )
        decision = policy.decide(hs)
        _apply(st, decision.trade, decision.position, m.spot, costs, gas_now)
        if record:
            for p in np.flatnonzero(decision.trade[:record]):
                logs[k].append((m.i, int(p), float(decision.position[p])))
        st.since = st.since + m.dt_s


def _apply(st: _Book, trade: np.ndarray, position: FloatArray, spot: FloatArray, costs: CostModel,
           gas_now: FloatArray) -> None:
    q = np.where(trade, position - st.hedge, 0.0)
    traded = trade & (q != 0)
    impact = np.where(traded, costs.impact(q, spot), 0.0)
    gas = np.where(traded, gas_now, 0.0)
    st.cash = st.cash - q * spot - impact - gas
    st.cost = st.cost + impact
    st.gas = st.gas + gas
    st.trades = st.trades + traded
    st.hedge = np.where(trade, position, st.hedge)
    st.since = np.where(trade, 0.0, st.since)
