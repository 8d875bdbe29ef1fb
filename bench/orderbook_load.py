"""Bench: 1,000 signed intents POSTed concurrently to real orderbook processes on loopback,
on sqlite and on Postgres, with 1 and with 4 orderbook processes sharing the store.

For each configuration: start the store (a fresh sqlite file, or a fresh database on a local
Postgres server this bench starts and stops — `keel.db.localpg`, fsync on), start P
`keel node serve` subprocesses on it, sign N intents for a few owners — a share of them
deliberately bad (signed by the wrong key, expired, or an exact replay of another) — and fire
them all at once over HTTP, round-robin over the P processes, with a bounded connection pool
and an overall deadline. Every answer must be a 201 or a 4xx keel error body naming a field;
afterwards the store is read directly and must hold exactly the accepted ids (0 lost).

Prints accepted intents per second over HTTP per configuration, its ratio to sqlite with one
process (the baseline, measured in the same run on the same intents), and EIP-712 signature
checks per second in-process (`intents.signing.verify_intent`) with the baseline's ratio to it:
the share of a node's time that is not signature recovery.

    .venv/bin/python bench/orderbook_load.py [--intents 1000] [--concurrency 64]
        [--backends sqlite,postgres] [--processes 1,4] [--json]
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
    backend: str
    processes: int
    intents: int
    accepted: int
    rejected: int
    expected_accepted: int
    rejected_by_kind: dict[str, int]
    expected_rejections: dict[str, int]
    stored: int
    lost: int  # acknowledged but not in the store
    unexpected: list[str]  # answers that are neither 201 nor a 4xx keel error body
    wall_s: float
    accepted_per_s: float
    sig_checks_per_s: float
    statuses: dict[str, int] = field(default_factory=dict)
    stored_per_s: float = 0.0  # the same rate by the store's own commit stamps (first to last)


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


def start_orderbook(port: int, db: str, home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KEEL_HOME": str(home)}
    env.pop("KEEL_CONFIG", None)
    env.pop("KEEL_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "cli.py", "node", "serve", "--port", str(port), "--db", db,
         "--chain-id", str(CHAIN_ID), "--settlement", SETTLEMENT],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
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
    raise RuntimeError("orderbook did not answer within 30 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def fire(urls: list[str], bodies: list[dict[str, Any]], concurrency: int,
               deadline_s: float) -> list[tuple[int, Any]]:
    """POST every body at once (at most `concurrency` in flight), body k to urls[k % len(urls)];
    (status, parsed body) each, in order."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=deadline_s)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def one(url: str, body: dict[str, Any]) -> tuple[int, Any]:
            try:
                async with session.post(url + "/intents", json=body) as resp:
                    text = await resp.text()
                    try:
                        return resp.status, json.loads(text)
                    except ValueError:
                        return resp.status, text
            except (TimeoutError, aiohttp.ClientError) as exc:
                return 0, f"{type(exc).__name__}: {exc}"

        return await asyncio.wait_for(
            asyncio.gather(*(one(urls[k % len(urls)], b) for k, b in enumerate(bodies))), deadline_s)


def is_error_body(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"error", "kind", "field"} and bool(body["error"])


def read_store(location: str) -> tuple[set[str], float]:
    """Every intent id in the store, read behind the orderbook's back, and the span of their
    `created_at` stamps (first to last commit, seconds): a server-side clock for the rate."""
    query = "SELECT id, created_at FROM intents"
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as conn:
            rows = conn.execute(query).fetchall()
    else:
        with sqlite3.connect(f"file:{location}?mode=ro", uri=True) as conn:
            rows = conn.execute(query).fetchall()
    stamps = [float(r[1]) for r in rows]
    return {r[0] for r in rows}, (max(stamps) - min(stamps)) if len(stamps) > 1 else 0.0


