"""From (Auction, Solution) to the exact `settle()` calldata, and its simulation by eth_call.

The encoding is `contracts.settlement`'s (tokens ascending, one price per token, each
intent token's index in that order, flows as int256 in intent token order). Both the
auctioneer (to simulate and to tell the winner what to send) and the solver node (to
check that what it is asked to send is what it proposed) build calldata here, so the two
can compare bytes.

`simulate` runs `eth_estimateGas` from the solver at the auction's block: one call that
either returns the gas the batch needs or the revert data, decoded by `contracts.revert`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.revert import decode
from contracts.settlement import Batch, make_batch
from keel.errors import KeelError
from solver.domain import Auction, Solution
from solver.errors import SolverError


def batch_for(auction: Auction, solution: Solution) -> Batch:
    """settle()'s arguments for `solution`; SolverError if it names an unknown intent or lacks a price."""
    rows = []
    for i, execution in enumerate(solution.executions):
        try:
            bi = auction.intent(execution.intent_id)
        except KeyError:
            raise SolverError(f"executions[{i}].intentId: {execution.intent_id} is not in auction {auction.id}",
                              f"executions[{i}].intentId") from None
        rows.append((bi.intent.as_tuple(), int(bi.signed.scheme), bi.signed.signature, execution.flows))
    try:
        return make_batch(solution.prices, rows, solution.interactions)
    except KeelError as exc:
        raise SolverError(f"prices: {exc}", "prices") from None


def calldata(auction: Auction, solution: Solution) -> bytes:
    return batch_for(auction, solution).calldata()


@dataclass(frozen=True)
class Simulation:
    """What eth_estimateGas said: `gas` when the batch would settle, else the decoded `reason`."""

    gas: int | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.gas is not None


def simulate(w3: Any, settlement: str, data: bytes, solver: str, block: int | str) -> Simulation:
    """Estimate `settle()` from `solver` on the state after `block`; never raises for a revert."""
    tag = hex(block) if isinstance(block, int) else block
    tx = {"from": solver, "to": settlement, "data": "0x" + data.hex()}
    try:
        answer = w3.provider.make_request("eth_estimateGas", [tx, tag])
    except Exception as exc:  # a dead RPC mid-round: this candidate cannot be simulated
        return Simulation(None, f"simulation failed: {type(exc).__name__}: {exc}")
    if "error" in answer:
        err = answer["error"]
        data_hex = err.get("data")
        if isinstance(data_hex, dict):  # some nodes nest it
            data_hex = data_hex.get("data")
        if isinstance(data_hex, str):
            return Simulation(None, f"reverts: {decode(data_hex)}")
        return Simulation(None, f"reverts: {err.get('message', 'no reason')}")
    return Simulation(int(str(answer["result"]), 16))
