"""Bench: 1,000 signed intents POSTed concurrently to a real orderbook process on loopback.

Starts `keel node serve` (a subprocess, its own sqlite file), signs N intents for a few
owners — a share of them deliberately bad (signed by the wrong key, expired, or an exact
replay of another) — and fires them all at once over HTTP with a bounded connection pool
and an overall deadline. Every answer must be a 201 or a 4xx keel error body naming a
field; afterwards the sqlite file is read directly and must hold exactly the accepted ids.

Prints accepted intents per second over HTTP and, measured in the same run on the same
intents, EIP-712 signature checks per second in-process (`intents.signing.verify_intent`),
and their ratio: the share of the node's time that is not signature recovery.

    .venv/bin/python bench/orderbook_load.py [--intents 1000] [--concurrency 64] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHAIN_ID = 31337
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
OWNERS = 100  # 10 intents each: under the orderbook's per-owner cap of open intents (16)
BAD_EVERY = 25  # one in 25 of each kind of bad intent: wrong key, expired, replay


@dataclass
class LoadResult:
    intents: int
    accepted: int
    rejected: int
    expected_accepted: int
    rejected_by_kind: dict[str, int]
    expected_rejections: dict[str, int]
    stored: int
    lost: int  # acknowledged but not in sqlite
    unexpected: list[str]  # answers that are neither 201 nor a 4xx keel error body
    wall_s: float
    accepted_per_s: float
    sig_checks_per_s: float
    statuses: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WRONG_KEY, EXPIRED, REPLAY = "SignatureError(signature)", "ExpiredError(intent.validTo)", "DuplicateIntent(id)"


def make_bodies(n: int) -> tuple[list[dict[str, Any]], list[Any], dict[str, int]]:
    """N wire bodies; returns (bodies, the distinct valid SignedIntents, the rejections expected by kind)."""
    from eth_account import Account

    from intents.model import Intent, IntentKind
    from intents.signing import sign_intent
    from intents.wire import SignedIntentModel

    owners = [Account.from_key((i + 1).to_bytes(32, "big")) for i in range(OWNERS)]
    stranger = Account.from_key((999).to_bytes(32, "big"))
    now = int(time.time())
    bodies: list[dict[str, Any]] = []
    valid: list[Any] = []
    last_valid: dict[str, Any] | None = None
    expected: Counter[str] = Counter()
    for k in range(n):
        owner = owners[k % OWNERS]
        kind = k % BAD_EVERY
        if kind == 2 and last_valid is not None:
            bodies.append(last_valid)  # an exact replay of a valid body: one of the two gets a 409
            expected[REPLAY] += 1
            continue
        intent = Intent(owner=owner.address, tokens=(USDC, WETH), min_price=(10**18, 2_900 * 10**6),
                        max_price=(10**18, 3_100 * 10**6), kind=IntentKind.WEIGHTS,
                        target_weight_bps=(5000, 5000), tolerance_bps=50, max_fee_bps=30,
                        valid_to=now - 60 if kind == 1 else now + 3600, nonce=k)
        signed = sign_intent(intent, stranger.key if kind == 0 else owner.key, CHAIN_ID, SETTLEMENT)
        bodies.append(SignedIntentModel.from_signed(signed, CHAIN_ID).model_dump(mode="json"))
        if kind == 0:
            expected[WRONG_KEY] += 1
        elif kind == 1:
            expected[EXPIRED] += 1
        else:
            valid.append(signed)
            last_valid = bodies[-1]
    return bodies, valid, dict(expected)


def sig_checks_per_s(signed: list[Any]) -> float:
    from intents.signing import verify_intent

    start = time.perf_counter()
    for s in signed:
        verify_intent(s, CHAIN_ID, SETTLEMENT)
    return len(signed) / (time.perf_counter() - start)


def start_orderbook(port: int, db: Path, home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KEEL_HOME": str(home)}
    env.pop("KEEL_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "cli.py", "node", "serve", "--port", str(port), "--db", str(db),
         "--chain-id", str(CHAIN_ID), "--settlement", SETTLEMENT],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"orderbook exited: {err}") from None
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError("orderbook did not answer within 20 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def fire(url: str, bodies: list[dict[str, Any]], concurrency: int, deadline_s: float) -> list[tuple[int, Any]]:
    """POST every body at once (at most `concurrency` in flight); (status, parsed body) each, in order."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=deadline_s)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def one(body: dict[str, Any]) -> tuple[int, Any]:
            try:
                async with session.post(url + "/intents", json=body) as resp:
                    text = await resp.text()
                    try:
                        return resp.status, json.loads(text)
                    except ValueError:
                        return resp.status, text
            except (TimeoutError, aiohttp.ClientError) as exc:
                return 0, f"{type(exc).__name__}: {exc}"

        return await asyncio.wait_for(asyncio.gather(*(one(b) for b in bodies)), deadline_s)


