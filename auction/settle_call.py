"""From (Auction, Solution) to the exact `settle()` calldata.

The encoding is `contracts.settlement`'s (tokens ascending, one price per token, each
intent token's index in that order, flows as int256 in intent token order). Both the
auctioneer (to simulate and to tell the winner what to send) and the solver node (to
check that what it is asked to send is what it proposed) build calldata here, so the two
can compare bytes. An oracle-guarded intent's execution carries its signed
`maxOracleDeviationBps` (flag bit 3), so the contract re-hashes the guarded type and checks
every clearing price against its feeds.
"""

from __future__ import annotations

from dataclasses import replace

from contracts.settlement import Batch, make_batch
from keel.errors import KeelError
from solver.domain import Auction, Solution
from solver.errors import SolverError


def batch_for(auction: Auction, solution: Solution) -> Batch:
    """settle()'s arguments for `solution`; SolverError if it names an unknown intent or lacks a price."""
    rows = []
    guards = []
    for i, execution in enumerate(solution.executions):
        try:
            bi = auction.intent(execution.intent_id)
        except KeyError:
            raise SolverError(f"executions[{i}].intentId: {execution.intent_id} is not in auction {auction.id}",
                              f"executions[{i}].intentId") from None
        rows.append((bi.intent.as_tuple(), int(bi.signed.scheme), bi.signed.signature, execution.flows))
        guards.append(bi.intent.max_oracle_deviation_bps)
    try:
        batch = make_batch(solution.prices, rows, solution.interactions, sinks=solution.sinks)
    except KeelError as exc:
        raise SolverError(f"prices: {exc}", "prices") from None
    executions = tuple(replace(e, max_oracle_deviation_bps=g) for e, g in zip(batch.executions, guards, strict=True))
    return replace(batch, executions=executions)


def calldata(auction: Auction, solution: Solution) -> bytes:
    """settle()'s calldata; SolverError for a solution the ABI cannot hold (a price past uint256, a flow past int256)."""
    from eth_abi.exceptions import EncodingError

    try:
        return batch_for(auction, solution).calldata()
    except EncodingError as exc:
        raise SolverError(f"solution: not ABI-encodable: {exc}", "solution") from None
