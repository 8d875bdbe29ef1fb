"""A 400-intent round on the fork settles as several transactions that each fit a block.

A real auctioneer and a real `milp` solver node over HTTP; 400 funded users (balances and
relayer allowances written into storage, `bench/crowd.py`) each sign a weights or hedge
intent. The chain's block gas limit is read from the fork, the transaction size limit is the
128 KiB default and the per-transaction gas cap EIP-7825's 2**24. Asserted: at least two
settlement transactions; each one's calldata (plus the envelope bound) within 128 KiB, sent
with at most the cap and using less than the block gas limit; together within one block;
every intent either settled by one of them or open with its reason (did not fit this round's
block, or the solver's reason for leaving it out); and `solver.gas_model`'s estimate of
each transaction within 5% of its gasUsed (printed). Also
printed: the 400-intent auction's JSON body against the node's 16 MiB cap.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest

from auction import wire
from auction.auctioneer import Auctioneer, split
from auction.auctioneer.limits import DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TX_GAS, ENVELOPE_BYTES
from auction.node import make_app
from auction.registry import Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView, take
from bench import crowd
from intents.lifecycle import OPEN, SETTLED
from orderbook.store import SqliteStore
from solver import gas_model
from solver.strategies.milp import Milp
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server, run_cli

INTENTS = 400
NODE_BODY_CAP = 16 << 20  # auction.node's client_max_size


def shape_of(auction: Any, solution: Any, calldata: bytes) -> gas_model.SettlementShape:
    tokens = tuple(len(auction.intent(e.intent_id).intent.tokens) for e in solution.executions)
    return gas_model.SettlementShape(calldata, tokens, tuple(i.call_data for i in solution.interactions))


def test_a_400_intent_round_settles_as_several_transactions_that_each_fit_a_block(
        chain: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w3 = chain.web3()
    lines: list[str] = []  # printed at the end (the CLI check below reads the captured output)
    rng = random.Random(400)
    users = crowd.fund(chain, INTENTS, rng, label="split")
    signed = crowd.sign_intents(chain, users, rng)
    orderbook, rounds, registry = SqliteStore(tmp_path / "ob.db"), RoundStore(tmp_path / "a.db"), Registry(tmp_path / "a.db")
    ids = [orderbook.add(s.intent.intent_id(chain.chain_id, chain.settlement), s).id for s in signed]
    assert len(ids) >= 380

    view = WorldView(chain.chain_id, chain.deployment)
    whole, _ = take(w3, view, [(i, orderbook.get(i).signed) for i in ids], 1, 0)
    body = len(json.dumps(wire.auction_to_json(whole)).encode())
    lines.append(f"{len(ids)}-intent auction body: {body / 2**20:.2f} MiB, {body / NODE_BODY_CAP:.1%} of the node's 16 MiB cap")
    assert body < NODE_BODY_CAP

    block_gas = int(w3.eth.get_block("latest")["gasLimit"])
    node = Server(make_app(Milp(), chain.solvers[0].address, chain.rpc_url, **trusting(chain.settlement)))
    registry.register(chain.solvers[0].address, node.url)
    auctioneer = Auctioneer(w3, view, orderbook, rounds, registry.all, deadline_s=30.0, signer=AUCTIONEER)
    try:
        result = asyncio.run(auctioneer.run_round())
    finally:
        node.stop()
    assert result is not None

    settled = result.settled
    assert len(settled) >= 2, [(b.round_id, b.status, [c.reason for c in b.candidates]) for b in result.batches]
    reserved = 0
    lines.append(f"block gas limit {block_gas:,}; per transaction ≤ {DEFAULT_MAX_TX_GAS:,} gas, ≤ {DEFAULT_MAX_TX_BYTES:,} bytes")
    for batch in settled:
        tx = w3.eth.get_transaction(batch.tx_hash)
        receipt = w3.eth.get_transaction_receipt(batch.tx_hash)
        assert receipt["status"] == 1
        data = bytes(tx["input"])
        assert len(data) + ENVELOPE_BYTES <= DEFAULT_MAX_TX_BYTES
        assert tx["gas"] <= min(DEFAULT_MAX_TX_GAS, block_gas) and receipt["gasUsed"] <= block_gas
        reserved += tx["gas"]
        winner = next(c for c in batch.candidates if c.verdict == "settled")
        estimate = gas_model.settlement_gas(shape_of(_auction_of(orderbook), winner.solution, data))
        used = int(receipt["gasUsed"])
        error = (estimate - used) / used
        lines.append(f"batch {batch.round_id}: {len(winner.solution.executions)} executions, {len(data):,} bytes, "
              f"gas estimate {estimate:,} vs measured {used:,} ({error:+.2%}); sent with {tx['gas']:,}")
        assert abs(error) <= 0.05
    assert reserved <= block_gas  # the round's transactions fit one block

    settled_by = {orderbook.get(i).tx_hash for i in ids if orderbook.get(i).status == SETTLED}
    assert settled_by <= set(result.tx_hashes)
    reasons = _reasons(result)
    waiting = [i for i in ids if orderbook.get(i).status != SETTLED]
    for intent_id in waiting:
        assert orderbook.get(intent_id).status == OPEN
        assert reasons.get(intent_id), intent_id  # every intent settled or carrying its reason
    deferred = [i for i in waiting if result.deferred.get(i) == split.DID_NOT_FIT]
    lines.append(f"{len(ids) - len(waiting)} intents settled in {len(settled)} transactions; {len(deferred)} did not fit "
          f"this round's block; {len(waiting) - len(deferred)} left out by the solver "
          f"({sum(1 for i in waiting if i in _solver_said(result))} with its own reason)")
    assert deferred  # 400 intents are more than one block: some wait, and the stores say why
    record = rounds.get(result.deferred_round)
    assert split.DID_NOT_FIT in (record.note or "") and set(deferred) <= set(record.intents)
    for s in (orderbook, rounds, registry):
        s.close()
    shown = run_cli(capsys, "auction", "show", str(result.deferred_round), "--db", str(tmp_path / "a.db"), "--json")
    assert shown.code == 0 and split.DID_NOT_FIT in json.loads(shown.out)["note"]
    table = run_cli(capsys, "auction", "show", str(result.deferred_round), "--db", str(tmp_path / "a.db"))
    assert "did not fit in this round" in " ".join(table.out.split())
    print("\n" + "\n".join(lines))


def _auction_of(orderbook: Any) -> Any:
    """The batch's intents by id (all the gas model reads of an auction)."""
    from solver.domain import BatchIntent

    class ByIntent:
        def intent(self, intent_id: str) -> BatchIntent:
            return BatchIntent(intent_id, orderbook.get(intent_id).signed)

    return ByIntent()


def _solver_said(result: Any) -> set[str]:
    return {i for b in result.batches for c in b.candidates if c.solution for i in c.solution.stats.get("dropped", {})}


def _reasons(result: Any) -> dict[str, str]:
    """Why each intent of the round that did not settle waits: the round's own, or its batch's winner's."""
    out = dict(result.deferred)
    out.update(result.left_out)
    for batch in result.batches:
        for c in batch.candidates:
            if c.solution is not None:
                for intent_id, why in c.solution.stats.get("dropped", {}).items():
                    out.setdefault(intent_id, why)
        if batch.status == "settled":  # what `keel intent show` and the explorer say of the rest
            for intent_id in batch.intents:
                out.setdefault(intent_id, f"round {batch.round_id} settled other intents; its winning solution "
                                          "left this one for a later round")
        if batch.status != "settled":
            for intent_id in batch.intents:
                out.setdefault(intent_id, "; ".join(c.reason for c in batch.candidates) or str(batch.status))
    return out