def run(n: int = 1000, concurrency: int = 64, deadline_s: float = 120.0, workdir: Path | None = None,
        sig_sample: int | None = None, backend: str = "sqlite", processes: int = 1, pg: Any = None,
        prepared: tuple[list[dict[str, Any]], list[Any], dict[str, int], float] | None = None) -> LoadResult:
    """One configuration of the bench. `pg`: a running `LocalPostgres` (started here if needed);
    `prepared`: `prepare(...)`'s output, to reuse the same intents across configurations."""
    bodies, valid, expected_kinds, checks = prepared or prepare(n, sig_sample)
    own_pg = pg is None and backend == "postgres"
    if own_pg:
        from keel.db.localpg import start_local_postgres

        pg = start_local_postgres()
    try:
        with tempfile.TemporaryDirectory(prefix="keel-load-") as tmp:
            folder = Path(workdir or tmp)
            location = (pg.create_database(f"load_{os.getpid()}_{processes}_{time.monotonic_ns()}")
                        if backend == "postgres" else str(folder / "orderbook.db"))
            answers, wall = _burst(location, folder, processes, bodies, concurrency, deadline_s)
            stored, span = read_store(location)
    finally:
        if own_pg:
            pg.stop()
    result = _result(backend, processes, bodies, valid, expected_kinds, checks, answers, wall, stored)
    result.stored_per_s = len(stored) / span if span > 0 else 0.0
    return result


def prepare(n: int, sig_sample: int | None = None) -> tuple[list[dict[str, Any]], list[Any], dict[str, int], float]:
    """The signed bodies (valid and bad), the valid ones, the rejections expected, signature checks/s."""
    bodies, valid, expected_kinds = make_bodies(n)
    return bodies, valid, expected_kinds, sig_checks_per_s(valid[:sig_sample] if sig_sample else valid)


