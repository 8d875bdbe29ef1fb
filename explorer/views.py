"""What the explorer shows, read from the stores the CLI reads: no I/O of its own, nothing recomputed.

- `round_rows(rounds)`: the latest rounds as `keel auction list --json` would print them.
- `round_view(rounds, id)`: one round as `keel auction show --json` prints it (`RoundRecord.public`):
  each candidate's verdict and the sentence `auction.verdicts` wrote when the round ran.
- `intent_rows(store, query)`: intents whose id or owner starts with `query` (case-insensitive; an
  empty query lists the latest), newest first.
- `intent_view(store, rounds, id, fills)`: one intent, the rounds it entered (with what became of
  each) and why it is where it is: its stored reason (parked, failed), or the round that settled it,
  or, for an open intent, what the last round it entered decided. `fills` are the settlement's
  fills (`BatchSettled` ids, amounts from the settle calldata) for this intent when a chain was given, else empty.

Unknown ids are a `NotFound` (404) naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auction.rounds import RoundRecord, RoundStore
from intents.lifecycle import IntentStore, StoredIntent
from keel.errors import KeelError, NotFoundError

ROUNDS_SCANNED = 200  # an intent's rounds are found among the latest this many


def round_rows(rounds: RoundStore, limit: int = 50) -> list[dict[str, Any]]:
    return [_round_row(r) for r in rounds.list(limit=limit)]


def _round_row(r: RoundRecord) -> dict[str, Any]:
    settled = next((c for c in r.candidates if str(c.verdict) == "settled"), None)
    return {"round": r.id, "block": r.block, "status": str(r.status), "intents": len(r.intents),
            "candidates": len(r.candidates), "winner": r.winner, "txHash": r.tx_hash,
            "gas": settled.gas if settled else None, "startedAt": r.started_at, "note": r.note}


def round_view(rounds: RoundStore, round_id: int) -> dict[str, Any]:
    try:
        return rounds.get(round_id).public()
    except NotFoundError:
        raise NotFoundError(f"round: no round {round_id}", "round") from None


def intent_rows(store: IntentStore, query: str = "", limit: int = 100) -> list[dict[str, Any]]:
    q = query.strip().lower()
    rows = store.list(limit=10_000) if q else store.list(limit=limit)
    found = [s for s in rows if not q or s.id.lower().startswith(q) or s.owner.lower().startswith(q)]
    return [_intent_row(s) for s in sorted(found, key=lambda s: s.created_at, reverse=True)[:limit]]


def _intent_row(s: StoredIntent) -> dict[str, Any]:
    return {"id": s.id, "owner": s.owner, "nonce": s.nonce, "status": s.status, "txHash": s.tx_hash,
            "reason": s.reason, "rounds": s.rounds, "validTo": s.valid_to, "createdAt": s.created_at}


def intent_view(store: IntentStore, rounds: RoundStore, intent_id: str,
                fills: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    try:
        stored = store.get(intent_id)
    except KeelError:
        raise NotFoundError(f"intent: no intent {intent_id}", "intent") from None
    entered = [r for r in rounds.list(limit=ROUNDS_SCANNED) if stored.id in r.intents]
    history = [{"round": r.id, "status": str(r.status), "txHash": r.tx_hash,
                "settledIt": bool(r.tx_hash) and r.tx_hash == stored.tx_hash} for r in entered]
    return {**_intent_row(stored), "why": why(stored, entered), "roundsEntered": history, "fills": list(fills)}


def why(stored: StoredIntent, entered: Sequence[RoundRecord]) -> str:
    """One sentence: why the intent is in its state, from what the stores recorded."""
    if stored.reason:
        return f"{stored.status}: {stored.reason}"
    if stored.status == "settled":
        return f"settled by transaction {stored.tx_hash}"
    if stored.status == "open" and entered:
        last = entered[0]  # rounds.list is newest first
        if str(last.status) == "settled":
            return (f"open: round {last.id} settled other intents; its winning solution left this one "
                    "for a later round")
        reasons = "; ".join(f"{c.solver_url}: {c.reason}" for c in last.candidates) or "no solver answered"
        return f"open: round {last.id} did not settle ({last.status}): {reasons}"
    if stored.status == "open":
        return "open: waiting for the next round"
    return stored.status
