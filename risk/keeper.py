"""`keel watch`: the keeper. Poll chain state, ask the policy, check the breakers, sign.

Each poll is one `Keeper.step(observation)`:
1. update the realized-vol EWMA with the oracle's move since the last poll (the same
   `ewma_variance` the backtester uses);
2. build the policy's state as arrays of length 1 (the backtester passes length N) and
   call the very same `decide`;
3. if it trades: measure the trade against the breakers (stale feed, pool vs oracle — the
   pool's spot against the feed, fee-aware; the reference is always the feed, and a trip's
   reason says what the pool's TWAP shows: a recent push or a market away from the feed,
   price impact, realized vol, notional cap); tripped -> nothing is signed, the reasons are
   returned and logged, and the next poll tries again (the breakers resume with hysteresis);
4. otherwise cancel the pending intent, if any, and sign + submit a fresh one.

Until a fired intent settles or expires the keeper assumes its outcome (the position it
asked for, drifting with prices), so it neither re-fires the same trade every poll nor
decides differently from a backtest of the same path.

`Observation` is plain numbers; `ChainReader` (bottom) reads them from the world with web3.
The `Sink` (an orderbook submitter or a dry run) does the signing and sending.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from contracts.deployment import Deployment
from keel import metrics
from keel.units import whole_tokens
from risk import breakers
from risk.backtest.engine import CostModel, OptionBook
from risk.policies.base import (
    SECONDS_PER_YEAR,
    HedgeState,
    WeightsState,
    annualise,
    ewma_decay,
    ewma_variance,
)


@dataclass(frozen=True)
class Observation:
    """One poll. Prices in numeraire per whole token (oracle); holdings in whole tokens.
    For a book, `tokens` = (numeraire, underlying); for a portfolio, the portfolio's tokens."""

    now_s: float
    prices: tuple[float, ...]
    holdings: tuple[float, ...]
    oracle_updated_s: float
    pool_price: float | None = None  # the pool's spot price, numeraire per underlying (checked against the feed)
    gas_price_gwei: float | None = None  # the chain's gas price now; None: the cost model's reference
    pool_twap: float | None = None  # the pool's TWAP over `contracts.twap.TWAP_WINDOW_S`; None: no history
    pool_fee_bps: float = 0.0
    pool_note: str = ""  # why the pool has no TWAP, when it has none

    def pool_context(self, reference: float) -> str:
        """What the pool's TWAP says about a pool-deviation trip: a spot pushed in the last
        minutes leaves its TWAP near the feed; a market that really left the feed moves both."""
        if self.pool_twap is None:
            return self.pool_note
        bps = (self.pool_twap / reference - 1.0) * 10_000
        verdict = "a recent push of the spot" if abs(bps) <= abs((self.pool_price or reference) / reference - 1) * 5_000 \
            else "the market itself away from the feed"
        return f"its TWAP is {bps:+,.1f} bps from the feed: {verdict}"


@dataclass(frozen=True)
class Step:
    now_s: float
    fired: bool
    position: tuple[float, ...] | None = None
    trade: tuple[float, ...] | None = None
    tripped: tuple[str, ...] = ()
    intent_id: str | None = None
    cancelled: str | None = None
    reason: str = ""


class Sink(Protocol):
    def submit(self, obs: Observation, position: tuple[float, ...], nonce: int) -> str: ...

    def cancel(self, intent_id: str) -> None: ...


