"""A `keel solver serve --account NAME` process signs the settlement with its keystore key on the fork."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from auction import wire
from auction.settle_call import calldata
from contracts.anvil import free_port
from intents import keystore
from tests.fakes.auctioneer import AUCTIONEER
from tests.integration.auction_support import auction_for, weights_intent
from tests.unit.auction.test_node import call

REPO = Path(__file__).resolve().parents[2]


def test_a_keystore_node_solves_then_sends_the_calldata_it_proposed_signed_by_its_own_key(
        chain: Any, tmp_path: Path) -> None:
    home = tmp_path / ".keel"
    solver = chain.solvers[2]
    keystore.import_key("solver", solver.private_key, "pw", folder=home / "keystore", scrypt_n=2**4)
    port = free_port()
    env = {**os.environ, "KEEL_HOME": str(home), "KEEL_PASSWORD": "pw"}
    argv = [sys.executable, str(REPO / "cli.py"), "solver", "serve", "--strategy", "milp", "--port", str(port),
            "--account", "solver", "--rpc-url", chain.rpc_url, "--auctioneer", AUCTIONEER.address,
            "--settlement", chain.settlement]
    log = tmp_path / "node.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                status, health = call(url + "/health")
                break
            except OSError:
                time.sleep(0.2)
        assert (status, health["solver"], health["strategy"]) == (200, solver.address, "milp")

        signed = [weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}),
                  weights_intent(chain, 1, {"USDC": 40, "WETH": 50, "WBTC": 10})]
        auction = auction_for(chain, signed, auction_id=41, deadline_s=20)
        _, body = call(url + "/solve", "POST", wire.auction_to_json(auction))
        solution = wire.solution_from_json(body["solution"])
        data = calldata(auction, solution)
        request = {"auctionId": 41, "calldata": "0x" + data.hex(), "to": auction.settlement, "gas": 3_000_000}
        status, sent = call(url + "/settle", "POST", request)
        assert status == 200, sent
        w3 = chain.web3()
        receipt = w3.eth.wait_for_transaction_receipt(sent["txHash"], timeout=30)
        tx = w3.eth.get_transaction(sent["txHash"])
        assert receipt["status"] == 1 and tx["from"] == solver.address and bytes(tx["input"]) == data
        status, refused = call(url + "/settle", "POST", {**request, "auctionId": 40})
        assert status == 409 and "not a solution this node proposed" in refused["error"]
    finally:
        proc.terminate()
        proc.wait(10)
