"""Round: open intents to settled ones, in as many transactions as one block holds, and the
recovery of a crashed round.

    recover → snapshot → limits → plan (split) → per batch:
        [snapshot] → open_round → collect → verify → simulate → fits → rank → settle → record → notify

A round reads the chain's limits (`limits`: block gas limit, per-transaction gas cap and size)
and splits its intents into batches that each fit one transaction (`split.plan`); each batch is
an auction of its own (its own id and rounds-store record) run in turn, each after the one
before has settled, on a snapshot taken then (the first uses the round's): every batch is
solved on the pools and balances it will execute against. Batches stop once the round's
transactions reserve a block's gas (what the planned batches leave, having used less than
predicted, is planned again for those waiting); intents that found no room wait for the next round,
recorded (a rounds-store record with no candidates, noted `split.DID_NOT_FIT`) so `keel
auction show` and `keel intent show` say why. A round that fits one transaction is exactly
one batch, as before.

Durability: the round and its intents are recorded before any solver is asked, and a sent
transaction's hash before its receipt is awaited; `recover` reconciles a round a crash left
`running` with the chain (nonces spent ⇒ settled, others reopen), so no intent is lost or
settled twice. Intents become `settled` with the winner's transaction, or go back to `open`.
An open intent the snapshot leaves out (no reference price, a revoked allowance) keeps the
reason in the orderbook (`note_waiting`); a parked one whose owner holds one of its tokens again
is reopened at the start of a round.

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
from auction.auctioneer import arbitrate, split, submit
from auction.auctioneer import limits as chain_limits
from auction.auctioneer.collect import collect
from auction.auctioneer.limits import gas_limit
from auction.auctioneer.notify import notify_all
from auction.auctioneer.stages import Outcome, Ranked, Refused, Settled, Simulated
from auction.auth import Signer
from auction.endpoint import Endpoint
from auction.metrics import observe_round
from auction.parking import PARK_AFTER, STUCK, may_resume, stuck_reason
from auction.rounds import EMPTY, RUNNING, SETTLED, UNSETTLED, CandidateRow, RoundStatus, RoundStore
from auction.settled import record as record_settlement
from intents.errors import TransitionError
from intents.lifecycle import IN_AUCTION, PARKED, IntentStore
from keel import metrics
from keel.errors import ChainError, KeelError
from solver.domain import Auction

if TYPE_CHECKING:
    from web3 import Web3

STRATEGY_NAME_MAX = 40


@dataclass(frozen=True)
class BatchResult:
    """One auction of a round: one rounds-store record, at most one settlement transaction."""

    round_id: int
    status: RoundStatus
    winner: str | None  # the winning node's URL
    tx_hash: str | None
    candidates: tuple[Outcome, ...]  # ranked first (in rank order), then the refused
    intents: tuple[str, ...]
    block: int = 0  # the snapshot's
    gas_used: int | None = None  # the settlement's receipt


@dataclass(frozen=True)
class RoundResult:
    """A round: its batches in the order they ran, and the intents it did not send."""

    batches: tuple[BatchResult, ...]
    left_out: dict[str, str]  # intent id -> why the snapshot left it out
    deferred: dict[str, str] = dataclasses.field(default_factory=dict)  # intent id -> why it waits (no room)
    deferred_round: int | None = None  # the rounds-store record that notes them

    @property
    def round_id(self) -> int:
        return self.batches[0].round_id

    @property
    def status(self) -> RoundStatus:
        statuses = [b.status for b in self.batches]
        for status in (RUNNING, SETTLED, UNSETTLED):
            if status in statuses:
                return status
        return statuses[0]

    @property
    def settled(self) -> tuple[BatchResult, ...]:
        return tuple(b for b in self.batches if b.status == SETTLED)

    @property
    def winner(self) -> str | None:
        return self.settled[0].winner if self.settled else None

    @property
    def tx_hash(self) -> str | None:
        return self.settled[0].tx_hash if self.settled else None

    @property
    def tx_hashes(self) -> tuple[str, ...]:
        return tuple(b.tx_hash for b in self.settled if b.tx_hash)

    @property
    def candidates(self) -> tuple[Outcome, ...]:
        return tuple(c for b in self.batches for c in b.candidates)

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(i for b in self.batches for i in b.intents)


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
    max_tx_bytes: int = chain_limits.DEFAULT_MAX_TX_BYTES  # a node's transaction size limit
    max_tx_gas: int = chain_limits.DEFAULT_MAX_TX_GAS  # gas one transaction may use (EIP-7825)

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
        self._resume_parked()
        open_now = [(s.id, s.signed) for s in self.intents.open_intents(now)]
        if not open_now:
            return None
        auction, left_out = snapshot.take(self.w3, self.view, open_now, 0, 0)
        self.intents.note_waiting(left_out)  # `keel intent show` says why an open intent was not auctioned
        if not auction.intents:
            return None
        limits = chain_limits.read(self.w3, self.max_tx_bytes, self.max_tx_gas)
        batches: list[BatchResult] = []
        deferred: dict[str, str] = {}
        block_left, base = limits.block_gas, auction
        plan = split.plan(base, limits)
        while plan.batches:
            deferred.update(plan.deferred)
            block_left, stopped = await self._run_plan(base, plan, limits, block_left, left_out, batches, deferred)
            waiting = tuple(i for i, why in deferred.items() if why == split.DID_NOT_FIT)
            if stopped or not waiting or block_left <= 0:
                break
            # the batches reserved less of the block than planned: offer what is left to those waiting
            fresh = self._fresh(auction, waiting, left_out)
            if fresh is None:
                break
            for i in waiting:
                deferred.pop(i)
            base, plan = fresh, split.plan(fresh, dataclasses.replace(limits, block_gas=block_left))
        deferred.update(plan.deferred)
        noted = self._note_deferred(auction.block, deferred, limits, batches) if deferred else None
        if not batches:
            if noted is None:
                return None
            batches.append(BatchResult(noted, UNSETTLED, None, None, (), (), auction.block))
        return RoundResult(tuple(batches), left_out, deferred, noted)

    async def _run_plan(self, base: Auction, plan: split.Plan, limits: chain_limits.Limits, block_left: int,
                        left_out: dict[str, str], batches: list[BatchResult],
                        deferred: dict[str, str]) -> tuple[int, bool]:
        """Run `plan`'s batches in turn (the first on `base`, the others on fresh snapshots),
        appending to `batches` and `deferred`; (block gas left, whether the round must stop)."""
        for k, ids in enumerate(plan.batches):
            if gas_limit(plan.predicted[k].gas) > block_left:  # the block filled faster than planned
                deferred.update({i: split.DID_NOT_FIT for b in plan.batches[k:] for i in b})
                return block_left, False
            batch = _restrict(base, ids) if k == 0 else self._fresh(base, ids, left_out)
            if batch is None:
                continue
            result = await self._run_batch(batch, limits, block_left)
            batches.append(result)
            if result.status == RUNNING:  # a transaction may still mine: later batches wait for `recover`
                why = f"waits: batch {result.round_id}'s transaction has no receipt yet; next round"
                deferred.update({i: why for b in plan.batches[k + 1:] for i in b})
                return block_left, True
            if result.gas_used is not None:
                block_left -= gas_limit(result.gas_used)
        return block_left, False

    def _fresh(self, auction: Auction, ids: tuple[str, ...], left_out: dict[str, str]) -> Auction | None:
        """The batch's intents on a snapshot of the chain as the round's earlier batches left it."""
        signed = [(i, auction.intent(i).signed) for i in ids]
        fresh, out = snapshot.take(self.w3, self.view, signed, 0, 0)
        left_out.update(out)
        self.intents.note_waiting(out)
        return fresh if fresh.intents else None

    def _resume_parked(self) -> None:
        """Parked intents whose owner holds one of their tokens again go back to open (`auction.parking`)."""
        stuck = [p for p in self.intents.list(status=PARKED.value, limit=1000) if (p.reason or "").startswith(STUCK)]
        if not stuck:
            return
        held = snapshot.read_holdings(self.w3, [p.signed for p in stuck], int(self.w3.eth.block_number))
        for p in stuck:
            if may_resume(p.reason, p.signed.intent.tokens, held.get(p.signed.intent.owner, {})):
                try:
                    self.intents.reopen([p.id])
                except TransitionError:  # cancelled or expired meanwhile: nothing to resume
                    continue

    def _note_deferred(self, block: int, deferred: dict[str, str], limits: chain_limits.Limits,
                       batches: list[BatchResult]) -> int:
        """A record of the intents that waited, so the stores say why; they stay open."""
        round_id = self.rounds.open_round(block, sorted(deferred))
        used = sum(b.gas_used or 0 for b in batches)
        reasons = sorted(set(deferred.values()))
        note = (f"{'; '.join(reasons)}: {len(deferred)} intent(s) wait; this round's {len(batches)} batch(es) used "
                f"{used:,} gas of the block's {limits.block_gas:,} (each transaction ≤ {limits.tx_gas:,} gas, "
                f"≤ {limits.max_tx_bytes:,} bytes)")
        self.rounds.close_round(round_id, UNSETTLED, note=note)
        return round_id

    async def _run_batch(self, auction: Auction, limits: chain_limits.Limits, block_left: int) -> BatchResult:
        """One batch: its own auction and rounds-store record, at most one settlement transaction."""
        ids = [bi.id for bi in auction.intents]
        round_id = self.rounds.open_round(auction.block, ids)
        self.intents.mark_in_auction(ids)
        auction = dataclasses.replace(auction, id=round_id, deadline_ms=int((time.time() + self.deadline_s) * 1000))
        outcomes = await self.compete(auction, limits, block_left)
        self.rounds.record_candidates(round_id, [candidate_row(o) for o in outcomes])
        winner = next((o for o in outcomes if isinstance(o, Settled)), None)
        if winner is None and any(isinstance(o, Refused) and o.pending for o in outcomes):
            # a transaction may still mine: leave the round running; `recover` settles it from the chain
            await notify_all(round_id, outcomes, self.signer)
            return BatchResult(round_id, RUNNING, None, None, tuple(outcomes), tuple(ids), auction.block)
        if winner is not None:  # prices, route, gas used, savings: kept for the explorer and `keel intent show`
            await record_settlement(self.rounds, auction, winner,  # before any intent reads as settled
                                    [o.solution for o in outcomes if o.score is not None])  # simulated only
        self._update_intents(auction, winner)
        status = SETTLED if winner else (EMPTY if not any(o.solution for o in outcomes) else UNSETTLED)
        url, tx_hash = (winner.endpoint.url, winner.tx_hash) if winner else (None, None)
        self.rounds.close_round(round_id, status, url, tx_hash)
        await notify_all(round_id, outcomes, self.signer)
        return BatchResult(round_id, status, url, tx_hash, tuple(outcomes), tuple(ids), auction.block,
                           winner.gas_used if winner else None)

    async def compete(self, auction: Auction, limits: chain_limits.Limits | None = None,
                      block_left: int | None = None) -> list[Outcome]:
        """Every registered node's answer to `auction`, taken to its end: settled, lost or refused.
        With `limits`, a solution no transaction could carry in `block_left` gas is `does_not_fit`."""
        answers = await collect(auction, list(self.endpoints()), signer=self.signer)
        verified, refused = arbitrate.verify_all(auction, answers, self.view.relayer)
        simulated = submit.simulate_all(self.w3, auction, verified)
        if limits is not None:
            left = limits.block_gas if block_left is None else block_left
            simulated = [arbitrate.fits(s, limits, left) if isinstance(s, Simulated) else s for s in simulated]
        ranked, not_simulated = arbitrate.rank_all(simulated)

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


def _restrict(auction: Auction, ids: tuple[str, ...]) -> Auction:
    """`auction` with only the intents `ids` and their owners' balances."""
    chosen = set(ids)
    intents = tuple(bi for bi in auction.intents if bi.id in chosen)
    owners = {bi.intent.owner for bi in intents}
    return dataclasses.replace(auction, intents=intents,
                               balances={o: b for o, b in auction.balances.items() if o in owners})


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
