"""SIGKILL mid-load, on both backends (a sqlite file, a real Postgres): nothing acknowledged is
lost, nothing is settled twice.

1. One orderbook process killed while four clients post: restarted, it has every intent it
   acknowledged and still refuses their replays.
2. Two orderbook processes and two settling workers on one store: one orderbook and one worker
   are killed mid-load, the clients fail over to the survivor; after restart and recovery every
   acknowledged intent is settled, by exactly one worker, once.

A settling worker is the storage half of an auctioneer: take the oldest open intents
(`mark_in_auction`), then settle each (`mark_settled` with its own tx tag), logging both.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from intents.errors import DuplicateIntent, OrderbookUnavailable
from intents.lifecycle import IN_AUCTION
from intents.model import Intent, IntentKind
from intents.signing import sign_intent
from intents.wire import SignedIntentModel, parse_signed
from orderbook import client
from orderbook.store import open_store
from tests.helpers import start_orderbook

REPO = Path(__file__).resolve().parents[2]
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
CHAIN = 31337


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_node(port: int, db: Path | str, home: Path) -> subprocess.Popen[bytes]:
    return start_orderbook(port, db, home, CHAIN, SETTLEMENT)


def stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def body(owner: Account, nonce: int) -> dict:
    intent = Intent(owner=owner.address, tokens=(USDC, WETH), min_price=(10**18, 2_900 * 10**6),
                    max_price=(10**18, 3_100 * 10**6), kind=IntentKind.WEIGHTS, target_weight_bps=(5000, 5000),
                    tolerance_bps=50, max_fee_bps=30, valid_to=4_000_000_000, nonce=nonce)
    return SignedIntentModel.from_signed(sign_intent(intent, owner.key, CHAIN, SETTLEMENT), CHAIN).model_dump(mode="json")


def test_should_keep_every_acknowledged_intent_after_sigkill_mid_load(tmp_path: Path, db_location: str) -> None:
    port, db = free_port(), db_location
    url = f"http://127.0.0.1:{port}"
    # four loaders of 200 intents each, from 25 owners x 8 nonces: under the per-owner cap of open intents
    groups = [[Account.create() for _ in range(25)] for _ in range(4)]
    bodies = [[body(o, n) for o in group for n in range(8)] for group in groups]
    acked: list[str] = []
    lock = threading.Lock()
    proc = start_node(port, db, tmp_path)
    try:
        def load(mine: list[dict]) -> None:
            for b in mine:
                try:
                    answer = client.request(url, "POST", "/intents", b, timeout_s=5)
                except OrderbookUnavailable:
                    return  # the node was killed under us
                with lock:
                    acked.append(answer["id"])

        threads = [threading.Thread(target=load, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        while len(acked) < 100 and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)  # mid-load: the loaders are still posting
        proc.wait(10)
        for t in threads:
            t.join(30)
        assert 100 <= len(acked) < 800, "the kill must land while intents are still arriving"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)

    proc = start_node(port, db, tmp_path)
    try:
        stored = {r["id"] for r in client.request(url, "GET", "/intents?limit=1000")}
        missing = set(acked) - stored
        assert not missing, f"{len(missing)} acknowledged intents lost"
        assert all(client.request(url, "GET", f"/intents/{i}")["status"] == "open" for i in acked[:20])
        assert client.request(url, "GET", "/health")["intents"] == len(stored)
        # the restarted node still refuses a replay of what it acknowledged before the crash
        first = parse_signed(bodies[0][0]).intent.intent_id(CHAIN, SETTLEMENT)
        assert first in acked
        with pytest.raises(DuplicateIntent):
            client.request(url, "POST", "/intents", bodies[0][0])
    finally:
        stop(proc)


# A settling worker: argv = location, log file, tx tag, stop file. Logs "claim ID" once the
# batch is committed in_auction and "settle ID" once mark_settled has committed.
WORKER = """
import sys, time
from pathlib import Path
from intents.errors import TransitionError
from orderbook.store import open_store
location, log_path, tag, stop_file = sys.argv[1:5]
store = open_store(location)
with open(log_path, "a", buffering=1) as log:
    while not Path(stop_file).exists():
        batch = [s.id for s in store.open_intents(0)[:16]]
        if not batch:
            time.sleep(0.01)
            continue
        try:
            store.mark_in_auction(batch)
        except TransitionError:
            continue  # the other worker took some of them first
        log.write("".join(f"claim {i}\\n" for i in batch))
        for i in batch:
            store.mark_settled(i, tag)
            log.write(f"settle {i}\\n")
