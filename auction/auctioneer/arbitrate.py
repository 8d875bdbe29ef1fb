"""Arbitrate: verify, score and rank the answers. Pure — no I/O, no clock, no chain.

- `verify(auction, proposed, relayer)`: `Verified` with the auctioneer's own score, or
  `Refused` with the first broken rule of `auction.verify` (an exception the rules did not
  foresee is `unverifiable`, never a crash).
- `accept_simulation(auction, verified, calldata, simulation)`: given what eth_estimateGas
  said of that calldata (`submit` encodes it and asks the chain), `Simulated` with the score
  recomputed at the simulated gas, or `Refused` (the revert, a dead RPC, or gas eating the
  whole score).
- `fits(simulated, limits, block_gas_left)`: the simulated solution, or `Refused` as
  `does_not_fit` when its calldata passes the transaction size limit, or the gas limit it
  would be sent with passes the per-transaction cap or what is left of the round's block.
- `rank(simulated)`: best score first, ties to less gas, then to the node's URL (so a
  round is deterministic); ranks start at 1.
- `lose(ranked, winner_score)`: every ranked solution that did not settle once one did.
- `verify_all`, `rank_all`: the same over a round's answers, split into what goes on and
  what is `Refused`, order kept.

Scores are USD × 1e18 (`solver.scoring.score`); the solver's own claim is checked by
`auction.verify` but never used to rank.
"""

from __future__ import annotations

from collections.abc import Iterable

from auction import verify as rules
from auction.auctioneer.limits import ENVELOPE_BYTES, Limits, gas_limit
from auction.auctioneer.stages import (
    Lost,
    Proposed,
    Ranked,
    Refused,
    Simulated,
    Simulation,
    Verified,
)
from auction.verdicts import Drop, DropReason
from solver.domain import Auction
from solver.scoring import score


def verify(auction: Auction, proposed: Proposed, relayer: str | None) -> Verified | Refused:
    """The auction's rules on one proposed solution, from the account its node registered."""
    try:
        recomputed = rules.check(auction, proposed.solution, proposed.asked.endpoint.address, relayer)
    except rules.Rejected as exc:
        return Refused(proposed, exc.drop)
    except (KeyError, ValueError, ZeroDivisionError) as exc:  # a shape the rules did not foresee
        return Refused(proposed, Drop.of(DropReason.UNVERIFIABLE, error=f"{type(exc).__name__}: {exc}"))
    return Verified(proposed, recomputed)


def accept_simulation(auction: Auction, verified: Verified, data: bytes, sim: Simulation) -> Simulated | Refused:
    """The verified solution at the gas its simulation used, or why the simulation refused it."""
    if sim.gas is None:
        reason = DropReason.SIMULATION_REVERTS if sim.reverted else DropReason.SIMULATION_FAILED
        return Refused(verified, Drop.of(reason, error=sim.error or "no reason"))
    value = score(auction, verified.proposed.solution, sim.gas)
    if value <= 0:
        simulated = Simulated(verified, data, sim.gas, value)
        return Refused(simulated, Drop.of(DropReason.GAS_EATS_SCORE, score=value))
    return Simulated(verified, data, sim.gas, value)


def fits(simulated: Simulated, limits: Limits, block_gas_left: int) -> Simulated | Refused:
    """`simulated` if one transaction can carry it in what is left of the round's block."""
    size = len(simulated.calldata) + ENVELOPE_BYTES
    if size > limits.max_tx_bytes:
        what = f"{size:,} bytes of transaction, the limit is {limits.max_tx_bytes:,}"
        return Refused(simulated, Drop.of(DropReason.DOES_NOT_FIT, what=what))
    sent = gas_limit(simulated.gas)
    room = min(limits.tx_gas, block_gas_left)
    if sent > room:
        what = (f"sent with {sent:,} gas ({simulated.gas:,} simulated), "
                f"{'a transaction may have' if room == limits.tx_gas else 'the block has'} {room:,} left")
        return Refused(simulated, Drop.of(DropReason.DOES_NOT_FIT, what=what))
    return simulated


def rank(simulated: Iterable[Simulated]) -> list[Ranked]:
    """Best first: score descending, ties to less gas, then to the node's URL."""
    order = sorted(simulated, key=lambda s: (-s.score, s.gas, s.verified.proposed.asked.endpoint.url))
    return [Ranked(s, i + 1) for i, s in enumerate(order)]


def lose(ranked: Ranked, winner_score: int) -> Lost:
    return Lost(ranked, winner_score)


def verify_all(auction: Auction, answers: Iterable[Proposed | Refused],
               relayer: str | None) -> tuple[list[Verified], list[Refused]]:
    """Collect's answers split into those that keep every rule and those refused (in order)."""
    verified: list[Verified] = []
    refused: list[Refused] = []
    for answer in answers:
        checked = verify(auction, answer, relayer) if isinstance(answer, Proposed) else answer
        if isinstance(checked, Verified):
            verified.append(checked)
        else:
            refused.append(checked)
    return verified, refused


def rank_all(results: Iterable[Simulated | Refused]) -> tuple[list[Ranked], list[Refused]]:
    """Simulation results split into the ranked (best first) and those refused (in order)."""
    results = list(results)
    return rank(r for r in results if isinstance(r, Simulated)), [r for r in results if isinstance(r, Refused)]
