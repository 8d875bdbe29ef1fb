"""An intent's life after it is signed: its statuses, the allowed transitions, the stored record,
and the storage interface the orderbook implements and the auctioneer drives.

    open ──mark_in_auction──▶ in_auction ──mark_settled(tx)──▶ settled
      │  ◀──────reopen─────────┘    │ └──mark_failed(reason)──▶ failed
      │                             └──park(reason)──▶ parked
      ├──park(reason)──▶ parked ──reopen──▶ open     (parked: kept, not auctioned, reason shown)
      ├──cancel──▶ cancelled                          (also from parked)
      └──expire(now)──▶ expired                       (from open or parked; in_auction only after reopen)

`LIVE` statuses are the ones an intent may still execute from; an owner's live intents are
what a per-owner cap counts (`IntentStore.open_count`).

It lives here, beside the intent, so that the orderbook (which stores intents) and the
auction (which moves them through rounds) share one vocabulary without importing each other.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
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
    PARKED = "parked"


OPEN, IN_AUCTION, SETTLED, EXPIRED, CANCELLED, FAILED, PARKED = (
    IntentStatus.OPEN, IntentStatus.IN_AUCTION, IntentStatus.SETTLED,
    IntentStatus.EXPIRED, IntentStatus.CANCELLED, IntentStatus.FAILED, IntentStatus.PARKED,
)
STATUSES: tuple[IntentStatus, ...] = tuple(IntentStatus)
ALLOWED: dict[IntentStatus, set[IntentStatus]] = {
    OPEN: {IN_AUCTION, CANCELLED, EXPIRED, PARKED},
    IN_AUCTION: {SETTLED, FAILED, OPEN, PARKED},
    PARKED: {OPEN, CANCELLED, EXPIRED},
    SETTLED: set(),
    EXPIRED: set(),
    CANCELLED: set(),
    FAILED: set(),
}
LIVE: tuple[IntentStatus, ...] = (OPEN, IN_AUCTION, PARKED)


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
    rounds: int = 0  # auctions it has entered (mark_in_auction), for "failed N rounds" policies


class IntentStore(Protocol):
    """What the orderbook and the auctioneer need from storage: sqlite or Postgres, by URL
    (`orderbook.store.open_store`). Every implementation guarantees, across processes:

    - `add` returns only once the row is durably committed; a second intent with the same id
      or the same (owner, nonce) is a `DuplicateIntent` (field `id` / `nonce`), even when the
      two arrive at once at two orderbook processes. With `max_open_per_owner`, an owner who
      already has that many `LIVE` intents is refused (`OwnerCapReached`), checked and inserted
      atomically so concurrent submissions cannot overshoot the cap.
    - Each transition is all-or-nothing: if any id is unknown (`IntentNotFound`) or not in a
      status that allows it (`TransitionError`), nothing changes. `mark_in_auction` is atomic
      across processes: of two callers taking overlapping ids, exactly one succeeds, so an
      intent accepted by any orderbook is auctioned once. It returns the ids it took.
    - `expire` moves open and parked intents past their validTo; concurrent calls expire each once.
    - `note_waiting` records why open intents were left out of a snapshot (an intent that is no
      longer open keeps its own reason); entering an auction clears it.
    """

    def add(self, intent_id: str, signed: SignedIntent,
            max_open_per_owner: int | None = None) -> StoredIntent: ...
    def get(self, intent_id: str) -> StoredIntent: ...
    def list(self, status: str | None = None, owner: str | None = None, limit: int = 100) -> builtins.list[StoredIntent]: ...
    def open_intents(self, now_s: int) -> builtins.list[StoredIntent]: ...
    def open_count(self, owner: str) -> int: ...
    def count(self) -> int: ...
    def mark_in_auction(self, ids: builtins.list[str]) -> builtins.list[str]: ...
    def reopen(self, ids: builtins.list[str]) -> None: ...
    def park(self, ids: builtins.list[str], reason: str) -> None: ...
    def mark_settled(self, intent_id: str, tx_hash: str) -> None: ...
    def mark_failed(self, intent_id: str, reason: str) -> None: ...
    def cancel(self, intent_id: str) -> None: ...
    def note_waiting(self, reasons: Mapping[str, str]) -> None: ...
    def expire(self, now_s: int) -> builtins.list[str]: ...
    def close(self) -> None: ...