@dataclass
class Keeper:
    """The live runner of one policy. `book` for delta hedging (tokens = numeraire,
    underlying), else `target` weights for a portfolio."""

    policy: Any
    costs: CostModel
    limits: breakers.Limits
    sink: Sink
    book: OptionBook | None = None
    target: tuple[float, ...] | None = None
    cov: np.ndarray | None = None
    target_delta: float = 0.0
    vol_half_life_s: float = 24 * 3600.0
    valid_s: float = 600.0
    start_s: float | None = None
    end_s: float | None = None  # when the hedging program ends (unix s); None: the book's nearest expiry
    _var: float | None = None
    _last: tuple[float, float] | None = None  # (time, reference price) of the previous poll
    _since: float = math.inf
    _pending: tuple[str, float] | None = None  # (intent id, valid until)
    _assumed: tuple[float, ...] | None = None  # holdings the pending intent asks for
    _breakers: breakers.State = field(default_factory=breakers.State)
    _nonce: int = 0
    log: list[Step] = field(default_factory=list)

    def _reference_price(self, obs: Observation) -> float:
        if self.book is not None:
            return obs.prices[1]
        assert self.target is not None
        return float(np.dot(self.target, obs.prices))  # the constant-mix portfolio's level

    def _realized(self, obs: Observation, vol: float) -> float:
        ref = self._reference_price(obs)
        if self._last is not None and obs.now_s > self._last[0]:
            dt = obs.now_s - self._last[0]
            prev = (self._var if self._var is not None else vol * vol) * dt / SECONDS_PER_YEAR
            step_var = ewma_variance(np.array([prev]), np.array([math.log(ref / self._last[1])]),
                                     ewma_decay(dt, self.vol_half_life_s))
            self._var = float(annualise(step_var, dt)[0]) ** 2
            self._since += dt
        self._last = (obs.now_s, ref)
        return math.sqrt(self._var) if self._var is not None else vol

    def _holdings(self, obs: Observation) -> tuple[float, ...]:
        if self._pending is not None and obs.now_s > self._pending[1]:
            self._pending, self._assumed = None, None  # expired unsettled: back to the chain's word
        return self._assumed if self._assumed is not None else obs.holdings

    def step(self, obs: Observation) -> Step:
        if self.start_s is None:
            self.start_s = obs.now_s
        if self.book is not None:
            trade, position, _, realized = self._decide_hedge(obs)
        else:
            trade, position, _, realized = self._decide_weights(obs)
        if not trade:
            return self._record(Step(obs.now_s, False, reason="inside the policy's band"))
        held = self._holdings(obs)
        if self.book is not None:
            q = position[0] - held[1]
            notional, spot = abs(q) * obs.prices[1], obs.prices[1]
            impact = float(self.costs.impact(np.array([q]), np.array([spot]))[0])
        else:
            delta_units = [p * self._value(obs, held) / px - h for p, px, h in zip(position, obs.prices, held, strict=True)]
            notional = sum(abs(d) * px for d, px in zip(delta_units, obs.prices, strict=True)) / 2
            impact = self.costs.rate * notional
        reference = self._reference_price(obs) if self.book else None
        reading = breakers.Reading(
            now_s=obs.now_s, oracle_updated_s=obs.oracle_updated_s, oracle_price=reference,
            pool_price=obs.pool_price, pool_fee_bps=obs.pool_fee_bps,
            impact_bps=(impact / notional * 1e4) if notional > 0 else 0.0,
            realized_vol=realized, trade_notional=notional,
        )
        verdict = breakers.check(self.limits, self._breakers, reading)
        self._breakers = verdict.state
        if not verdict.ok:
            for trip in verdict.trips:
                metrics.BREAKER_TRIPS.labels(trip.breaker).inc()
            context = obs.pool_context(reference) if reference and "pool-deviation" in self._breakers.tripped else ""
            note = f" ({context})" if context else ""
            return self._record(Step(obs.now_s, False, tuple(position), tripped=tuple(verdict.reasons()),
                                     reason="breaker tripped: " + "; ".join(verdict.reasons()) + note))
        cancelled = None
        if self._pending is not None:
            cancelled = self._pending[0]
            self.sink.cancel(cancelled)
        self._nonce += 1
        nonce = int(obs.now_s) * 1000 + self._nonce
        intent_id = self.sink.submit(obs, tuple(position), nonce)
        self._breakers = breakers.record_fill(self._breakers, obs.now_s, notional)
        self._pending = (intent_id, obs.now_s + self.valid_s)
        self._assumed = self._assumed_after(obs, position)
        self._since = 0.0
        return self._record(Step(obs.now_s, True, tuple(position), intent_id=intent_id, cancelled=cancelled,
                                 reason=f"{self.policy.kind} fired"))

    def _record(self, step: Step) -> Step:
        self.log.append(step)
        return step

    def _value(self, obs: Observation, held: tuple[float, ...]) -> float:
        return float(sum(h * p for h, p in zip(held, obs.prices, strict=True)))

    def _assumed_after(self, obs: Observation, position: tuple[float, ...]) -> tuple[float, ...]:
        held = self._holdings(obs)
        if self.book is not None:
            return (held[0] - (position[0] - held[1]) * obs.prices[1], position[0])
        v = self._value(obs, held)
        return tuple(w * v / p for w, p in zip(position, obs.prices, strict=True))

    def _decide_hedge(self, obs: Observation) -> tuple[bool, tuple[float, ...], float, float]:
        assert self.book is not None and self.start_s is not None
        book = self.book
        vol = book.mean_vol
        realized = self._realized(obs, vol)
        elapsed = (obs.now_s - self.start_s) / SECONDS_PER_YEAR
        spot = np.array([obs.prices[1]])
        _, delta, gamma = book.greeks(spot, elapsed)
        held = self._holdings(obs)
        # the policy sees today's gas, exactly as the backtest's gas path shows it
        gas_ref = self.costs.gas(spot)
        gas_now = gas_ref if obs.gas_price_gwei is None else self.costs.gas_at(spot, obs.gas_price_gwei)
        state = HedgeState(
            t_s=obs.now_s - self.start_s, spot=spot, hedge=np.array([held[1]]), delta=delta, gamma=gamma,
            since_trade_s=np.array([self._since]), realized_vol=np.array([realized]), vol=vol,
            tau_years=book.nearest_expiry_years - elapsed, rate=book.rate, cost_rate=self.costs.rate,
            trade_cost=self.costs.total if obs.gas_price_gwei is None else self.costs.at_gas(gas_now),
            delta_scaled=lambda m: book.greeks(spot, elapsed, m)[1],
            target_delta=self.target_delta, gas_cost=gas_now, gas_ref_cost=gas_ref,
            horizon_years=None if self.end_s is None else max(self.end_s - obs.now_s, 0.0) / SECONDS_PER_YEAR,
        )
        d = self.policy.decide(state)
        return bool(d.trade[0]), (float(d.position[0]),), vol, realized

    def _decide_weights(self, obs: Observation) -> tuple[bool, tuple[float, ...], float, float]:
        assert self.target is not None
        target = np.asarray(self.target)
        cov = self.cov if self.cov is not None else np.zeros((len(target), len(target)))
        ref_vol = float(np.sqrt(max(target @ cov @ target, 1e-12)))
        realized = self._realized(obs, ref_vol)
        held = self._holdings(obs)
        prices = np.asarray(obs.prices)
        value = float(np.dot(held, prices))
        state = WeightsState(
            t_s=obs.now_s - (self.start_s or obs.now_s), weights=(np.asarray(held) * prices / value)[None, :],
            target=target, value=np.array([value]), since_trade_s=np.array([self._since]),
            realized_vol=np.array([realized]), ref_vol=ref_vol, cov=cov, cost_rate=self.costs.rate,
            # gas is priced at the first risky token's price (WETH in the world's portfolios)
            trade_cost=lambda turnover, v: self.costs.rate * turnover.sum(axis=1) / 2 + self.costs.gas(prices[1:2]),
        )
        d = self.policy.decide_weights(state)
        return bool(d.trade[0]), tuple(float(x) for x in d.position[0]), ref_vol, realized


