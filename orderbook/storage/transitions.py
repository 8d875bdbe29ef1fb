"""The named moves of an intent's lifecycle, shared by both stores.

Each backend supplies one `_transition` (check every id may move, then move all of them in
one transaction, or none); the names here say which move each caller makes.
"""

from __future__ import annotations

import builtins

from intents.lifecycle import CANCELLED, FAILED, IN_AUCTION, OPEN, PARKED, SETTLED, IntentStatus


class Transitions:
    def _transition(self, ids: builtins.list[str], to: IntentStatus, tx_hash: str | None = None,
                    reason: str | None = None, rounds: int = 0) -> builtins.list[str]:
        raise NotImplementedError

    def mark_in_auction(self, ids: builtins.list[str]) -> builtins.list[str]:
        """All of `ids` from open to in_auction, or none (TransitionError); returns them."""
        return self._transition(ids, IN_AUCTION, rounds=1)

    def reopen(self, ids: builtins.list[str]) -> None:
        """Back to `open`: after an auction that did not settle them, or out of `parked`."""
        self._transition(ids, OPEN)

    def park(self, ids: builtins.list[str], reason: str) -> None:
        """Kept but not auctioned, with the reason shown (e.g. the owner lacks the balance)."""
        self._transition(ids, PARKED, reason=reason)

    def mark_settled(self, intent_id: str, tx_hash: str) -> None:
        self._transition([intent_id], SETTLED, tx_hash=tx_hash)

    def mark_failed(self, intent_id: str, reason: str) -> None:
        self._transition([intent_id], FAILED, reason=reason)

    def cancel(self, intent_id: str) -> None:
        self._transition([intent_id], CANCELLED, reason="cancelled by owner")
