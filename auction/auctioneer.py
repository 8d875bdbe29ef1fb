"""The auctioneer: one round = snapshot → collect → verify → simulate → rank → settle → notify → record.

Each stage is a small function over typed values (`Answer` → `Candidate`); a candidate
leaves the race with a verdict and a one-line reason the moment a stage refuses it, and
nothing a solver sends can stop a round:

- collect: the auction goes to every registered node at once (aiohttp); an answer after
  the deadline, an unreachable or crashing node, a non-JSON or ill-shaped body, or a
  solution for another auction is `dropped`; `{"solution": null}` is `empty`.
- verify: `auction.verify.check` (ids, prices, bounds, value, interactions, score claim).
- simulate: `settle()` by eth_estimateGas from the solver's account at the auction's block;
  a revert is `dropped` with the decoded error; the score is recomputed at the simulated gas.
- rank: score descending, ties to less gas (then URL, for determinism).
- settle: the best asks its node to send exactly the simulated calldata (POST /settle),
  the auctioneer waits for the receipt; a revert, a refusal or a dead node is `failed` and
  the next candidate — re-simulated on the latest state — is tried.
- notify: every node hears its verdict and reason (best effort).
- record: the round and every candidate go to sqlite; intents become `settled` with the
  transaction hash, or go back to `open`.

Durability: the round and its intents are recorded before any solver is asked, and the
transaction hash before its receipt is awaited; `recover` reconciles a round a crash
left `running` with the chain (nonces spent ⇒ settled), so no intent is lost or settled twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from auction import snapshot, verify, wire
from auction.registry import Endpoint
from auction.rounds import EMPTY, RUNNING, SETTLED, UNSETTLED, CandidateRow, RoundStore
from auction.settle_call import calldata, simulate
from intents.errors import TransitionError
from intents.lifecycle import IN_AUCTION, IntentStore
from keel.errors import ChainError, KeelError
from solver.domain import Auction, Solution
from solver.scoring import score


def usd(value_e18: int | None) -> str:
    """USD × 1e18 as a people-readable amount (for reasons only; records keep the integer)."""
    return "-" if value_e18 is None else f"${value_e18 / 10**18:,.2f}"


GAS_HEADROOM = (5, 4)  # send with 5/4 of the simulated gas, plus a fixed margin
GAS_MARGIN = 50_000
NOTIFY_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Answer:
    """What one node sent back, or why there is nothing usable."""

    endpoint: Endpoint
    solution: Solution | None
    verdict: str | None  # None while still in the race
    reason: str
    latency_ms: int


@dataclass(frozen=True)
class Candidate:
    endpoint: Endpoint
    solution: Solution | None
    verdict: str | None
    reason: str
    latency_ms: int
    score: int | None = None
    gas: int | None = None
    data: bytes = b""
    rank: int | None = None
    tx_hash: str | None = None
    pending: bool = False  # sent, but no receipt yet: only the chain can say whether it settled

    def out(self, verdict: str, reason: str, **changes: Any) -> Candidate:
        return dataclasses.replace(self, verdict=verdict, reason=reason, **changes)

    def row(self) -> CandidateRow:
        s = self.solution
        return CandidateRow(self.endpoint.url, s.solver if s else self.endpoint.address,
                            (str(s.stats.get("strategy", ""))[:40] or None) if s else None, s.score_e18 if s else None,
                            self.score, self.gas, self.verdict or "lost", self.reason, self.rank, self.latency_ms,
                            self.tx_hash)


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    status: str
    winner: str | None
    tx_hash: str | None
    candidates: tuple[Candidate, ...]
    intents: tuple[str, ...]
    left_out: dict[str, str]


# -- collect --------------------------------------------------------------------------------

async def _ask(session: Any, endpoint: Endpoint, body: bytes, auction: Auction) -> Answer:
    import aiohttp

    started = time.time()
    timeout_s = max(0.05, auction.deadline_ms / 1000 - started)

    def answer(solution: Solution | None, verdict: str | None, reason: str) -> Answer:
        return Answer(endpoint, solution, verdict, reason, int((time.time() - started) * 1000))

    try:
        async with asyncio.timeout(timeout_s):
            async with session.post(endpoint.url + "/solve", data=body,
                                    headers={"Content-Type": "application/json"}) as resp:
                status, text = resp.status, await resp.text()
    except TimeoutError:
        return answer(None, "dropped", f"late: no answer by the deadline ({timeout_s:.1f}s)")
    except aiohttp.ClientError as exc:
        return answer(None, "dropped", f"unreachable: {type(exc).__name__}: {exc}")
    if time.time() * 1000 > auction.deadline_ms:
        return answer(None, "dropped", "late: answered after the deadline")
    return _read_answer(status, text, auction, answer)


def _read_answer(status: int, text: str, auction: Auction, answer: Any) -> Answer:
    import json

    try:
        body = json.loads(text)
    except ValueError:
        return answer(None, "dropped", f"malformed: HTTP {status}, body is not JSON")
    if status != 200:
        detail = body.get("error") if isinstance(body, dict) else None
        return answer(None, "dropped", f"solver error: HTTP {status}: {detail or 'no error body'}")
    if not isinstance(body, dict) or "solution" not in body:
        return answer(None, "dropped", "malformed: expected {\"solution\", \"reason\"}")
    if body["solution"] is None:
        return answer(None, EMPTY, f"no solution: {body.get('reason') or 'none given'}")
    try:
        solution = wire.solution_from_json(body["solution"])
    except KeelError as exc:
        return answer(None, "dropped", f"malformed: solution.{exc}")
    return answer(solution, None, "answered")


async def collect(auction: Auction, endpoints: list[Endpoint]) -> list[Answer]:
    """Post the auction to every endpoint at once; every answer is back (or given up) by the deadline."""
    import json

    import aiohttp

    body = json.dumps(wire.auction_to_json(auction)).encode()
    async with aiohttp.ClientSession() as session:
        return list(await asyncio.gather(*(_ask(session, e, body, auction) for e in endpoints)))


# -- verify, simulate, rank -----------------------------------------------------------------

def verify_all(auction: Auction, answers: list[Answer], relayer: str | None) -> list[Candidate]:
    out = []
    for a in answers:
        c = Candidate(a.endpoint, a.solution, a.verdict, a.reason, a.latency_ms)
        if c.verdict is None and c.solution is not None:
            try:
                verify.check(auction, c.solution, a.endpoint.address, relayer)
            except verify.Rejected as exc:
                c = c.out("dropped", str(exc))
            except (KeyError, ValueError, ZeroDivisionError) as exc:  # a shape verify did not foresee
                c = c.out("dropped", f"unverifiable: {type(exc).__name__}: {exc}")
        out.append(c)
    return out


def simulate_all(w3: Any, auction: Auction, candidates: list[Candidate]) -> list[Candidate]:
    out = []
    for c in candidates:
        if c.verdict is None and c.solution is not None:
            try:
                data = calldata(auction, c.solution)
            except KeelError as exc:
                out.append(c.out("dropped", f"unencodable: {exc}"))
                continue
            sim = simulate(w3, auction.settlement, data, c.endpoint.address, auction.block)
            if not sim.ok:
                out.append(c.out("dropped", f"simulation {sim.reason}"))
                continue
            value = score(auction, c.solution, int(sim.gas or 0))
            if value <= 0:
                out.append(c.out("dropped", f"score not positive at the simulated gas ({value})", gas=sim.gas))
                continue
            c = dataclasses.replace(c, score=value, gas=sim.gas, data=data, reason="valid")
        out.append(c)
    return out


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Valid candidates first, by score descending, ties to less gas; the rest after, unranked."""
    valid = sorted((c for c in candidates if c.verdict is None),
                   key=lambda c: (-(c.score or 0), c.gas or 0, c.endpoint.url))
    ranked = [dataclasses.replace(c, rank=i + 1) for i, c in enumerate(valid)]
    return ranked + [c for c in candidates if c.verdict is not None]