def _burst(location: str, folder: Path, processes: int, bodies: list[dict[str, Any]], concurrency: int,
           deadline_s: float) -> tuple[list[tuple[int, Any]], float]:
    """Start the orderbooks on `location`, fire every body at them, stop them; (answers, wall seconds)."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ports = [free_port() for _ in range(processes)]
        for k, port in enumerate(ports):
            home = folder / f"node-{k}"
            home.mkdir(exist_ok=True)
            procs.append(start_orderbook(port, location, home))
        start = time.perf_counter()
        answers = asyncio.run(fire([f"http://127.0.0.1:{p}" for p in ports], bodies, concurrency, deadline_s))
        return answers, time.perf_counter() - start
    finally:
        for proc in procs:
            stop(proc)


def _result(backend: str, processes: int, bodies: list[dict[str, Any]], valid: list[Any],
            expected_kinds: dict[str, int], checks: float, answers: list[tuple[int, Any]], wall: float,
            stored: set[str]) -> LoadResult:
    accepted = {b["id"] for s, b in answers if s == 201}
    unexpected = [f"{s}: {b}"[:200] for s, b in answers if s != 201 and not (400 <= s < 500 and is_error_body(b))]
    kinds = Counter(f"{b['kind']}({b['field']})" for s, b in answers if 400 <= s < 500 and is_error_body(b))
    return LoadResult(
        backend=backend, processes=processes, intents=len(bodies), accepted=len(accepted),
        rejected=sum(kinds.values()), expected_accepted=len(valid), rejected_by_kind=dict(kinds),
        expected_rejections=expected_kinds, stored=len(stored), lost=len(accepted - stored), unexpected=unexpected,
        wall_s=wall, accepted_per_s=len(accepted) / wall, sig_checks_per_s=checks,
        statuses={str(k): v for k, v in Counter(s for s, _ in answers).items()},
    )


def ok(result: LoadResult) -> bool:
    return (result.lost == 0 and not result.unexpected and result.accepted == result.expected_accepted
            and result.stored == result.accepted and result.rejected_by_kind == result.expected_rejections)


def run_matrix(n: int, concurrency: int, deadline_s: float, backends: list[str], processes: list[int],
               repeat: int = 1) -> list[list[LoadResult]]:
    """Every (backend, processes) pair on the same intents, `repeat` rounds interleaved (so a
    burst of load from elsewhere on the machine hits every configuration alike); per pair, its
    runs. sqlite x 1 comes first: the baseline."""
    prepared = prepare(n)
    configs = [("sqlite", 1)] + [(b, p) for b in backends for p in processes if (b, p) != ("sqlite", 1)]
    pg = None
    if "postgres" in backends:
        from keel.db.localpg import start_local_postgres

        pg = start_local_postgres()
    runs: list[list[LoadResult]] = [[] for _ in configs]
    try:
        for _ in range(repeat):
            for k, (b, p) in enumerate(configs):
                runs[k].append(run(n, concurrency, deadline_s, backend=b, processes=p, pg=pg, prepared=prepared))
        return runs
    finally:
        if pg is not None:
            pg.stop()


def median_run(runs: list[LoadResult]) -> LoadResult:
    """The run with the median accepted/s (the lower middle for an even count)."""
    return sorted(runs, key=lambda r: r.accepted_per_s)[(len(runs) - 1) // 2]


def _csv(kind: type, text: str) -> list[Any]:
    return [kind(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds for each burst")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--processes", default="1,4", help="orderbook processes per store, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the median run is shown")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.intents <= 100_000:
        parser.error("--intents: between 1 and 100000")
    backends, processes = _csv(str, args.backends), _csv(int, args.processes)
    if not set(backends) <= {"sqlite", "postgres"} or not backends:
        parser.error("--backends: sqlite, postgres or both")
    if not processes or not all(1 <= p <= 16 for p in processes):
        parser.error("--processes: each between 1 and 16")
    if not 1 <= args.repeat <= 20:
        parser.error("--repeat: between 1 and 20")
    runs = run_matrix(args.intents, args.concurrency, args.deadline, backends, processes, args.repeat)
    if args.json:
        print(json.dumps([[asdict(r) for r in rs] for rs in runs], indent=2))
    else:
        _print(runs, args.concurrency)
    return 0 if all(ok(r) for rs in runs for r in rs) else 1


def _print(runs: list[list[LoadResult]], concurrency: int) -> None:
    base = median_run(runs[0])
    print(f"orderbook load: {base.intents} intents ({base.expected_accepted} valid; bad: "
          + ", ".join(f"{k} x{v}" for k, v in sorted(base.expected_rejections.items()))
          + f"), {concurrency} connections, loopback, median of {len(runs[0])} interleaved runs")
    print(f"{'backend':<9} {'procs':>5} {'accepted':>8} {'stored':>6} {'lost':>4} {'unexpected':>10} "
          f"{'accepted/s':>10} {'range':>11} {'vs sqlite x1':>12} {'store-side/s':>12}  ok")
    for rs in runs:
        r = median_run(rs)
        rates = sorted(x.accepted_per_s for x in rs)
        print(f"{r.backend:<9} {r.processes:>5} {r.accepted:>8} {r.stored:>6} {sum(x.lost for x in rs):>4} "
              f"{sum(len(x.unexpected) for x in rs):>10} {r.accepted_per_s:>10,.0f} "
              f"{f'{rates[0]:,.0f}-{rates[-1]:,.0f}':>11} {r.accepted_per_s / base.accepted_per_s:>11.2f}x "
              f"{r.stored_per_s:>12,.0f}  {'yes' if all(ok(x) for x in rs) else 'NO'}")
    print("accepted/s: 201s over the client's wall clock of the burst; store-side/s: stored rows over "
          "the span of their commit stamps (a second clock, the server's); lost and unexpected: over all runs")
    print(f"signature checks/s in-process: {base.sig_checks_per_s:,.0f}; sqlite x1 HTTP acceptance runs at "
          f"{base.accepted_per_s / base.sig_checks_per_s:.2f}x the bare check "
          "(the rest is parsing, validation and the durable insert)")


if __name__ == "__main__":
    sys.exit(main())
