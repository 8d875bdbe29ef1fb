"""Round: one auction from open intents to settled ones, and the recovery of a crashed round.

    recover → snapshot → open_round → collect → verify → simulate → rank → settle → record → notify

Durability: the round and its intents are recorded before any solver is asked, and a sent
transaction's hash before its receipt is awaited; `recover` reconciles a round a crash left
`running` with the chain (nonces spent ⇒ settled, others reopen), so no intent is lost or
settled twice. Intents become `settled` with the winner's transaction, or go back to `open`.

The stages are the sibling modules' (`collect`, `arbitrate`, `submit`, `notify`); this one
only orders them and writes down what they decided. A chain that stops answering mid-round
is a `ChainError`; nothing a solver sends can stop a round.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auction import snapshot
from auction.auctioneer import arbitrate, submit
from auction.auctioneer.collect import collect
from auction.auctioneer.notify import notify_all
from auction.auctioneer.stages import Outcome, Ranked, Refused, Settled
from auction.auth import Signer
from auction.endpoint import Endpoint
from auction.metrics import observe_round
from auction.parking import PARK_AFTER, stuck_reason
from auction.rounds import EMPTY, RUNNING, SETTLED, UNSETTLED, CandidateRow, RoundStatus, RoundStore
from auction.settled import record as record_settlement
from intents.errors import TransitionError
from intents.lifecycle import IN_AUCTION, IntentStore
from keel import metrics
from keel.errors import ChainError, KeelError
from solver.domain import Auction

if TYPE_CHECKING:
    from web3 import Web3

STRATEGY_NAME_MAX = 40


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    status: RoundStatus
    winner: str | None  # the winning node's URL
    tx_hash: str | None
    candidates: tuple[Outcome, ...]  # ranked first (in rank order), then the refused
    intents: tuple[str, ...]
    left_out: dict[str, str]  # intent id -> why the snapshot left it out


def candidate_row(outcome: Outcome) -> CandidateRow:
    """An outcome as the rounds database stores it."""
    s = outcome.solution
    strategy = str(s.stats.get("strategy", ""))[:STRATEGY_NAME_MAX] or None if s else None
    return CandidateRow(
        solver_url=outcome.endpoint.url, solver=s.solver if s else outcome.endpoint.address, strategy=strategy,
        claimed=s.score_e18 if s else None, score=outcome.score, gas=outcome.gas, verdict=outcome.verdict,
        drop_reason=outcome.drop.reason if outcome.drop else None, reason=outcome.reason, rank=outcome.rank,
        latency_ms=outcome.latency_ms, tx_hash=outcome.tx_hash)


@dataclass
class Auctioneer:
    """Runs rounds against one chain, one orderbook store, one rounds store and the registered solvers."""

    w3: Web3
    view: snapshot.WorldView
    intents: IntentStore
    rounds: RoundStore
    endpoints: Callable[[], list[Endpoint]]  # re-read each round so registrations take effect
    deadline_s: float = 5.0
    receipt_timeout_s: float = 60.0
    signer: Signer = dataclasses.field(default_factory=Signer.random)  # signs every request to a node

    async def run_round(self) -> RoundResult | None:
        """One round; None when there was nothing to auction.

        A chain that stops answering mid-round is a `ChainError` (a long-running auctioneer
        logs it and carries on); intents the round had taken stay `in_auction` until the
        next round's `recover` settles or reopens them from what the chain says.
        """
        started = time.perf_counter()
        try:
            result = await self._run_round()
            observe_round(result, time.perf_counter() - started)
            return result
        except KeelError:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise ChainError(f"the chain stopped answering mid-round ({type(exc).__name__}); "
                                 "the next round recovers this one") from exc
            raise

    async def _run_round(self) -> RoundResult | None:
        recover(self.w3, self.view.settlement, self.intents, self.rounds)
        now = int(time.time())
        self.intents.expire(now)
        open_now = [(s.id, s.signed) for s in self.intents.open_intents(now)]
        if not open_now:
            return None
        auction, left_out = snapshot.take(self.w3, self.view, open_now, 0, 0)
        ids = [bi.id for bi in auction.intents]
        if not ids:
            return None
        round_id = self.rounds.open_round(auction.block, ids)
        self.intents.mark_in_auction(ids)
        auction = dataclasses.replace(auction, id=round_id, deadline_ms=int((time.time() + self.deadline_s) * 1000))
        outcomes = await self.compete(auction)
        self.rounds.record_candidates(round_id, [candidate_row(o) for o in outcomes])
        winner = next((o for o in outcomes if isinstance(o, Settled)), None)
        if winner is None and any(isinstance(o, Refused) and o.pending for o in outcomes):
            # a transaction may still mine: leave the round running; `recover` settles it from the chain
            await notify_all(round_id, outcomes, self.signer)
            return RoundResult(round_id, RUNNING, None, None, tuple(outcomes), tuple(ids), left_out)
        if winner is not None:  # prices, route, gas used, savings: kept for the explorer and `keel intent show`
            await record_settlement(self.rounds, auction, winner)  # before any intent reads as settled
        self._update_intents(auction, winner)
        status = SETTLED if winner else (EMPTY if not any(o.solution for o in outcomes) else UNSETTLED)
        url, tx_hash = (winner.endpoint.url, winner.tx_hash) if winner else (None, None)
        self.rounds.close_round(round_id, status, url, tx_hash)
        await notify_all(round_id, outcomes, self.signer)
        return RoundResult(round_id, status, url, tx_hash, tuple(outcomes), tuple(ids), left_out)

    async def compete(self, auction: Auction) -> list[Outcome]:
        """Every registered node's answer to `auction`, taken to its end: settled, lost or refused."""
        answers = await collect(auction, list(self.endpoints()), signer=self.signer)
        verified, refused = arbitrate.verify_all(auction, answers, self.view.relayer)
        ranked, not_simulated = arbitrate.rank_all(submit.simulate_all(self.w3, auction, verified))

        def on_sent(r: Ranked, tx_hash: str) -> None:
            self.rounds.note_submission(auction.id, r.simulated.verified.proposed.asked.endpoint.url, tx_hash)

        started = time.perf_counter()
        settled = await submit.settle_best(self.w3, auction, ranked, self.receipt_timeout_s, on_sent, self.signer)
        if ranked:
            metrics.SETTLE_SECONDS.observe(time.perf_counter() - started)
        return [*settled, *not_simulated, *refused]

    def _update_intents(self, auction: Auction, winner: Settled | None) -> None:
        """Settled with the winner's transaction; otherwise back to open, or parked once stuck for
        `PARK_AFTER` rounds (`auction.parking`)."""
        settled = set(winner.stage.simulated.verified.proposed.solution.intent_ids) if winner else set()
        for bi in auction.intents:
            if winner is not None and bi.id in settled:
                self.intents.mark_settled(bi.id, winner.tx_hash)
                continue
            stuck = stuck_reason(auction, bi)
            rounds = self.intents.get(bi.id).rounds  # auctions it has entered, this one included
            if stuck and rounds >= PARK_AFTER:
                self.intents.park([bi.id], f"{stuck} (failed {rounds} rounds)")
            else:
                self.intents.reopen([bi.id])


def _is_connection_error(exc: BaseException) -> bool:
    import requests
    from web3.exceptions import Web3Exception

    return isinstance(exc, requests.exceptions.RequestException | Web3Exception | ConnectionError | TimeoutError)


def recover(w3: Web3, settlement: str, intents: IntentStore, rounds: RoundStore) -> list[int]:
    """Close rounds a crash left `running`: intents whose nonce the chain spent are settled, others reopen."""
    from contracts.settlement import Settlement

    running = rounds.running()
    if not running:
        return []
    recovered = []
    chain = Settlement(w3, settlement)
    for record in running:
        settled_any = False
        for intent_id in record.intents:
            stored = intents.get(intent_id)
            if stored.status != IN_AUCTION:
                continue
            try:
                if chain.is_nonce_spent(stored.owner, stored.nonce):
                    intents.mark_settled(intent_id, record.tx_hash or "unknown")
                    settled_any = True
                else:
                    intents.reopen([intent_id])
            except TransitionError:
                continue
        rounds.close_round(record.id, SETTLED if settled_any else UNSETTLED, note="recovered after a crash")
        recovered.append(record.id)
    return recovered
