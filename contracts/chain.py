"""The running local chain: an upstream anvil holding the world and the fork users talk to.

`up` builds (or reuses) the world's state file, starts an upstream anvil from it, mines a
block (so cheatcode edits at the fork height cannot leak), starts `anvil --fork-url` at
the upstream, refreshes the oracle feeds' timestamps on the fork, and records both PIDs
in `.keel/chain.json` so `down` can stop them — also after Ctrl-C or a failed start.
Passing `fork_url` instead forks a real network: no world is built, keel's contracts are
deployed onto the fork, and mainnet's `Deployment` is assumed (recorded, with keel's
contracts, in `.keel/external-fork-deployment.json`).
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from contracts import anvil, mainnet, world, world_spec
from contracts.deployment import Deployment
from keel.errors import ChainError, RefusedError, UsageError
from keel.paths import state_dir

DEFAULT_PORT = 8545


@dataclass(frozen=True)
class ChainHandle:
    fork: anvil.AnvilNode
    upstream: anvil.AnvilNode | None
    world_dir: str | None
    chain_id: int

    @property
    def rpc_url(self) -> str:
        return self.fork.url

    def world(self) -> world.World:
        if self.world_dir is None:
            raise UsageError("this chain forks an external network; it has no local world file")
        return world.load(Path(self.world_dir), self.rpc_url, self.chain_id)

    def pids(self) -> list[int]:
        return [n.pid for n in (self.fork, self.upstream) if n is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "fork": asdict(self.fork),
            "upstream": asdict(self.upstream) if self.upstream else None,
            "world_dir": self.world_dir,
            "chain_id": self.chain_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainHandle:
        up = data.get("upstream")
        return cls(
            fork=anvil.AnvilNode(**data["fork"]),
            upstream=anvil.AnvilNode(**up) if up else None,
            world_dir=data.get("world_dir"),
            chain_id=int(data["chain_id"]),
        )


def start(
    port: int | None = None,
    fork_url: str | None = None,
    fresh: bool = False,
    log_dir: Path | None = None,
    progress: world.Progress | None = None,
    fork_args: tuple[str, ...] = (),
) -> ChainHandle:
    """Start the world (or a fork of `fork_url`) and return its handle; leaves nothing running on error.

    `fork_args` go to the fork's anvil (e.g. `--disable-block-gas-limit` for a 1,000-intent bench).
    """
    if fork_url is not None:
        return _start_external_fork(port, fork_url, log_dir)
    say = progress or (lambda _stage: None)
    folder = world.ensure_built(progress=progress, force=fresh)
    say("starting the world's chain")
    upstream = anvil.start(load_state=folder / "state.json", log_dir=log_dir)
    try:
        # a fresh coinbase makes the fork block's hash unique to this start even within one second:
        # stored state is keyed by that hash (app.processes.chain_key), so a new chain starts clean
        anvil.rpc(upstream.url, "anvil_setCoinbase", ["0x" + secrets.token_hex(20)])
        anvil.rpc(upstream.url, "evm_mine")
        say("forking it")
        fork = anvil.start(port=port, fork_url=upstream.url, log_dir=log_dir, extra_args=fork_args)
    except BaseException:
        anvil.stop(upstream.pid)
        raise
    try:
        chain_id = int(str(anvil.rpc(fork.url, "eth_chainId")), 16)
        handle = ChainHandle(fork=fork, upstream=upstream, world_dir=str(folder), chain_id=chain_id)
        say("refreshing the oracle feeds")
        refresh_feeds(handle.world())
    except BaseException:
        stop(ChainHandle(fork=fork, upstream=upstream, world_dir=None, chain_id=0))
        raise
    return handle


def _start_external_fork(port: int | None, fork_url: str, log_dir: Path | None) -> ChainHandle:
    fork = anvil.start(port=port, fork_url=fork_url, log_dir=log_dir)
    try:
        chain_id = int(str(anvil.rpc(fork.url, "eth_chainId")), 16)
    except BaseException:
        anvil.stop(fork.pid)
        raise
    return ChainHandle(fork=fork, upstream=None, world_dir=None, chain_id=chain_id)


def refresh_feeds(w: world.World) -> None:
    """Re-publish each feed's answer at the fork's current time (a cached world's feeds are old)."""
    from contracts.artifacts import keel
    from contracts.feeds import read_round

    w3 = w.web3()
    feed_abi = keel("PriceFeed").abi
    for feed in w.deployment.feeds.values():
        answer = read_round(w3, feed.address).answer
        contract = w3.eth.contract(address=feed.address, abi=feed_abi)
        tx = contract.functions.setAnswer(answer).transact({"from": w.deployer.address})
        w3.eth.wait_for_transaction_receipt(tx)


def stop(handle: ChainHandle) -> None:
    for pid in handle.pids():
        anvil.stop(pid)


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[ChainHandle]:
    handle = start(**kwargs)
    try:
        yield handle
    finally:
        stop(handle)


# -- the background chain of `keel chain up|status|down` ----------------------------------

def _record_path() -> Path:
    return state_dir() / "chain.json"


def recorded() -> ChainHandle | None:
    path = _record_path()
    if not path.exists():
        return None
    try:
        return ChainHandle.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):
        return None


