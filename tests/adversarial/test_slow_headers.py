"""Slow-header and connection-flood clients cannot hold the orderbook's sockets.

Review of issue 14 (item 7): 2,000 connections that never finish their headers stayed open
forever. `keel.http.guard` (applied by `orderbook.api.serve`) closes a connection whose
first request's headers have not arrived within the header timeout, and closes at once any
connection past the cap; `/health` keeps answering. Loopback, bounded counts.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web

from keel.http import guard
from orderbook.api import OrderbookConfig, make_app
from orderbook.store import SqliteStore
from tests.adversarial.fuzz_support import CHAIN_ID, SETTLEMENT, TOKENS, free_port, http

CAP, TIMEOUT_S = 40, 1.0


@contextmanager
def guarded(app: web.Application) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    port = free_port()
    runner = web.AppRunner(app)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())

        async def start() -> None:
            assert runner.server is not None
            guard(runner.server, max_connections=CAP, header_timeout_s=TIMEOUT_S)
            await web.TCPSite(runner, "127.0.0.1", port).start()

        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def closed(sock: socket.socket, wait_s: float) -> bool:
    """True if the server closed `sock` (EOF or reset) within `wait_s`."""
    sock.settimeout(wait_s)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_header_connections_are_closed_and_the_cap_holds(tmp_path: Path) -> None:
    app = make_app(SqliteStore(tmp_path / "ob.db"), OrderbookConfig(CHAIN_ID, SETTLEMENT, dict(TOKENS)))
    with guarded(app) as url:
        port = int(url.rsplit(":", 1)[1])
        slow = []
        for _ in range(CAP + 10):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
            slow.append(s)
        try:
            time.sleep(0.3)
            over = sum(closed(s, 0.05) for s in slow)
            assert over >= 10, f"{over} of {len(slow)} closed at once; the cap is {CAP}"
            time.sleep(TIMEOUT_S + 0.5)
            assert all(closed(s, 1.0) for s in slow), "a silent connection outlived the header timeout"
            status, body = http("GET", url + "/health")  # a normal client is still served
            assert status == 200 and body["ok"] is True
        finally:
            for s in slow:
                s.close()