store.close()
"""


def start_worker(location: str, log: Path, tag: str, stop_file: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WORKER, location, str(log), tag, str(stop_file)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def tx_tag(n: int) -> str:
    return "0x" + f"{n:02x}" * 32


PER_OWNER = 100


def post_with_failover(urls: list[str], b: dict, patience_s: float = 60.0) -> str | None:
    """POST to the first orderbook that answers, retrying both until `patience_s` has passed; the
    acknowledged id, or None if none answered. An answer lost to a client timeout after the store
    committed comes back as a duplicate of the same id on the retry: that is an acknowledgement."""
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        for url in urls:
            try:
                return str(client.request(url, "POST", "/intents", b, timeout_s=5)["id"])
            except OrderbookUnavailable:
                continue
            except DuplicateIntent as exc:
                if exc.field != "id":
                    raise
                return parse_signed(b).intent.intent_id(CHAIN, SETTLEMENT)
        time.sleep(0.05)
    return None


def test_should_settle_each_intent_once_when_an_orderbook_and_a_worker_die_mid_load(
    tmp_path: Path, db_location: str
) -> None:
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    logs, stop_file = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"], tmp_path / "stop"
    open_store(db_location).close()  # migrate once up front, as a deploy step would
    nodes = [start_node(ports[0], db_location, tmp_path / "a"), start_node(ports[1], db_location, tmp_path / "b")]
    workers = [start_worker(db_location, logs[i], tx_tag(i + 1), stop_file) for i in range(2)]
    # four loaders of PER_OWNER intents, each from 20 owners: under the orderbook's per-owner cap
    owners = [[Account.create() for _ in range(20)] for _ in range(4)]
    acked: list[str] = []
    lock = threading.Lock()
    try:
        def load(group: list[Account], first: int) -> None:
            for n in range(PER_OWNER):
                order = urls if (n + first) % 2 == 0 else urls[::-1]  # spread over both orderbooks
                answer = post_with_failover(order, body(group[n % len(group)], n))
                if answer is not None:
                    with lock:
                        acked.append(answer)

        _wait_for(lambda: all(log.exists() for log in logs), "the workers to open the store")
        threads = [threading.Thread(target=load, args=(o, k)) for k, o in enumerate(owners)]
        for t in threads:
            t.start()
        # kill once load is well under way and the victim worker is mid-settlement
        _wait_for(lambda: len(acked) >= PER_OWNER and "settle" in logs[0].read_text(), "load and settling")
        for victim in (nodes[0], workers[0]):
            victim.send_signal(signal.SIGKILL)
        at_kill = len(acked)
        for t in threads:
            t.join(180)  # a loaded machine is slow, and each post may wait out the dead orderbook's timeout
        assert at_kill < len(acked) == 4 * PER_OWNER, "the kill must land mid-load; the survivor takes the rest"
        nodes[0].wait(10)
        nodes[0] = start_node(ports[0], db_location, tmp_path / "a")  # restart the killed orderbook
        stop_file.touch()
        workers[1].wait(30)
        assert workers[1].returncode == 0, workers[1].stderr.read().decode() if workers[1].stderr else ""
    finally:
        for proc in [*nodes, *workers]:
            stop(proc, signal.SIGKILL if proc in workers else signal.SIGTERM)
    final = _recover_and_drain(db_location, tmp_path / "drain.log", tx_tag(3))
    _check_settled_once(acked, final, {tx_tag(i + 1): log for i, log in enumerate(logs)} | {tx_tag(3): tmp_path / "drain.log"})


def _wait_for(condition: Any, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout_s:.0f} s for {what}"
        time.sleep(0.005)


def _recover_and_drain(location: str, log: Path, tag: str) -> dict[str, Any]:
    """What a restarted auctioneer does: reopen what the dead worker held, settle what is left."""
    store = open_store(location)
    try:
        held = [s.id for s in store.list(status=IN_AUCTION, limit=1000)]
        if held:
            store.reopen(held)
        with open(log, "w") as out:
            while batch := [s.id for s in store.open_intents(0)]:
                store.mark_in_auction(batch)
                for i in batch:
                    store.mark_settled(i, tag)
                    out.write(f"settle {i}\n")
        return {s.id: s for s in store.list(limit=1000)}
    finally:
        store.close()


def _check_settled_once(acked: list[str], final: dict[str, Any], logs: dict[str, Path]) -> None:
    assert not set(acked) - set(final), "an acknowledged intent was lost"
    assert {s.status for s in final.values()} == {"settled"}
    settles = Counter()
    for tag, log in logs.items():
        for line in log.read_text().splitlines():
            what, intent_id = line.split()
            if what == "settle":
                settles[intent_id] += 1
                assert final[intent_id].tx_hash == tag, f"{intent_id} settled by two workers"
    assert max(settles.values()) == 1, "an intent was settled twice"
    # the worker killed between a commit and its log line may have settled a few unlogged
    assert set(final) - set(settles) <= {i for i, s in final.items() if s.tx_hash == tx_tag(1)}