# -- settle -----------------------------------------------------------------------------------

async def _post(url: str, body: dict[str, Any], timeout_s: float) -> tuple[int, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session, asyncio.timeout(timeout_s), session.post(url, json=body) as resp:
        try:
            return resp.status, await resp.json(content_type=None)
        except ValueError:
            return resp.status, None


async def submit(w3: Any, auction: Auction, c: Candidate, receipt_timeout_s: float) -> Candidate:
    """Have `c`'s node send its calldata; wait for the receipt. Returns c settled or failed."""
    import aiohttp

    gas = min(30_000_000, (c.gas or 0) * GAS_HEADROOM[0] // GAS_HEADROOM[1] + GAS_MARGIN)
    request = {"auctionId": auction.id, "calldata": "0x" + c.data.hex(), "to": auction.settlement, "gas": gas}
    try:
        status, body = await _post(c.endpoint.url + "/settle", request, 15.0)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return c.out("failed", f"won, but its node did not send: {type(exc).__name__}: {exc}")
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("txHash"), str):
        detail = body.get("error") if isinstance(body, dict) else None
        return c.out("failed", f"won, but its node refused to send: HTTP {status}: {detail}")
    tx_hash = body["txHash"]
    try:
        receipt = await asyncio.to_thread(w3.eth.wait_for_transaction_receipt, tx_hash, receipt_timeout_s)
    except Exception as exc:  # not mined in time, or an unknown hash: treat as not settled, recover() decides
        return c.out("failed", f"won, but {tx_hash} has no receipt: {type(exc).__name__}", tx_hash=tx_hash,
                     pending=True)
    if receipt["status"] != 1:
        return c.out("failed", f"won, but its transaction reverted on chain ({tx_hash})", tx_hash=tx_hash)
    return c.out("settled", f"won with score {usd(c.score)} at {receipt['gasUsed']} gas", tx_hash=tx_hash)


async def settle_best(w3: Any, auction: Auction, ranked: list[Candidate], receipt_timeout_s: float,
                      on_sent: Any = None) -> list[Candidate]:
    """Try valid candidates best first until one settles; the others end `lost` (or `failed`)."""
    out: list[Candidate] = []
    winner: Candidate | None = None
    for i, c in enumerate(ranked):
        if c.verdict is not None:
            out.append(c)
            continue
        if winner is not None:
            out.append(c.out("lost", f"ranked {c.rank}: score {usd(c.score)} < winner's {usd(winner.score)}"))
            continue
        if i > 0:  # a failed attempt may have moved the chain: re-check on the latest state
            sim = simulate(w3, auction.settlement, c.data, c.endpoint.address, "latest")
            if not sim.ok:
                out.append(c.out("failed", f"next in line, but no longer settles: {sim.reason}"))
                continue
        attempt = await submit(w3, auction, c, receipt_timeout_s)
        if attempt.tx_hash and on_sent is not None:
            on_sent(attempt)
        out.append(attempt)
        if attempt.verdict == "settled":
            winner = attempt
    return out


# -- notify -----------------------------------------------------------------------------------

async def notify_all(auction_id: int, candidates: list[Candidate]) -> None:
    async def one(c: Candidate) -> None:
        verdict = {"settled": "settled", "failed": "failed", "lost": "lost", EMPTY: "lost"}.get(c.verdict or "", "dropped")
        body = {"auctionId": auction_id, "verdict": verdict, "reason": c.reason[:500], "txHash": c.tx_hash}
        try:
            await _post(c.endpoint.url + "/notify", body, NOTIFY_TIMEOUT_S)
        except Exception:  # a node that is gone cannot be told; the round is recorded regardless
            return

    await asyncio.gather(*(one(c) for c in candidates))


# -- the round -------------------------------------------------------------------------------

@dataclass
class Auctioneer:
    """Runs rounds against one chain, one orderbook store, one rounds store and the registered solvers."""

    w3: Any
    view: snapshot.WorldView
    intents: IntentStore
    rounds: RoundStore
    endpoints: Any  # () -> list[Endpoint]; re-read each round so registrations take effect
    deadline_s: float = 5.0
    receipt_timeout_s: float = 60.0

    async def run_round(self) -> RoundResult | None:
        """One round; None when there was nothing to auction.

        A chain that stops answering mid-round is a `ChainError` (a long-running auctioneer
        logs it and carries on); intents the round had taken stay `in_auction` until the
        next round's `recover` settles or reopens them from what the chain says.
        """
        try:
            return await self._run_round()
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
        endpoints = list(self.endpoints())
        candidates = rank(simulate_all(self.w3, auction, verify_all(auction, await collect(auction, endpoints),
                                                                           self.view.relayer)))
        done = await settle_best(self.w3, auction, candidates, self.receipt_timeout_s,
                                 on_sent=lambda c: self.rounds.note_submission(round_id, c.endpoint.url, c.tx_hash))
        self.rounds.record_candidates(round_id, [c.row() for c in done])
        winner = next((c for c in done if c.verdict == "settled"), None)
        if winner is None and any(c.pending for c in done):
            # a transaction may still mine: leave the round running; `recover` settles it from the chain
            await notify_all(round_id, done)
            return RoundResult(round_id, RUNNING, None, None, tuple(done), tuple(ids), left_out)
        self._update_intents(auction, winner)
        status = SETTLED if winner else (EMPTY if not any(c.solution for c in done) else UNSETTLED)
        self.rounds.close_round(round_id, status, winner.endpoint.url if winner else None,
                                winner.tx_hash if winner else None)
        await notify_all(round_id, done)
        return RoundResult(round_id, status, winner.endpoint.url if winner else None,
                           winner.tx_hash if winner else None, tuple(done), tuple(ids), left_out)

    def _update_intents(self, auction: Auction, winner: Candidate | None) -> None:
        settled = set(winner.solution.intent_ids) if winner and winner.solution else set()
        for bi in auction.intents:
            if bi.id in settled and winner is not None and winner.tx_hash:
                self.intents.mark_settled(bi.id, winner.tx_hash)
            else:
                self.intents.reopen([bi.id])


def _is_connection_error(exc: BaseException) -> bool:
    import requests
    from web3.exceptions import Web3Exception

    return isinstance(exc, requests.exceptions.RequestException | Web3Exception | ConnectionError | TimeoutError)


def recover(w3: Any, settlement: str, intents: IntentStore, rounds: RoundStore) -> list[int]:
    """Close rounds a crash left `running`: intents whose nonce the chain spent are settled, others reopen."""
    from contracts.settlement import Settlement

    recovered = []
    for record in rounds.running():
        chain = Settlement(w3, settlement)
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


__all__ = ["RUNNING", "Answer", "Auctioneer", "Candidate", "RoundResult", "collect", "rank", "recover"]
