"""The solver's concepts as frozen dataclasses: auctions in, solutions out.

Wire shapes (JSON, pydantic) live in `auction/wire.py` and are mapped to these at the edge.

Units (`keel.units`): token amounts are `BaseUnits`; prices — reference, native and
clearing — are `UsdPrice`s (USD per base unit × 1e36), so `usd_value(amount, price)` is a
`UsdValue` (USD × 1e18). Scores and fees are `UsdValue`s.

An `Auction` always knows what gas costs: `native_price` is the chain's native token priced
per wei, positive, read apart from the tradable tokens (a stale WETH feed keeps WETH
intents out of the auction, never makes gas free).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# the one Interaction, re-exported: a Solution carries it
from contracts.interaction import Interaction as Interaction
from intents.model import Intent, SignedIntent
from keel.units import UsdPrice
from routing.pools import Liquidity
from solver.errors import SolverError


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int
    reference_price: UsdPrice


@dataclass(frozen=True)
class PoolTwap:
    """A V3 pool's time-weighted average over `window_s` before the auction's block, as its
    mean tick (token1 per token0, `routing.math.twap`); `mean_tick` None when the pool's
    history is shorter than the window, with `why_not` saying so (the feed alone is then the
    pool's reference)."""

    window_s: int
    mean_tick: int | None
    why_not: str = ""


@dataclass(frozen=True)
class BatchIntent:
    """A signed intent in an auction, with its id (the EIP-712 digest)."""

    id: str
    signed: SignedIntent

    @property
    def intent(self) -> Intent:
        return self.signed.intent


@dataclass(frozen=True)
class Auction:
    id: int
    chain_id: int
    settlement: str
    block: int
    deadline_ms: int  # unix milliseconds by which a solution must arrive
    tokens: dict[str, Token]
    intents: tuple[BatchIntent, ...]
    balances: dict[str, dict[str, int]]  # owner -> token -> BaseUnits
    liquidity: Liquidity  # the pools solvers may route over, as discovered at `block` (parsed once, at the wire)
    gas_price_wei: int
    native_price: UsdPrice  # the native token (ETH), per wei: what gas costs
    twaps: dict[str, PoolTwap] = field(default_factory=dict)  # V3 pool address -> its TWAP before `block`
    # V2 pairs the settlement's owner listed as pool targets (`setPoolTarget`): a solution may
    # pay them up front (a sink) and call their own `swap` (`solver.closing`)
    pool_targets: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.native_price <= 0:
            raise SolverError(f"nativePrice: {self.native_price} is not a price; gas cannot be valued", "nativePrice")

    def reference_prices(self) -> dict[str, int]:
        return {a: t.reference_price for a, t in self.tokens.items()}

    def intent(self, intent_id: str) -> BatchIntent:
        for si in self.intents:
            if si.id == intent_id:
                return si
        raise KeyError(intent_id)


@dataclass(frozen=True)
class Execution:
    """One intent settled: flows per intent token (< 0 pulled from the owner, > 0 paid)."""

    intent_id: str
    flows: dict[str, int]


@dataclass(frozen=True)
class Solution:
    auction_id: int
    solver: str
    prices: dict[str, int]  # token -> clearing price, a UsdPrice (the reference prices' scale)
    executions: tuple[Execution, ...]
    interactions: tuple[Interaction, ...]
    score_e18: int  # UsdValue: value delivered to users at reference prices, net of fees and gas
    gas: int
    # what the strategy learnt, for `keel auction show` and the demo (not part of scoring)
    stats: dict[str, Any] = field(default_factory=dict)
    # token -> the pool target its surplus sells go straight to (`settle`'s sinks; empty: the settlement)
    sinks: dict[str, str] = field(default_factory=dict)

    @property
    def intent_ids(self) -> tuple[str, ...]:
        return tuple(e.intent_id for e in self.executions)
