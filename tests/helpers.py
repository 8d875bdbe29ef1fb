"""Small helpers shared by tests: run the CLI in-process, find processes by command line."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    import cli

    capsys.readouterr()
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def processes_matching(fragment: str) -> list[int]:
    """PIDs of live processes whose command line contains `fragment` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if fragment in cmdline and "State:\tZ" not in status and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


class Server:
    """An aiohttp app on a free 127.0.0.1 port, in a thread; `stop()` tears it down."""

    def __init__(self, app: Any) -> None:
        from aiohttp import web

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


REPO = Path(__file__).resolve().parents[1]


def start_orderbook(port: int, db: Path | str, home: Path, chain_id: int, settlement: str,
                    timeout_s: float = 30.0) -> subprocess.Popen[bytes]:
    """A real `keel node serve` process on 127.0.0.1:`port`, returned once /health answers.

    `db` is a sqlite path or a postgresql:// URL.

    The caller stops it (by its Popen: SIGTERM, or SIGKILL in the crash tests).
    """
    from intents.errors import OrderbookUnavailable
    from orderbook import client

    env = {**os.environ, "KEEL_HOME": str(home)}
    env.pop("KEEL_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "cli.py", "node", "serve", "--port", str(port), "--db", str(db),
         "--chain-id", str(chain_id), "--settlement", settlement],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            client.request(f"http://127.0.0.1:{port}", "GET", "/health", timeout_s=1)
            return proc
        except OrderbookUnavailable:
            if proc.poll() is not None:
                raise RuntimeError(f"orderbook exited: {proc.stderr.read().decode() if proc.stderr else ''}") from None
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"orderbook did not answer within {timeout_s:.0f} s")
