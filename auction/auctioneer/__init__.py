"""The auctioneer: rounds of snapshot → collect → verify → simulate → rank → settle → notify → record.

One module per job: `stages` (a solution's life as types), `collect` (HTTP fan-out to the
nodes), `arbitrate` (pure: verify, score, rank), `submit` (simulate, settle, receipts),
`notify` (verdicts back to the nodes), `round` (orchestration and crash recovery).
"""

from auction.auctioneer.round import Auctioneer, RoundResult, candidate_row, recover

__all__ = ["Auctioneer", "RoundResult", "candidate_row", "recover"]
