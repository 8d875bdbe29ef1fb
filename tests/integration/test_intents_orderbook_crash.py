"""The orderbook loses no acknowledged intent when SIGKILLed mid-load and restarted (real subprocess)."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from eth_account import Account

from intents.errors import DuplicateIntent, OrderbookUnavailable
from intents.model import Intent, IntentKind
from intents.signing import sign_intent
from intents.wire import SignedIntentModel, parse_signed
from orderbook import client
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


def start_node(port: int, db: Path, home: Path) -> subprocess.Popen[bytes]:
    return start_orderbook(port, db, home, CHAIN, SETTLEMENT)


def body(owner: Account, nonce: int) -> dict:
    intent = Intent(owner=owner.address, tokens=(USDC, WETH), min_price=(10**18, 2_900 * 10**6),
                    max_price=(10**18, 3_100 * 10**6), kind=IntentKind.WEIGHTS, target_weight_bps=(5000, 5000),
                    tolerance_bps=50, max_fee_bps=30, valid_to=4_000_000_000, nonce=nonce)
    return SignedIntentModel.from_signed(sign_intent(intent, owner.key, CHAIN, SETTLEMENT), CHAIN).model_dump(mode="json")


def test_should_keep_every_acknowledged_intent_after_sigkill_mid_load(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "orderbook.db"
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
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
