"""The solver's concepts as frozen dataclasses: auctions in, solutions out.

Wire shapes (JSON, pydantic) live in `auction/wire.py` and are mapped to these at the edge.

Units: token amounts are ints in base units. Prices — reference and clearing — share one
scale: USD per base unit × 1e36 (`PRICE_SCALE`), so `amount * price // 1e18` is USD × 1e18
(`value_e18`). Scores and fees are USD × 1e18.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intents.model import Intent, SignedIntent
from routing.pools import Liquidity

PRICE_SCALE = 10**36  # a price is USD per base unit times 1e36
VALUE_SCALE = 10**18  # a value is USD times 1e18
BPS = 10_000


def value_e18(amount: int, price: int) -> int:
    """USD × 1e18 of `amount` base units at `price` (rounded down)."""
    return amount * price // (PRICE_SCALE // VALUE_SCALE)


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int
    reference_price: int  # USD per base unit × 1e36


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
    balances: dict[str, dict[str, int]]  # owner -> token -> base units
    liquidity: Liquidity  # the pools solvers may route over, as discovered at `block` (parsed once, at the wire)
    gas_price_wei: int

    def reference_prices(self) -> dict[str, int]:
        return {a: t.reference_price for a, t in self.tokens.items()}

    def intent(self, intent_id: str) -> BatchIntent:
        for si in self.intents:
            if si.id == intent_id:
                return si
        raise KeyError(intent_id)


@dataclass(frozen=True)
class Interaction:
    target: str
    value_wei: int
    call_data: bytes


@dataclass(frozen=True)
class Execution:
    """One intent settled: flows per intent token (< 0 pulled from the owner, > 0 paid)."""

    intent_id: str
    flows: dict[str, int]


@dataclass(frozen=True)
class Solution:
    auction_id: int
    solver: str
    prices: dict[str, int]  # token -> clearing price (same scale as reference prices)
    executions: tuple[Execution, ...]
    interactions: tuple[Interaction, ...]
    score_e18: int  # value delivered to users at reference prices, net of fees and gas (USD × 1e18)
    gas: int
    # what the strategy learnt, for `keel auction show` and the demo (not part of scoring)
    stats: dict = field(default_factory=dict)

    @property
    def intent_ids(self) -> tuple[str, ...]:
        return tuple(e.intent_id for e in self.executions)
