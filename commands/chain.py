"""`keel chain up|status|down|world` and `keel contracts build`."""

from __future__ import annotations

import typer

from keel import render
from keel.progress import Steps

chain_app = typer.Typer(help="The local chain: the mainnet-shaped world and the fork you talk to.", no_args_is_help=True)
contracts_app = typer.Typer(help="keel's Solidity contracts.", no_args_is_help=True)


@chain_app.command("up")
def up(
    port: int = typer.Option(None, "--port", help="Port of the fork you talk to (default 8545, or a free one if busy).", min=1, max=65535),
    fork_url: str = typer.Option(None, "--fork-url", help="Fork this RPC instead of building the local world."),
    fresh: bool = typer.Option(False, "--fresh", help="Rebuild the world's state file even if cached."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Start anvil with the world, then a fork of it; print the RPC URL, chain id and addresses."""
    from contracts import chain

    if fork_url is not None:
        _check_fork(fork_url)
    with Steps("keel chain up", len(UP_STAGES), enabled=not as_json) as steps:
        handle, note = chain.up(port, fork_url, fresh, progress=lambda stage: _stage(steps, stage))
        steps.update(len(UP_STAGES), "up")
    if note:
        render.status(note)
    w = chain.current_world()
    data = {"rpc_url": handle.rpc_url, "chain_id": handle.chain_id, "pids": handle.pids(), **w.public()}
    rows = [{"name": k, "address": v} for k, v in w.deployment.labelled()]
    if not as_json:
        render.status(f"chain up: {handle.rpc_url} (chain id {handle.chain_id}); stop it with `keel chain down`")
    render.emit(data, as_json, rows=rows, columns=["name", "address"], title=f"world at {handle.rpc_url}")


# what `contracts.chain.start` reports, in order: the world's build stages (only when the world is
# built, not when its cached state is loaded), then the two anvils and the feeds
UP_STAGES = ("tokens", "Uniswap V2 and V3", "oracle feeds", "liquidity", "keel contracts", "users",
             "starting the world's chain", "forking it", "refreshing the oracle feeds")


def _stage(steps: Steps, stage: str) -> None:
    """A reported stage as the bar's position (an unknown one keeps the position, shows its name)."""
    done = UP_STAGES.index(stage) if stage in UP_STAGES else steps.completed
    building = UP_STAGES.index("starting the world's chain")
    steps.update(done, f"building the world: {stage}" if done < building else stage)


def _check_fork(url: str) -> None:
    """Before forking `url`: every mainnet contract keel reads (tokens, feeds, Uniswap) must have code there."""
    from contracts import mainnet
    from keel.errors import ChainError, UsageError

    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--fork-url: {url!r} is not an http(s) URL", "fork-url")
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 10}))
    try:
        chain_id = int(w3.eth.chain_id)
        missing = [label for label, address in mainnet.deployment().labelled()
                   if not label.startswith(("V2 ", "V3 ")) and not w3.eth.get_code(Web3.to_checksum_address(address))]
    except Exception as exc:  # requests/web3 raise many types for an unreachable or non-RPC URL
        raise ChainError(f"--fork-url: {url} does not answer JSON-RPC ({type(exc).__name__})", "fork-url") from None
    if missing:
        raise ChainError(f"--fork-url: chain {chain_id} at {url} lacks contracts keel needs: {', '.join(missing)} "
                         "(fork a mainnet RPC, or run `keel chain up` for the local world)", "fork-url")


@chain_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Is the chain up? Its URL, chain id, block and PIDs."""
    from contracts import chain

    info = chain.status()
    rows = [{"key": k, "value": v} for k, v in info.items()]
    render.emit(info, as_json, rows=rows, columns=["key", "value"], title="keel chain")
    if not info["up"]:
        raise typer.Exit(1)


@chain_app.command("down")
def down(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Stop the chain started by `keel chain up` (by PID)."""
    from contracts import chain

    pids = chain.down()
    if as_json:
        render.emit_json({"stopped": pids})
    else:
        render.status(f"stopped pids {', '.join(map(str, pids))}" if pids else "no keel chain was up")


@chain_app.command("world")
def world_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Addresses of everything deployed in the running world."""
    from contracts import chain

    w = chain.current_world()
    rows = [{"name": k, "address": v} for k, v in w.deployment.labelled()]
    rows += [{"name": f"user{i + 1}", "address": u.address} for i, u in enumerate(w.users)]
    render.emit(w.public(), as_json, rows=rows, columns=["name", "address"], title="world")


@contracts_app.command("build")
def build(force: bool = typer.Option(False, "--force", help="Recompile even if unchanged.")) -> None:
    """Compile contracts/src with the pinned npm solc (skipped when no source changed)."""
    from contracts.compile import build as compile_all

    names = compile_all(force=force)
    render.status(f"contracts: {len(names)} compiled artifacts up to date")


def register(app: typer.Typer) -> None:
    app.add_typer(chain_app, name="chain")
    app.add_typer(contracts_app, name="contracts")
