"""Faults under a live round, on the fork: the orderbook process SIGKILLed while the round
runs, then restarted. No accepted intent is lost, none is settled twice, the next round
proceeds and settles what was submitted after the restart.

The orderbook is a real `keel node serve` subprocess; the auctioneer shares its sqlite file
(WAL), as `keel up` wires them; the solver node is a real HTTP server running `baseline`.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from auction.auctioneer import Auctioneer
from auction.node import make_app
from auction.registry import Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView
from contracts.anvil import free_port
from contracts.settlement import Settlement
from intents.lifecycle import IN_AUCTION, OPEN, SETTLED
from intents.wire import SignedIntentModel
from orderbook import client
from orderbook.store import SqliteStore
from solver.strategies.baseline import Baseline
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server, start_orderbook
from tests.integration.auction_support import hedge_intent, weights_intent

DEADLINE_S = 4.0
REPO = Path(__file__).resolve().parents[2]


def _serve(world: Any, port: int, db: Path, home: Path) -> subprocess.Popen[bytes]:
    """`keel node serve` for this fork's chain id and settlement, answering /health."""
    return start_orderbook(port, db, home, world.chain_id, world.settlement)


def _post(url: str, signed: Any, world: Any) -> str:
    body = SignedIntentModel.from_signed(signed, world.chain_id).model_dump(mode="json")
    return client.request(url, "POST", "/intents", body)["id"]


def test_should_lose_and_double_settle_nothing_when_the_orderbook_is_killed_mid_round(chain: Any, tmp_path: Path) -> None:
    port, db, rounds_db = free_port(), tmp_path / "orderbook.db", tmp_path / "auction.db"
    url = f"http://127.0.0.1:{port}"
    first = [weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}), hedge_intent(chain, 4, book_delta=-8.0)]
    later = weights_intent(chain, 3, {"USDC": 20, "WETH": 60, "DAI": 20})
    node = Server(make_app(Baseline(), chain.solvers[0].address, chain.rpc_url, **trusting(chain.settlement)))
    orderbook, rounds, registry = SqliteStore(db), RoundStore(rounds_db), Registry(rounds_db)
    registry.register(chain.solvers[0].address, node.url)
    auctioneer = Auctioneer(chain.web3(), WorldView(chain.chain_id, chain.deployment), orderbook, rounds,
                            registry.all, deadline_s=DEADLINE_S, signer=AUCTIONEER)
    proc = _serve(chain, port, db, tmp_path)
    try:
        accepted = [_post(url, s, chain) for s in first]

        # round 1 runs; the orderbook process is SIGKILLed while solvers are thinking
        outcome: dict[str, Any] = {}
        runner = threading.Thread(target=lambda: outcome.update(r=asyncio.run(auctioneer.run_round())))
        runner.start()
        watcher = SqliteStore(db)
        while runner.is_alive() and not watcher.list(status=IN_AUCTION):
            time.sleep(0.005)  # kill once the round has taken the intents
        watcher.close()
        assert runner.is_alive(), "the kill must land during the round"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        runner.join(120)
        round1 = outcome["r"]
        assert round1 is not None and round1.status == "settled", round1

        # restarted, the orderbook has every accepted intent, in the state the round left it
        proc = _serve(chain, port, db, tmp_path)
        listed = {r["id"]: r for r in client.request(url, "GET", "/intents?limit=1000")}
        assert set(accepted) <= set(listed)
        settled1 = set(next(c for c in round1.candidates if c.verdict == "settled").solution.intent_ids)
        assert settled1 and all(listed[i]["status"] == (SETTLED if i in settled1 else OPEN) for i in accepted)
        assert all(listed[i]["txHash"] == round1.tx_hash for i in settled1)

        # round 2 proceeds: it takes what is still open plus what arrived after the restart, never a settled one
        accepted.append(_post(url, later, chain))
        round2 = asyncio.run(auctioneer.run_round())
        assert round2 is not None and round2.status == "settled"
        settled2 = set(next(c for c in round2.candidates if c.verdict == "settled").solution.intent_ids)
        assert settled2 and not settled1 & settled2
        assert set(round2.intents).isdisjoint(settled1)  # a settled intent is never auctioned again
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        node.stop()
        for store in (orderbook, rounds, registry):
            store.close()

    # on chain: every settled intent's nonce spent exactly by its round's transaction, once
    w3 = chain.web3()
    settlement = Settlement(w3, chain.settlement)
    executed = [e for r in (round1, round2) for e in settlement.executed(w3.eth.get_transaction_receipt(r.tx_hash))]
    ids_on_chain = ["0x" + bytes(e["intentId"]).hex() for e in executed]
    assert len(ids_on_chain) == len(set(ids_on_chain)) == len(settled1 | settled2)
    assert set(ids_on_chain) == settled1 | settled2
