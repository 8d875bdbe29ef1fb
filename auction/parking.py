"""Which unsettled intents are stuck: they failed a round for a reason that cannot change by itself.

An intent whose owner holds none of its tokens at the auction's block can never be traded
until the owner acts; re-auctioning it every round only spends every solver's time. A round
that leaves such an intent unsettled parks it, with the reason (`IntentStore.park`), once it
has entered `PARK_AFTER` auctions (`StoredIntent.rounds`). It resumes by itself: every round
reads what parked owners hold, and an intent whose owner holds one of its tokens again goes
back to `open` (`may_resume`); the owner may also cancel it. Reasons that can change by
themselves (no solver found a route, an oracle was stale, a price moved) never park. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from solver.domain import Auction, BatchIntent

PARK_AFTER = 3  # rounds
STUCK = "InsufficientBalance"


def stuck_reason(auction: Auction, bi: BatchIntent) -> str | None:
    """Why `bi` cannot settle until its owner acts, or None when it may settle in a later round."""
    owner = bi.intent.owner
    held = auction.balances.get(owner, {})
    if all(held.get(t, 0) == 0 for t in bi.intent.tokens):
        symbols = ", ".join(auction.tokens[t].symbol if t in auction.tokens else t for t in bi.intent.tokens)
        return f"{STUCK}: {owner} holds none of {symbols} at block {auction.block}"
    return None


def may_resume(reason: str | None, tokens: tuple[str, ...], held: Mapping[str, int]) -> bool:
    """Whether a parked intent (parked for `reason`) may go back to open: it was parked because
    its owner held none of its `tokens`, and `held` (the owner's balances now) has one."""
    return (reason or "").startswith(STUCK) and any(held.get(t, 0) > 0 for t in tokens)
