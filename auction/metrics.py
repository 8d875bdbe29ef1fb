"""What a finished round adds to the auctioneer's metrics (`keel.metrics`): one call per round.

`observe_round(result, seconds)`: the round's status and duration, each candidate's verdict
(with its drop reason) and answer time, and the gas the settlement transaction used. Reads
only the `RoundResult` the round already produced: nothing is recomputed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from keel import metrics

if TYPE_CHECKING:
    from auction.auctioneer.round import RoundResult


def observe_round(result: RoundResult | None, seconds: float) -> None:
    """Count one round (None: nothing to auction, not counted) and its candidates."""
    if result is None:
        return
    metrics.ROUNDS.labels(str(result.status)).inc()
    metrics.ROUND_SECONDS.observe(seconds)
    for outcome in result.candidates:
        drop = outcome.drop
        metrics.SOLUTIONS.labels(str(outcome.verdict), str(drop.reason) if drop else "").inc()
        metrics.SOLVE_SECONDS.observe(outcome.latency_ms / 1000)
        gas_used = getattr(outcome, "gas_used", None)  # only a Settled outcome has mined
        if gas_used is not None:
            metrics.SETTLEMENT_GAS.observe(gas_used)