def is_error_body(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"error", "kind", "field"} and bool(body["error"])


def run(n: int = 1000, concurrency: int = 64, deadline_s: float = 120.0, workdir: Path | None = None,
        sig_sample: int | None = None) -> LoadResult:
    """The whole bench; `sig_sample` limits how many signatures the in-process check times."""
    bodies, valid, expected_kinds = make_bodies(n)
    checks = sig_checks_per_s(valid[:sig_sample] if sig_sample else valid)
    with tempfile.TemporaryDirectory(prefix="keel-load-") as tmp:
        folder = Path(workdir or tmp)
        db, port = folder / "orderbook.db", free_port()
        proc = start_orderbook(port, db, folder)
        try:
            start = time.perf_counter()
            answers = asyncio.run(fire(f"http://127.0.0.1:{port}", bodies, concurrency, deadline_s))
            wall = time.perf_counter() - start
        finally:
            stop(proc)
        accepted = {b["id"] for s, b in answers if s == 201}
        unexpected = [f"{s}: {b}"[:200] for s, b in answers if s != 201 and not (400 <= s < 500 and is_error_body(b))]
        kinds = Counter(f"{b['kind']}({b['field']})" for s, b in answers if 400 <= s < 500 and is_error_body(b))
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            stored = {r[0] for r in conn.execute("SELECT id FROM intents")}
    return LoadResult(
        intents=n, accepted=len(accepted), rejected=sum(kinds.values()), expected_accepted=len(valid),
        rejected_by_kind=dict(kinds), expected_rejections=expected_kinds, stored=len(stored), lost=len(accepted - stored), unexpected=unexpected,
        wall_s=wall, accepted_per_s=len(accepted) / wall, sig_checks_per_s=checks,
        statuses={str(k): v for k, v in Counter(s for s, _ in answers).items()},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds for the whole burst")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.intents <= 100_000:
        parser.error("--intents: between 1 and 100000")
    result = run(args.intents, args.concurrency, args.deadline)
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(f"orderbook load: {result.intents} intents, {args.concurrency} connections, loopback")
        print(f"  accepted {result.accepted} (expected {result.expected_accepted}), rejected {result.rejected}: "
              + ", ".join(f"{k} x{v}" for k, v in sorted(result.rejected_by_kind.items())))
        print(f"  in sqlite afterwards: {result.stored}; acknowledged but lost: {result.lost}; "
              f"unexpected answers: {len(result.unexpected)}")
        print(f"  accepted intents/s over HTTP: {result.accepted_per_s:,.0f}  (burst took {result.wall_s:.2f} s)")
        print(f"  signature checks/s in-process: {result.sig_checks_per_s:,.0f}")
        print(f"  ratio: HTTP acceptance runs at {result.accepted_per_s / result.sig_checks_per_s:.2f}x "
              "the bare signature check (the rest is parsing, validation and the fsync'd insert)")
    ok = (result.lost == 0 and not result.unexpected and result.accepted == result.expected_accepted
          and result.rejected_by_kind == result.expected_rejections)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
