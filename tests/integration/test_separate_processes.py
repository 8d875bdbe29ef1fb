"""One machine to many: orderbook, solver node and auctioneer as separate `keel` processes, each in
its own working directory (its own KEEL_HOME), sharing nothing but one Postgres server and the chain.

Each process is told the chain the way a remote machine would be: a copy of the chain record
(RPC URL, chain id) and of the deployment's addresses in its own directory, no path into another's.
An intent posted over HTTP to the orderbook is auctioned by the auctioneer and settled by the node;
the orderbook then reports it settled with the auctioneer's transaction.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from contracts import chain as chain_mod
from contracts.anvil import free_port
from intents.wire import SignedIntentModel
from tests.integration.auction_support import weights_intent
from tests.pg import fresh_database
from tests.unit.auction.test_node import call

REPO = Path(__file__).resolve().parents[2]


def home_for(tmp_path: Path, name: str, handle: chain_mod.ChainHandle, deployment: Any) -> Path:
    """A working directory that knows the chain only by copies: its record (no world dir) and addresses."""
    home = tmp_path / name
    home.mkdir()
    record = {**handle.to_json(), "world_dir": None}
    (home / "chain.json").write_text(json.dumps(record))
    (home / "external-fork-deployment.json").write_text(json.dumps(deployment.to_json()))
    return home


def keel(home: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KEEL_HOME": str(home)}
    env.pop("KEEL_CONFIG", None)
    env.pop("KEEL_DB", None)
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, str(REPO / "cli.py"), *args], stdout=out, stderr=subprocess.STDOUT,
                                cwd=home, env=env, start_new_session=True)


def wait_health(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if call(f"{url}/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered: {log.read_text()}")


def test_orderbook_node_and_auctioneer_in_separate_directories_settle_over_one_postgres(
        chain: Any, chain_handle: chain_mod.ChainHandle, pg_server: Any, tmp_path: Path) -> None:
    orderbook_db, auction_db = fresh_database(pg_server), fresh_database(pg_server)
    homes = {n: home_for(tmp_path, n, chain_handle, chain.deployment) for n in ("orderbook", "node", "auctioneer")}
    logs = {n: tmp_path / f"{n}.log" for n in homes}
    ob_port, node_port = free_port(), free_port()
    ob_url, node_url = f"http://127.0.0.1:{ob_port}", f"http://127.0.0.1:{node_port}"
    # the auctioneer's machine registers the node and says which auctioneer key the node must trust
    register = keel(homes["auctioneer"], "solver", "register", chain.solvers[0].address, "--url", node_url,
                    "--no-allow-list", "--db", auction_db, "--json", log=logs["auctioneer"])
    assert register.wait(120) == 0, logs["auctioneer"].read_text()
    text = logs["auctioneer"].read_text()
    auctioneer_address = json.loads(text[text.index("{"):text.rindex("}") + 1])["auctioneer"]
    procs = [
        keel(homes["orderbook"], "node", "serve", "--port", str(ob_port), "--db", orderbook_db, "--chain-id",
             str(chain.chain_id), "--settlement", chain.settlement, "--rpc-url", chain.rpc_url, log=logs["orderbook"]),
        keel(homes["node"], "solver", "serve", "--strategy", "baseline", "--port", str(node_port), "--solver",
             chain.solvers[0].address, "--rpc-url", chain.rpc_url, "--auctioneer", auctioneer_address,
             "--settlement", chain.settlement, log=logs["node"]),
    ]
    try:
        wait_health(ob_url, procs[0], logs["orderbook"])
        wait_health(node_url, procs[1], logs["node"])
        signed = weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
        body = SignedIntentModel.from_signed(signed, chain.chain_id).model_dump(mode="json", exclude_none=True)
        status, accepted = call(f"{ob_url}/intents", "POST", body)
        assert status == 201, accepted

        auctioneer = keel(homes["auctioneer"], "auction", "run", "--rounds", "1", "--deadline", "20", "--db",
                          auction_db, "--orderbook-db", orderbook_db, "--json", log=logs["auctioneer"])
        assert auctioneer.wait(300) == 0, logs["auctioneer"].read_text()
        text = logs["auctioneer"].read_text()
        rounds = json.loads(text[text.index("["):text.rindex("]") + 1])
        assert [r["status"] for r in rounds] == ["settled"]

        status, record = call(f"{ob_url}/intents/{accepted['id']}")
        assert status == 200 and record["status"] == "settled" and record["txHash"] == rounds[0]["txHash"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
    # nothing but each process's own copies in its directory: no database file anywhere
    for home in homes.values():
        assert not list(home.rglob("*.db")), list(home.rglob("*"))
