"""What both storage backends share: the row layout, decoding, and the refusals they raise.

No SQL runs here. A row is `COLUMNS` in order; the signed intent is kept as its wire JSON,
verbatim, so what the API serves back is byte for byte what the owner signed. `valid_to`
is also a column (capped at 2**62: a uint256 validTo that large means "never", and both
backends compare it as a 64-bit integer); the exact value stays in the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from intents.errors import (
    DuplicateIntent,
    IntentError,
    IntentNotFound,
    OwnerCapReached,
    TransitionError,
)
from intents.lifecycle import ALLOWED, STATUSES, IntentStatus, StoredIntent
from intents.model import SignedIntent
from intents.wire import SignedIntentModel

COMPONENT = "orderbook"  # its row in `schema_version`
COLUMNS = ("id", "owner", "nonce", "kind", "valid_to", "status", "signed", "tx_hash", "reason",
           "created_at", "updated_at", "rounds")
SELECT = ", ".join(COLUMNS)
VALID_TO_CAP = 2**62
EXPIRED_REASON = "validTo passed before it settled"


def insert_values(intent_id: str, signed: SignedIntent, now: float) -> dict[str, Any]:
    """The new row's values (status open), keyed by column; `nonce` as a Python int."""
    intent = signed.intent
    return {
        "id": intent_id, "owner": intent.owner, "nonce": intent.nonce, "kind": int(intent.kind),
        "valid_to": min(intent.valid_to, VALID_TO_CAP), "status": IntentStatus.OPEN.value,
        "signed": SignedIntentModel.from_signed(signed).model_dump_json(), "created_at": now, "updated_at": now,
    }


def decode(row: Sequence[Any]) -> StoredIntent:
    """A `SELECT {SELECT}` row -> StoredIntent (the signed intent re-parsed from its JSON)."""
    (id_, owner, nonce, _kind, _valid_to, status, signed, tx_hash, reason, created, updated, rounds) = row
    model = SignedIntentModel.model_validate(json.loads(signed))
    return StoredIntent(str(id_), str(owner), int(nonce), str(status), model.to_signed(), int(model.intent.validTo),
                        tx_hash, reason, float(created), float(updated), int(rounds))


def check_transition(intent_id: str, current: str | None, to: IntentStatus) -> None:
    """Raise unless `intent_id` exists and the lifecycle lets it go from `current` to `to`."""
    if current is None:
        raise not_found(intent_id)
    if to not in ALLOWED[IntentStatus(current)]:
        raise TransitionError(f"status: intent {intent_id} is {current}; it cannot become {to}")


def check_status_filter(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise IntentError(f"status: {status!r} is not one of {', '.join(STATUSES)}", "status")


def not_found(intent_id: str) -> IntentNotFound:
    return IntentNotFound(f"id: no intent {intent_id} in the orderbook")


def duplicate_id(intent_id: str) -> DuplicateIntent:
    return DuplicateIntent(f"id: intent {intent_id} is already in the orderbook", "id")


def duplicate_nonce(signed: SignedIntent) -> DuplicateIntent:
    owner, nonce = signed.intent.owner, signed.intent.nonce
    return DuplicateIntent(f"nonce: {owner} already used nonce {nonce} (a replayed nonce; pick a fresh one)", "nonce")


def cap_reached(owner: str, cap: int) -> OwnerCapReached:
    return OwnerCapReached(f"owner: {owner} already has {cap} live intents (the most this orderbook keeps "
                           "per owner); cancel one or wait for one to settle or expire")


def unique(ids: Sequence[str]) -> list[str]:
    """`ids` without repeats, first occurrence kept (a repeated id is one transition, not two)."""
    return list(dict.fromkeys(ids))


def list_filter(status: str | None, owner: str | None, placeholder: str) -> tuple[str, list[str]]:
    """The WHERE clause (or "") and its bound arguments for `list(status, owner)`; `placeholder` is the
    backend's parameter mark (`?` for sqlite, `%s` for psycopg). Values are always bound, never formatted."""
    check_status_filter(status)
    clauses, args = [], []
    if status is not None:
        clauses.append(f"status = {placeholder}")
        args.append(status)
    if owner is not None:
        clauses.append(f"owner = {placeholder}")
        args.append(owner)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), args
