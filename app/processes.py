"""`keel up` / `keel down`: the chain, the orderbook, two solver nodes and the auctioneer in the background.

Each service is a `keel ...` subprocess in its own session (so stopping its process group
never reaches the caller), bound to a free 127.0.0.1 port, logging to `.keel/logs/<name>.log`.
Their PIDs, URLs and logs are written to `.keel/procs.json` as soon as each starts, so `down`
stops exactly what `up` started, by PID — also after a failed `up`. The chain is reused
when one is already up, and then left running by `down`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from contracts.anvil import last_line
from keel.errors import RefusedError, SetupError
from keel.paths import REPO_ROOT, state_dir

HEALTH_TIMEOUT_S = 60.0
ORDERBOOK_PORT = 8088  # `keel node serve`'s and the intent commands' default
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Service:
    name: str
    pid: int
    url: str | None
    log: str
    argv: list[str]


def procs_path() -> Path:
    return state_dir() / "procs.json"


def chain_key(rpc_url: str) -> str | None:
    """`<chain id>-<hash>` of the chain at `rpc_url`: the hash of its genesis block, or for a fork of the
    block it forked at (a fresh `keel chain up` forks a freshly mined block, so each new chain has a new key).
    None when the chain does not answer."""
    from web3 import Web3
    from web3.types import RPCEndpoint

    try:
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5}))
        try:
            info = w3.provider.make_request(RPCEndpoint("anvil_nodeInfo"), [])
            start = int(((info.get("result") or {}).get("forkConfig") or {}).get("forkBlockNumber") or 0)
        except Exception:  # not anvil: the genesis block names the chain
            start = 0
        return f"{int(w3.eth.chain_id)}-{bytes(w3.eth.get_block(start)['hash']).hex()[:16]}"
    except Exception:  # an unreachable chain has no key: state falls back to KEEL_HOME itself
        return None


def chain_state_dir() -> Path:
    """Where the orderbook and the auction keep the state of the chain `keel chain up` runs now:
    `<KEEL_HOME>/chains/<chain id>-<hash>/`, so a new chain starts clean and old rounds stay apart.
    KEEL_HOME itself when no chain is up."""
    from contracts import chain as chain_mod

    handle = chain_mod.recorded()
    key = chain_key(handle.rpc_url) if handle is not None else None
    if key is None:
        return state_dir()
    folder = state_dir() / "chains" / key
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def auction_db() -> Path:
    return chain_state_dir() / "auction.db"


def orderbook_db() -> Path:
    return chain_state_dir() / "orderbook.db"


def read_procs() -> dict[str, Any]:
    path = procs_path()
    if not path.exists():
        return {"services": [], "chain_started": False}
    try:
        state: dict[str, Any] = json.loads(path.read_text())
        return state
    except ValueError:
        return {"services": [], "chain_started": False}


def _write_procs(services: list[Service], chain_started: bool, registered: list[str] | None = None,
                 registry_db: str | None = None) -> None:
    state_dir().mkdir(parents=True, exist_ok=True)
    tmp = procs_path().with_suffix(".tmp")
    tmp.write_text(json.dumps({"services": [asdict(s) for s in services], "chain_started": chain_started,
                               "registered": registered or [], "registry_db": registry_db}, indent=2))
    tmp.replace(procs_path())


def recorded_orderbook() -> str | None:
    """The URL of the orderbook `keel up` started, if it is alive (intent commands talk to it by default)."""
    from contracts.anvil import alive

    for s in read_procs()["services"]:
        if s["name"] == "orderbook" and alive(int(s["pid"])):
            return str(s["url"])
    return None


def running_auctioneer() -> int | None:
    """The PID of the auctioneer `keel up` started, if it is alive: the lock a manual `auction run` respects."""
    from contracts.anvil import alive

    for s in read_procs()["services"]:
        if s["name"] == "auctioneer" and int(s["pid"]) != os.getpid() and alive(int(s["pid"])):
            return int(s["pid"])
    return None


def keel_argv(*args: str) -> list[str]:
    """The command line that runs `keel <args>` with this interpreter."""
    return [sys.executable, str(REPO_ROOT / "cli.py"), *args]


def spawn(name: str, args: list[str], url: str | None) -> Service:
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    argv = keel_argv(*args)
    env = {**os.environ, "KEEL_HOME": str(state_dir())}
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=os.getcwd(), env=env, start_new_session=True)
    return Service(name, proc.pid, url, str(log), argv)


def wait_healthy(service: Service, timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    from contracts.anvil import alive

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(service.pid):
            raise SetupError(f"{service.name} exited at start: {last_line(Path(service.log))} (log {service.log})")
        try:
            with urllib.request.urlopen(f"{service.url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SetupError(f"{service.name} did not answer {service.url}/health within {timeout_s:.0f}s (log {service.log})")


def up(interval_s: float, deadline_s: float, progress: Progress = lambda _m: None,
       auctioneer: bool = True, chain_port: int | None = None) -> dict[str, Any]:
    """Start everything; returns what `keel up --json` prints. Leaves nothing running on error.

    `auctioneer=False` leaves the rounds to the caller (the demo runs its one round itself).
    `chain_port` is the port of a chain this call starts (default 8545, or a free one if busy).
    """
    from contracts import anvil
    from contracts import chain as chain_mod

    if any(anvil.alive(s["pid"]) for s in read_procs()["services"]):
        raise RefusedError(f"keel is already up (see {procs_path()}): run `keel down` first")
    services: list[Service] = []
    chain_started = False
    try:
        handle = chain_mod.recorded()
        if handle is None or not anvil.alive(handle.fork.pid) or not anvil.answers(handle.rpc_url):
            progress("starting the chain")
            handle, _note = chain_mod.up(chain_port, None, False, progress=progress)
            chain_started = True
        world = chain_mod.current_world()
        from auction.auth import load_or_create

        auctioneer_address = load_or_create().address  # the key `keel auction run` and the demo sign with
        ports = {n: anvil.free_port() for n in ("orderbook", "baseline", "milp")}
        if not anvil.port_in_use(ORDERBOOK_PORT):
            ports["orderbook"] = ORDERBOOK_PORT  # where `keel intent submit|list|show` look by default
        progress("starting the orderbook")
        services.append(spawn("orderbook", ["node", "serve", "--port", str(ports["orderbook"]), "--db",
                                            str(orderbook_db())], f"http://127.0.0.1:{ports['orderbook']}"))
        _write_procs(services, chain_started)
        for i, strategy in enumerate(("baseline", "milp")):
            progress(f"starting the {strategy} solver")
            services.append(spawn(f"solver-{strategy}", [
                "solver", "serve", "--strategy", strategy, "--port", str(ports[strategy]),
                "--solver", world.solvers[i].address, "--rpc-url", world.rpc_url,
                "--auctioneer", auctioneer_address, "--settlement", world.settlement,
            ], f"http://127.0.0.1:{ports[strategy]}"))
            _write_procs(services, chain_started)
        for s in services:
            wait_healthy(s)
        registered, registry_db = _register(world, [str(s.url) for s in services[1:]])
        _write_procs(services, chain_started, registered, registry_db)  # so `down` deregisters exactly these
        if not auctioneer:
            return _summary(world, chain_started, services)
        progress("starting the auctioneer")
        metrics_port = anvil.free_port()  # the auctioneer's /metrics (it serves nothing else)
        services.append(spawn("auctioneer", [
            "auction", "run", "--rounds", "0", "--interval", str(interval_s), "--deadline", str(deadline_s),
            "--db", str(auction_db()), "--orderbook-db", str(orderbook_db()), "--metrics-port", str(metrics_port),
        ], f"http://127.0.0.1:{metrics_port}"))
        _write_procs(services, chain_started, registered, registry_db)
    except BaseException:
        down()
        raise
    return _summary(world, chain_started, services)


def _register(world: Any, urls: list[str]) -> tuple[list[str], str]:
    """Register each solver node with its world solver key; (the URLs registered, the registry db)."""
    from auction.registry import Registry

    registry_db = str(auction_db())
    registry = Registry(registry_db)
    try:
        for i, url in enumerate(urls):
            registry.register(world.solvers[i].address, url)
    finally:
        registry.close()
    return urls, registry_db


def _summary(world: Any, chain_started: bool, services: list[Service]) -> dict[str, Any]:
    return {"rpcUrl": world.rpc_url, "chainStarted": chain_started, "orderbook": services[0].url,
            "services": [asdict(s) for s in services], "logs": str(state_dir() / "logs")}


def down() -> dict[str, Any]:
    """Stop every service `up` recorded (by PID) and the chain if `up` started it."""
    from contracts import anvil
    from contracts import chain as chain_mod

    recorded = read_procs()
    stopped = []
    for s in reversed(recorded["services"]):
        if anvil.alive(int(s["pid"])):
            anvil.stop(int(s["pid"]))
            stopped.append({"name": s["name"], "pid": s["pid"]})
    deregistered = _deregister(recorded.get("registered", []), recorded.get("registry_db"))
    chain_pids: list[int] = []
    if recorded.get("chain_started"):
        chain_pids = chain_mod.down()
    procs_path().unlink(missing_ok=True)
    return {"stopped": stopped, "chainStopped": chain_pids, "deregistered": deregistered}


def _deregister(urls: list[str], db: str | None) -> list[str]:
    """Remove the solver endpoints `up` registered, so later rounds never try dead nodes."""
    if not urls or not db or not Path(db).exists():
        return []
    from auction.registry import Registry

    registry = Registry(db)
    try:
        known = {e.url for e in registry.all()}
        gone = [u for u in urls if u in known]
        for url in gone:
            registry.remove(url)
        return gone
    finally:
        registry.close()
