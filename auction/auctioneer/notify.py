"""Notify: tell every node its verdict and why (`POST /notify`), best effort, in parallel.

The body is `auction.wire.NotifyModel`: the `Verdict`, the `DropReason` (null for the
winner), the sentence, and the transaction hash when one was sent. A node that is gone
cannot be told; the round is recorded regardless.
"""

from __future__ import annotations

import asyncio

from auction import wire
from auction.auctioneer.stages import Outcome
from auction.auctioneer.submit import post_json
from auction.auth import Signer

NOTIFY_TIMEOUT_S = 2.0


def notice(auction_id: int, outcome: Outcome) -> wire.NotifyModel:
    """What one node is told about its answer to auction `auction_id`."""
    return wire.NotifyModel(auctionId=auction_id, verdict=outcome.verdict,
                            dropReason=outcome.drop.reason if outcome.drop else None,
                            reason=outcome.reason[:wire.REASON_MAX], txHash=outcome.tx_hash)


async def notify_all(auction_id: int, outcomes: list[Outcome], signer: Signer | None = None) -> None:
    async def one(outcome: Outcome) -> None:
        try:
            await post_json(outcome.endpoint.url + "/notify", wire.dump(notice(auction_id, outcome)), NOTIFY_TIMEOUT_S,
                            signer)
        except Exception:  # a node that is gone cannot be told; the round is recorded regardless
            return

    await asyncio.gather(*(one(o) for o in outcomes))
