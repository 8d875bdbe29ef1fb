"""The auctioneer: rounds of snapshot → collect → verify → simulate → rank → settle → notify → record.

One module per job: `stages` (a solution's life as types), `collect` (HTTP fan-out to the
nodes), `arbitrate` (pure: verify, score, rank), `submit` (simulate, settle, receipts),
`notify` (verdicts back to the nodes), `limits` (block gas, per-transaction gas and size),
`split` (a round's intents into batches that fit a transaction and a block), `round`
(orchestration and crash recovery).
"""

from auction.auctioneer.round import Auctioneer, BatchResult, RoundResult, candidate_row, recover

__all__ = ["Auctioneer", "BatchResult", "RoundResult", "candidate_row", "recover"]
