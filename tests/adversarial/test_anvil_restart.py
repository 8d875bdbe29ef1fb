"""anvil restarted under a running auctioneer: the chain goes away mid-service and comes back
on the same port with its state. No accepted intent is lost, none is settled twice, and
the next round proceeds.

The chain is this test's own (upstream world + fork), not the session's, because the test
kills it. The orderbook is a real `keel node serve` process; the solver node a real HTTP
server running `milp`; the auctioneer runs in-process exactly as `keel auction run` does.
"""

from __future__ import annotations

import asyncio
import gzip
import signal
from pathlib import Path
from typing import Any

import pytest

from auction.auctioneer import Auctioneer
from auction.node import make_app
from auction.registry import Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView
from contracts import anvil
from contracts import chain as chain_mod
from contracts.settlement import Settlement
from intents.lifecycle import OPEN, SETTLED
from keel.errors import KeelError
from orderbook import client
from orderbook.store import SqliteStore
from solver.strategies.milp import Milp
from tests.adversarial.test_faults import _post, _serve
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server
from tests.integration.auction_support import hedge_intent, weights_intent

DEADLINE_S = 4.0


def test_should_lose_and_double_settle_nothing_when_anvil_restarts_under_the_node(tmp_path: Path) -> None:
    handle = chain_mod.start(log_dir=tmp_path / "logs")
    restarted: anvil.AnvilNode | None = None
    proc = None
    node = None
    stores: list[Any] = []
    try:
        world = handle.world()
        port, db, rounds_db = anvil.free_port(), tmp_path / "orderbook.db", tmp_path / "auction.db"
        url = f"http://127.0.0.1:{port}"
        node = Server(make_app(Milp(), world.solvers[0].address, world.rpc_url, **trusting(world.settlement)))
        orderbook, rounds, registry = SqliteStore(db), RoundStore(rounds_db), Registry(rounds_db)
        stores += [orderbook, rounds, registry]
        registry.register(world.solvers[0].address, node.url)
        auctioneer = Auctioneer(world.web3(), WorldView(world.chain_id, world.deployment), orderbook,
                                rounds, registry.all, deadline_s=DEADLINE_S, signer=AUCTIONEER)
        proc = _serve(world, port, db, tmp_path)

        first = _post(url, weights_intent(world, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}), world)
        round1 = asyncio.run(auctioneer.run_round())
        assert round1 is not None and round1.status == "settled" and first in round1.intents

        # the chain goes away with an intent open; a round attempted meanwhile fails loudly, and loses nothing
        second = _post(url, hedge_intent(world, 4, book_delta=-8.0), world)
        state_file = tmp_path / "fork-state.json"
        raw = anvil.rpc(handle.rpc_url, "anvil_dumpState", timeout=60)
        state_file.write_bytes(gzip.decompress(bytes.fromhex(str(raw)[2:])))
        anvil.stop(handle.fork.pid)
        with pytest.raises(KeelError):
            asyncio.run(auctioneer.run_round())
        listed = {r["id"]: r for r in client.request(url, "GET", "/intents?limit=100")}
        assert listed[first]["status"] == SETTLED and listed[first]["txHash"] == round1.tx_hash
        assert second in listed and listed[second]["status"] in (OPEN, "in_auction")

        # anvil comes back on the same port with the same state: the next round settles the open intent only
        restarted = anvil.start(port=handle.fork.port, fork_url=handle.upstream.url, load_state=state_file,
                                log_dir=tmp_path / "logs")
        round2 = asyncio.run(auctioneer.run_round())
        assert round2 is not None and round2.status == "settled", round2
        assert second in round2.intents and first not in round2.intents
        listed = {r["id"]: r for r in client.request(url, "GET", "/intents?limit=100")}
        assert listed[second]["status"] == SETTLED and listed[first]["txHash"] == round1.tx_hash

        w3 = world.web3()
        settlement = Settlement(w3, world.settlement)
        executed = [e for r in (round1, round2) for e in settlement.executed(w3.eth.get_transaction_receipt(r.tx_hash))]
        ids = ["0x" + bytes(e["intentId"]).hex() for e in executed]
        assert sorted(ids) == sorted([first, second])  # each executed once, across the restart
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        if node is not None:
            node.stop()
        for store in stores:
            store.close()
        if restarted is not None:
            anvil.stop(restarted.pid)
        chain_mod.stop(handle)
