"""What the explorer shows, read from the stores the CLI reads: no I/O of its own, nothing recomputed.

- `round_rows(rounds)`: the latest rounds as `keel auction list --json` would print them.
- `round_view(rounds, id)`: one round as `keel auction show --json` prints it (`RoundRecord.public`):
  each candidate's verdict and the sentence `auction.verdicts` wrote when the round ran, and for a
  settled round the record the auctioneer kept (`auction.settled`: clearing prices, route, gas
  used on chain, savings) with `routePicture`, the URL of its route PNG when pools carried any.
- `intent_rows(store, query)`: intents whose id or owner starts with `query` (case-insensitive; an
  empty query lists the latest), newest first.
- `intent_view(store, rounds, id, fills)`: one intent, the rounds it entered (the store's indexed
  query by intent, newest first, with what became of each) and why it is where it is: its stored
  reason (parked, failed), or the round that settled it, or, for an open intent, what the last
  round it entered decided. For a settled intent, `settledIn` (the round), `filled` (its flows in
  the winning solution, whole tokens and USD at the clearing prices) and `saving` (its batch's
  stored savings). `fills` are the settlement's fills (`BatchSettled` ids, amounts from the settle
  calldata) for this intent when a chain was given, else empty.

Unknown ids are a `NotFound` (404) naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auction.rounds import RoundRecord, RoundStore
from intents.lifecycle import IntentStore, StoredIntent
from keel.errors import KeelError, NotFoundError
from keel.units import USD_PRICE_SCALE

ROUNDS_SHOWN = 50  # an intent's rounds, newest first


def round_rows(rounds: RoundStore, limit: int = 50) -> list[dict[str, Any]]:
    return [_round_row(r) for r in rounds.list(limit=limit)]


def _round_row(r: RoundRecord) -> dict[str, Any]:
    s = r.settlement
    return {"round": r.id, "block": r.block, "status": str(r.status), "intents": len(r.intents),
            "candidates": len(r.candidates), "winner": r.winner, "txHash": r.tx_hash,
            "gasUsed": s.gas_used if s else None, "savedUsd": s.saved_usd if s else None,
            "startedAt": r.started_at, "note": r.note}


def round_view(rounds: RoundStore, round_id: int) -> dict[str, Any]:
    try:
        record = rounds.get(round_id)
    except NotFoundError:
        raise NotFoundError(f"round: no round {round_id}", "round") from None
    has_route = record.settlement is not None and bool(record.settlement.hops)
    return {**record.public(), "routePicture": f"/rounds/{round_id}/route.png" if has_route else None}


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
    entered = rounds.rounds_of(stored.id, limit=ROUNDS_SHOWN)
    history = [{"round": r.id, "status": str(r.status), "txHash": r.tx_hash,
                "settledIt": _settled_it(stored, r)} for r in entered]
    settling = next((r for r in entered if _settled_it(stored, r)), None)
    return {**_intent_row(stored), "why": why(stored, entered), "roundsEntered": history, "fills": list(fills),
            **settled_figures(stored.id, settling)}


def _settled_it(stored: StoredIntent, r: RoundRecord) -> bool:
    return stored.status == "settled" and bool(r.tx_hash) and r.tx_hash == stored.tx_hash


def settled_figures(intent_id: str, settling: RoundRecord | None) -> dict[str, Any]:
    """What the round that settled `intent_id` recorded of it: the round, its flows in whole tokens
    and USD at the clearing prices, and its batch's savings (None where nothing was recorded)."""
    s = settling.settlement if settling else None
    if settling is None or s is None:
        return {"settledIn": settling.id if settling else None, "filled": [], "saving": None}
    prices = {p.token.lower(): p for p in s.prices}
    flows = next((f for i, f in s.fills.items() if i.lower() == intent_id.lower()), {})
    filled = []
    for token, amount in flows.items():
        p = prices.get(token.lower())
        filled.append({"token": token, "symbol": p.symbol if p else token,
                       "amount": amount / 10**p.decimals if p else float(amount),
                       "usd": amount * p.price / USD_PRICE_SCALE if p else None})
    saving = {"batchCostUsd": s.batch_cost_usd, "aloneCostUsd": s.alone_cost_usd, "savedUsd": s.saved_usd,
              "batchIntents": len(s.fills), "aloneUnsettled": len(s.alone_unsettled), "note": s.savings_note,
              "settledAloneToo": intent_id.lower() not in {i.lower() for i in s.alone_unsettled}}
    return {"settledIn": settling.id, "filled": filled, "saving": saving, "gasUsed": s.gas_used,
            "clearingPrices": [{"symbol": p.symbol, "usdPerToken": p.usd_per_token} for p in s.prices
                               if p.token.lower() in {t.lower() for t in flows}]}


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