# ---- the edges: reading the chain, and where fired intents go ---------------------------

SLOT0_ABI = [{"name": "slot0", "type": "function", "stateMutability": "view", "inputs": [],
              "outputs": [{"name": "sqrtPriceX96", "type": "uint160"}, {"name": "tick", "type": "int24"},
                          {"name": "a", "type": "uint16"}, {"name": "b", "type": "uint16"},
                          {"name": "c", "type": "uint16"}, {"name": "d", "type": "uint8"},
                          {"name": "e", "type": "bool"}]},
             {"name": "fee", "type": "function", "stateMutability": "view", "inputs": [],
              "outputs": [{"name": "", "type": "uint24"}]}]


@dataclass
class ChainReader:
    """Reads an `Observation` for `owner` over `symbols` (numeraire first) from the chain's
    `deployment`: oracle feeds (the oldest `updatedAt` counts for staleness), balances,
    block time, and the price of `symbols[1]` in the V3 pool at `pool` (an address, e.g.
    `deployment.v3_pool("USDC", "WETH", 500)`; None: no pool check) — its spot, its fee and
    its TWAP over `contracts.twap.TWAP_WINDOW_S` from `observe()` (none when the pool's
    history is shorter than the window: then `pool_note` says so and the spot alone counts)."""

    w3: Any
    deployment: Deployment
    owner: str
    symbols: tuple[str, ...]
    pool: str | None = None
    states: list[Any] = field(default_factory=list)

    def read(self) -> Observation:
        from intents.chain import chain_time, feed_updated_at, token_states

        self.states = token_states(self.w3, self.deployment, self.owner, list(self.symbols))
        updated = [feed_updated_at(self.w3, self.deployment, s) for s in self.symbols[1:]]
        num = self.states[0]
        prices = tuple(t.usd_price_8 / num.usd_price_8 for t in self.states)
        holdings = tuple(whole_tokens(t.balance, t.decimals) for t in self.states)
        obs = Observation(float(chain_time(self.w3)), prices, holdings, float(min(updated)), self._pool_price(),
                          self.w3.eth.gas_price / 1e9)
        return self._with_twap(obs) if self.pool is not None else obs

    def _pool_price(self) -> float | None:
        if self.pool is None:
            return None
        pool = self.w3.eth.contract(address=self.pool, abi=SLOT0_ABI)
        return self._in_numeraire(int(pool.functions.slot0().call()[0]))

    def _in_numeraire(self, sqrt_x96: int) -> float:
        """A pool's Q64.96 square-root price as numeraire per whole underlying."""
        num, und = self.states[0], self.states[1]
        raw: float = (sqrt_x96 / 2**96) ** 2  # token1 base units per token0 base unit
        shift: float = 10.0 ** (und.decimals - num.decimals)
        if int(und.address, 16) < int(num.address, 16):  # underlying is token0
            return raw * shift
        return 1.0 / raw * shift

    def _with_twap(self, obs: Observation) -> Observation:
        from dataclasses import replace

        from contracts.twap import TWAP_WINDOW_S, observe_pools
        from routing.math.twap import twap_sqrt_price_x96

        assert self.pool is not None
        fee_bps = int(self.w3.eth.contract(address=self.pool, abi=SLOT0_ABI).functions.fee().call()) / 100
        seen = observe_pools(self.w3, [self.pool], int(self.w3.eth.block_number), TWAP_WINDOW_S)[self.pool]
        if seen.tick_cumulatives is None:
            return replace(obs, pool_fee_bps=fee_bps, pool_note=f"no TWAP: {seen.why_not}; the pool's spot alone is "
                                                                 "compared with the feed")
        twap = self._in_numeraire(twap_sqrt_price_x96(*seen.tick_cumulatives, TWAP_WINDOW_S))
        return replace(obs, pool_twap=twap, pool_fee_bps=fee_bps)


