"""An intent's life after it is signed: its statuses, the allowed transitions, the stored record,
and the storage interface the orderbook implements and the auctioneer drives.

    open ──mark_in_auction──▶ in_auction ──mark_settled(tx)──▶ settled
      │  ◀──────reopen─────────┘    └──mark_failed(reason)──▶ failed
      ├──cancel──▶ cancelled
      └──expire(now)──▶ expired            (in_auction intents expire only after reopen)

It lives here, beside the intent, so that the orderbook (which stores intents) and the
auction (which moves them through rounds) share one vocabulary without importing each other.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from intents.model import SignedIntent


class IntentStatus(StrEnum):
    OPEN = "open"
    IN_AUCTION = "in_auction"
    SETTLED = "settled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"


OPEN, IN_AUCTION, SETTLED, EXPIRED, CANCELLED, FAILED = (
    IntentStatus.OPEN, IntentStatus.IN_AUCTION, IntentStatus.SETTLED,
    IntentStatus.EXPIRED, IntentStatus.CANCELLED, IntentStatus.FAILED,
)
STATUSES: tuple[IntentStatus, ...] = tuple(IntentStatus)
ALLOWED: dict[IntentStatus, set[IntentStatus]] = {
    OPEN: {IN_AUCTION, CANCELLED, EXPIRED},
    IN_AUCTION: {SETTLED, FAILED, OPEN},
    SETTLED: set(),
    EXPIRED: set(),
    CANCELLED: set(),
    FAILED: set(),
}


@dataclass(frozen=True)
class StoredIntent:
    id: str
    owner: str
    nonce: int
    status: str
    signed: SignedIntent
    valid_to: int
    tx_hash: str | None
    reason: str | None
    created_at: float
    updated_at: float


class IntentStore(Protocol):
    """What the orderbook and the auctioneer need from storage (sqlite today, Postgres by URL later)."""

    def add(self, intent_id: str, signed: SignedIntent) -> StoredIntent: ...
    def get(self, intent_id: str) -> StoredIntent: ...
    def list(self, status: str | None = None, owner: str | None = None, limit: int = 100) -> builtins.list[StoredIntent]: ...
    def open_intents(self, now_s: int) -> builtins.list[StoredIntent]: ...
    def mark_in_auction(self, ids: builtins.list[str]) -> None: ...
    def reopen(self, ids: builtins.list[str]) -> None: ...
    def mark_settled(self, intent_id: str, tx_hash: str) -> None: ...
    def mark_failed(self, intent_id: str, reason: str) -> None: ...
    def cancel(self, intent_id: str) -> None: ...
    def expire(self, now_s: int) -> builtins.list[str]: ...
    def close(self) -> None: ...