def up(port: int | None, fork_url: str | None, fresh: bool, progress: world.Progress | None = None) -> tuple[ChainHandle, str | None]:
    """Start the background chain; returns the handle and a note when the port had to change."""
    current = recorded()
    if current is not None and anvil.alive(current.fork.pid) and anvil.answers(current.rpc_url):
        raise RefusedError(f"a keel chain is already up at {current.rpc_url} (pid {current.fork.pid}): run `keel chain down` first")
    note = None
    if port is None:
        port = DEFAULT_PORT
        if anvil.port_in_use(port):
            note = f"port {DEFAULT_PORT} is in use; using a free port instead"
            port = anvil.free_port()
    log_dir = state_dir() / "logs"
    handle = start(port=port, fork_url=fork_url, fresh=fresh, log_dir=log_dir, progress=progress)
    try:
        if fork_url is not None:
            _deploy_keel_on_external_fork(handle)
        state_dir().mkdir(parents=True, exist_ok=True)
        tmp = _record_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(handle.to_json(), indent=2))
        tmp.replace(_record_path())
    except BaseException:
        stop(handle)
        raise
    return handle, note


def _external_fork_record() -> Path:
    return state_dir() / "external-fork-deployment.json"


def _deploy_keel_on_external_fork(handle: ChainHandle) -> None:
    from web3 import Web3

    from contracts import deploy

    w3 = Web3(Web3.HTTPProvider(handle.rpc_url))
    owner = w3.eth.accounts[world.DEPLOYER_INDEX]
    solvers = [w3.eth.accounts[i] for i in world.SOLVER_INDICES]
    deployment = mainnet.deployment(keel=deploy.deploy_keel(w3, owner, solvers))
    routers = [mainnet.UNISWAP.v2_router, mainnet.UNISWAP.swap_router]
    deploy.allow_routers(w3, deployment.settlement, owner, routers, list(mainnet.TOKENS.values()))
    deploy.list_pool_targets(w3, deployment.settlement, owner, mainnet.UNISWAP.v2_factory,
                             [(mainnet.TOKENS[p.a], mainnet.TOKENS[p.b]) for p in world_spec.V2_PAIRS])
    state_dir().mkdir(parents=True, exist_ok=True)
    _external_fork_record().write_text(json.dumps(deployment.to_json(), indent=2))


def current() -> ChainHandle:
    """The running background chain, or a one-line error saying how to start it."""
    handle = recorded()
    if handle is None:
        raise ChainError("no keel chain is up: run `keel chain up`")
    if not anvil.alive(handle.fork.pid) or not anvil.answers(handle.rpc_url):
        raise ChainError(f"the keel chain recorded at {handle.rpc_url} is not answering: run `keel chain down` then `keel chain up`")
    return handle


def current_world() -> world.World:
    handle = current()
    if handle.world_dir is None:
        path = _external_fork_record()
        deployment = (Deployment.from_json(json.loads(path.read_text()), str(path)) if path.exists()
                      else mainnet.deployment())
        return world.World(handle.rpc_url, handle.chain_id, deployment, (), world.anvil_account(0), ())
    return handle.world()


def status() -> dict[str, Any]:
    handle = recorded()
    if handle is None:
        return {"up": False}
    fork_ok = anvil.alive(handle.fork.pid) and anvil.answers(handle.rpc_url)
    info: dict[str, Any] = {
        "up": fork_ok,
        "rpc_url": handle.rpc_url,
        "chain_id": handle.chain_id,
        "fork_pid": handle.fork.pid,
        "upstream_pid": handle.upstream.pid if handle.upstream else None,
        "upstream_url": handle.upstream.url if handle.upstream else handle.fork.fork_url,
    }
    if fork_ok:
        info["block"] = int(str(anvil.rpc(handle.rpc_url, "eth_blockNumber")), 16)
    return info


def down() -> list[int]:
    """Stop the background chain by PID; returns the PIDs stopped (empty if none was up)."""
    handle = recorded()
    if handle is None:
        return []
    stop(handle)
    _record_path().unlink(missing_ok=True)
    return handle.pids()