@dataclass
class IntentSink:
    """Builds the intent a fired decision asks for; signs and submits it when `signer` and
    `orderbook` are given, else (dry run) only records what it would sign."""

    reader: ChainReader
    valid_s: int
    slippage_bps: int
    max_fee_bps: int
    band_tokens: float = 0.0
    target_bps: dict[str, int] | None = None
    orderbook: str | None = None
    signer: Any = None
    chain_id: int = 0
    settlement: str = ""
    built: list[Any] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def intent(self, obs: Observation, position: tuple[float, ...], nonce: int) -> Any:
        from intents import build

        states = self.reader.states
        valid_to = int(obs.now_s) + self.valid_s
        if self.target_bps is None:  # a hedge: the underlying's balance within the band
            band = build.hedge_band(0.0, states[1].balance, states[1].decimals, position[0], max(self.band_tokens, 1e-4))
            return build.hedge_intent(self.reader.owner, states[0], states[1], band, self.slippage_bps,
                                      self.max_fee_bps, valid_to, nonce)
        target = [self.target_bps[s.symbol] / 10_000 for s in states]
        # ceil, less float noise: 0.005 of drift is 50 bps, not 51
        tolerance = max(1, math.ceil(max(abs(p - t) for p, t in zip(position, target, strict=True)) * 10_000 - 1e-6))
        intent, _ = build.weights_intent(self.reader.owner, states, self.target_bps, tolerance, self.slippage_bps,
                                         self.max_fee_bps, valid_to, nonce)
        return intent

    def submit(self, obs: Observation, position: tuple[float, ...], nonce: int) -> str:
        intent = self.intent(obs, position, nonce)
        self.built.append(intent)
        if self.signer is None or self.orderbook is None:
            return "0x" + intent.digest(self.chain_id, self.settlement).hex() if self.settlement else f"dry-run:{nonce}"
        from intents.signing import sign_intent
        from intents.wire import SignedIntentModel
        from orderbook import client

        signed = sign_intent(intent, self.signer.key, self.chain_id, self.settlement)
        body = SignedIntentModel.from_signed(signed, self.chain_id).model_dump(mode="json", exclude_none=True)
        answer = client.request(self.orderbook, "POST", "/intents", body)
        return str(answer.get("id", "0x" + intent.digest(self.chain_id, self.settlement).hex()))

    def cancel(self, intent_id: str) -> None:
        self.cancelled.append(intent_id)
        if self.signer is None or self.orderbook is None:
            return
        from intents.signing import sign_cancellation
        from orderbook import client

        sig = sign_cancellation(intent_id, self.signer.key, self.chain_id, self.settlement)
        client.request(self.orderbook, "DELETE", f"/intents/{intent_id}", {"signingScheme": 0, "signature": "0x" + sig.hex()})
