"""`keel solver serve|register|list`, `keel auction run|show|list`, `keel up`, `keel down`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from keel import render

solver_app = typer.Typer(help="Solver nodes: run one, register it with the auctioneer.", no_args_is_help=True)
auction_app = typer.Typer(help="Batch auctions: run rounds, inspect them.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")
DB = typer.Option(None, "--db", help="Auction database: sqlite file or postgresql:// URL (default .keel/auction.db).")


def _auction_db(db: str | None) -> str:
    from app.processes import auction_db

    return db or str(auction_db())


def _world_or_none() -> Any:
    from contracts.chain import current_world
    from keel.errors import KeelError

    try:
        return current_world()
    except KeelError:
        return None


@solver_app.command("serve")
def serve_cmd(
    strategy: str = typer.Option("milp", "--strategy", help="baseline, milp, or module:Class."),
    port: int = typer.Option(8701, "--port", help="1-65535."),
    host: str = typer.Option("127.0.0.1", "--host"),
    solver: str | None = typer.Option(None, "--solver", help="Settlement account (default: the world's first solver)."),
    rpc_url: str | None = typer.Option(None, "--rpc-url",
                                       help="Chain to send settlements to (default: the running chain)."),
    account: str = typer.Option(None, "--account", help="Sign settlements with this keystore account "
                                "(password: KEEL_PASSWORD or a prompt); default: the chain's unlocked account."),
    auctioneer: str | None = typer.Option(None, "--auctioneer", help="The only address whose signed requests "
                                          "the node serves (default: this project's auctioneer key)."),
    settlement: str | None = typer.Option(None, "--settlement", help="The only contract /settle sends to "
                                          "(default: the running chain's BatchSettlement)."),
    public_url: str | None = typer.Option(None, "--public-url", help="The URL the node is registered under, "
                                          "when the auctioneer reaches it by another name or through a proxy "
                                          "(requests are signed for that host:port)."),
    late: bool = typer.Option(False, "--ignore-deadline", hidden=True, help="Testing only: answer whenever done."),
) -> None:
    """Run a solver node (POST /solve, /notify, /settle; GET /health) until Ctrl-C."""
    _within(port, 1, 65535, "--port")
    from auction.node import serve
    from intents.errors import IntentError
    from solver.strategy import load

    chosen = load(strategy)
    private_key = None
    if account is not None:
        from commands.account import password
        from intents import keystore

        local = keystore.unlock(account, password(confirm=False))
        solver, private_key = solver or local.address, "0x" + bytes(local.key).hex()
        if solver.lower() != local.address.lower():
            raise IntentError(f"--solver: {solver} is not the keystore account {local.address}", "solver")
    if auctioneer is None:
        from auction.auth import load_or_create

        auctioneer = load_or_create().address
    if solver is None or rpc_url is None or settlement is None:
        world = _world_or_none()
        if solver is None:
            if world is None or not world.solvers:
                raise IntentError("--solver: no running chain to take a solver account from; pass --solver ADDRESS",
                                  "solver")
            solver = str(world.solvers[0].address)
        rpc_url = rpc_url or (world.rpc_url if world is not None else None)
        settlement = settlement or (world.deployment.keel.settlement if world is not None and world.deployment.keel
                                    else None)
    if settlement is None:
        raise IntentError("--settlement: no running chain to take BatchSettlement from; pass --settlement ADDRESS",
                          "settlement")
    from commands.ports import ensure_free

    ensure_free(host, port)
    render.status(f"solver node {chosen.name!r} on http://{host}:{port} (account {solver}, chain {rpc_url or 'none'}, "
                  f"auctioneer {auctioneer})")
    serve(chosen, solver, port, host, rpc_url, private_key=private_key, honour_deadline=not late,
          auctioneer=auctioneer, settlement=settlement,
          public_url=_public_url(public_url))


@solver_app.command("register")
def register_cmd(
    address: str = typer.Argument(..., help="The solver's settlement account."),
    url: str = typer.Option(..., "--url", help="The node's base URL, e.g. http://127.0.0.1:8701."),
    allow: bool = typer.Option(True, "--allow-list/--no-allow-list",
                               help="Also add ADDRESS to SolverAllowList on the local chain (as its owner)."),
    db: str = DB,
    as_json: bool = JSON,
) -> None:
    """Register a solver node with the auctioneer (and allow-list its account on the local chain).

    Prints the auctioneer address the node must be started with (`--auctioneer`): the node
    serves only requests that address signs. A node that is up and trusts another address
    is refused."""
    from auction.auth import load_or_create
    from auction.registry import Registry, allow_list, check_trusts

    ours = load_or_create().address
    check_trusts(url, ours)

    registry = Registry(_auction_db(db))
    try:
        endpoint = registry.register(address, url)
    finally:
        registry.close()
    listed = None
    if allow:
        world = _world_or_none()
        if world is None or world.deployment.keel is None:
            render.status("no local chain is up: registered without touching the allow-list")
        else:
            listed = allow_list(world.web3(), world.deployment.keel.allow_list, world.deployer.address,
                                endpoint.address)
    data = {**endpoint.public(), "auctioneer": ours, "allowListed": listed}
    render.emit(data, as_json, rows=[data], columns=["url", "address", "auctioneer", "allowListed"],
                title="registered")


@solver_app.command("list")
def list_cmd(db: str = DB, as_json: bool = JSON) -> None:
    """The registered solver nodes."""
    from auction.registry import Registry

    registry = Registry(_auction_db(db))
    try:
        rows = [e.public() for e in registry.all()]
    finally:
        registry.close()
    render.emit(rows, as_json, columns=["url", "address"], title="solvers")


@auction_app.command("run")
def run_cmd(
    rounds: int = typer.Option(1, "--rounds", help="Rounds to run (0: until Ctrl-C)."),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between rounds."),
    deadline: float = typer.Option(5.0, "--deadline", help="Seconds solvers get per auction."),
    db: str = DB,
    orderbook_db: str = typer.Option(None, "--orderbook-db", help="Orderbook database: sqlite file or postgresql:// URL (default .keel/orderbook.db)."),
    rpc_url: str = typer.Option(None, "--rpc-url", help="Default: the running chain."),
    metrics_port: int = typer.Option(0, "--metrics-port", help="Serve Prometheus /metrics on 127.0.0.1:PORT (0: off)."),
    max_tx_bytes: int = typer.Option(131_072, "--max-tx-bytes",
                                     help="Largest settlement transaction the chain's nodes accept (bytes; geth: 128 KiB)."),
    max_tx_gas: int = typer.Option(2**24, "--max-tx-gas",
                                   help="Most gas one transaction may use (EIP-7825: 2**24; capped at the block gas limit)."),
    as_json: bool = JSON,
) -> None:
    """Run auction rounds: snapshot, ask every registered solver, verify, simulate, settle the best.

    A round whose settlement would not fit one transaction (--max-tx-bytes, --max-tx-gas) is split
    into batches, each auctioned and settled in turn, until the round's transactions fill the
    chain's block gas limit; the intents left over wait for the next round, with that reason.

    Only one auctioneer per auction database: this one holds the `auctioneer` lease (a Postgres
    advisory lock, or a file lock beside sqlite) for as long as it runs, and stops if it loses it.
    """
    _within(rounds, 0, 10**9, "--rounds")
    _within(interval, 0, 86_400, "--interval")
    _within(deadline, 0.2, 600, "--deadline")
    _within(metrics_port, 0, 65_535, "--metrics-port")
    _within(max_tx_bytes, 4_096, 2**31, "--max-tx-bytes")
    _within(max_tx_gas, 1_000_000, 2**63, "--max-tx-gas")
    from app.processes import orderbook_db as default_orderbook
    from keel.db.lease import acquire_lease
    from keel.errors import UsageError

    _refuse_beside_keel_up(db)
    lease = acquire_lease(_auction_db(db), "auctioneer")
    exporter = _metrics_server(metrics_port) if metrics_port else None
    try:
        world = _world_or_none()
        if world is None:
            raise UsageError("--rpc-url: no keel chain is up; run `keel chain up` (or `keel up`)", "rpc_url")
        if rpc_url:
            world = world.with_rpc(rpc_url)
        auctioneer = _auctioneer(world, _auction_db(db), orderbook_db or str(default_orderbook()), deadline)
        auctioneer.max_tx_bytes, auctioneer.max_tx_gas = max_tx_bytes, max_tx_gas
        try:
            results = _run_rounds(auctioneer, lease, rounds, interval)
        finally:
            auctioneer.rounds.close()
            auctioneer.intents.close()
    finally:
        if exporter is not None:
            exporter.shutdown()
        lease.release()
    rows = [{**r, "gap to joint bound": "-" if r.get("gapToBoundUsd") is None else render.usd(r["gapToBoundUsd"])}
            for r in results]
    render.emit(results, as_json, rows=rows,
                columns=["round", "status", "intents", "winner", "gap to joint bound", "txHash"], title="rounds")


def _metrics_server(port: int) -> Any:
    """The auctioneer's /metrics on 127.0.0.1:port (it has no HTTP app of its own); a taken port is one line."""
    from keel.errors import UsageError
    from keel.metrics import serve_metrics

    try:
        server, _thread = serve_metrics(port)
    except OSError as exc:
        raise UsageError(f"--metrics-port: cannot listen on 127.0.0.1:{port} ({exc.strerror})", "metrics_port") from None
    return server


def _run_rounds(auctioneer: Any, lease: Any, rounds: int, interval: float) -> list[dict[str, Any]]:
    """`rounds` rounds (0: until Ctrl-C), `interval` s apart, each only while the lease is held."""
    import asyncio
    import time

    from keel.errors import KeelError, RefusedError

    results: list[dict[str, Any]] = []
    done = 0
    try:
        while rounds == 0 or done < rounds:
            if not lease.alive():
                raise RefusedError("lease: this auctioneer lost its lease (the database session ended); "
                                   "stopping so that two auctioneers never run the same round", "lease")
            try:
                result = asyncio.run(auctioneer.run_round())
            except KeelError as exc:
                if rounds != 0:
                    raise
                # a long-running auctioneer outlives a chain hiccup; the next round recovers this one
                render.status(f"round failed: {exc}")
                result = None
            done += 1
            if result is None:
                render.status(_waiting_on(auctioneer))
            else:
                summary = _summary(result)
                results.append(summary)
                render.status(f"round {result.round_id}: {result.status}, winner {result.winner or '-'}, "
                              f"tx {result.tx_hash or '-'}")
            if rounds == 0 or done < rounds:
                time.sleep(interval)
    except KeyboardInterrupt:
        render.status("stopped")
    return results


def _refuse_beside_keel_up(db: str | None) -> None:
    """`keel up`'s auctioneer holds this database's lease: say so, and how to run rounds by hand."""
    from app.processes import running_auctioneer

    busy = running_auctioneer()
    if busy is not None and not db_given(db):
        from keel.errors import RefusedError

        raise RefusedError(f"auctioneer: `keel up` runs rounds already (pid {busy}) and takes every intent first; "
                           "run `keel down` then `keel up --no-auctioneer` to run rounds by hand", "auctioneer")


def db_given(db: str | None) -> bool:
    """An explicit --db other than `keel up`'s own auction database does not compete with its auctioneer."""
    from app.processes import auction_db

    return db is not None and bool(db) and Path(db).resolve() != auction_db().resolve()


def _waiting_on(auctioneer: Any) -> str:
    """What an empty round waits on: no intents at all, or only ones no solver is registered to take."""
    registered = len(auctioneer.solvers()) if hasattr(auctioneer, "solvers") else None
    who = "" if registered is None else f"; {registered} solver(s) registered"
    return ("no open intents: waiting for one (`keel intent weights … --submit`, or `keel intent submit FILE`)"
            f"{who}")


def _auctioneer(world: Any, db: str, orderbook_db: str, deadline: float) -> Any:
    from auction.auctioneer import Auctioneer
    from auction.auth import load_or_create
    from auction.registry import Registry
    from auction.rounds import RoundStore
    from auction.snapshot import WorldView
    from orderbook.store import open_store

    registry = Registry(db)
    return Auctioneer(world.web3(), WorldView(world.chain_id, world.deployment),
                      open_store(orderbook_db), RoundStore(db), registry.all, deadline_s=deadline,
                      signer=load_or_create())


def _summary(result: Any) -> dict[str, Any]:
    from auction.auctioneer import candidate_row

    return {"round": result.round_id, "status": str(result.status), "intents": len(result.intents),
            "winner": result.winner, "txHash": result.tx_hash, "txHashes": list(result.tx_hashes),
            "batches": [b.round_id for b in result.batches], "waiting": dict(result.deferred),
            **_gap_to_bound(result),
            "candidates": [candidate_row(c).public() for c in result.candidates]}


def _gap_to_bound(result: Any) -> dict[str, Any]:
    from app.demo import gap_to_bound

    return gap_to_bound(result)


@auction_app.command("show")
def show_cmd(round_id: int = typer.Argument(..., help="Round number (see `keel auction list`)."),
             db: str = DB, as_json: bool = JSON) -> None:
    """One round: each solver's score, gas and verdict, and why."""
    from auction.rounds import RoundStore

    store = RoundStore(_auction_db(db))
    try:
        record = store.get(round_id)
    finally:
        store.close()
    rows = [_candidate_row(c) for c in record.candidates]
    kept = record.settlement  # stored when the round settled: shown, never recomputed
    title = (f"round {record.id} at block {record.block}: {record.status}, {len(record.intents)} intents"
             + (f", tx {record.tx_hash}" if record.tx_hash else "")
             + (f", {kept.gas_used:,} gas used on chain" if kept else "")
             + (_saving_words(kept.saved_usd) if kept and kept.saved_usd is not None else "")
             + (_gap_words(kept.gap_to_bound_usd, kept.joint_bound_usd)
                if kept and kept.gap_to_bound_usd is not None and kept.joint_bound_usd is not None else "")
             + (f" — {record.note}" if record.note else ""))
    render.emit(record.public(), as_json, rows=rows,
                columns=["solver", "strategy", "score (USD)", "gas (simulated)", "verdict", "why", "reason"],
                title=title, justify_right=["score (USD)", "gas (simulated)"])


def _saving_words(saved_usd: float) -> str:
    """The stored saving in the round's title; a batch that cost more than alone is said so."""
    if saved_usd >= 0:
        return f", {render.usd(saved_usd)} saved against each intent routed alone"
    return f", {render.usd(-saved_usd)} more than each intent routed alone"


def _gap_words(gap_usd: float, bound_usd: float) -> str:
    """The winner's distance to keel's joint bound for the batch (docs/scoring.md), in the round's title."""
    return f", score {render.usd(gap_usd)} below keel's joint bound of {render.usd(bound_usd)}"


def _candidate_row(c: Any) -> dict[str, Any]:
    """One candidate as a table row: the verdict, the drop reason's code (`why`), the sentence."""
    return {"solver": c.solver_url, "strategy": c.strategy, "score (USD)": _usd(c.score),
            "gas (simulated)": None if c.gas is None else f"{c.gas:,}",
            "verdict": str(c.verdict), "why": "-" if c.drop_reason is None else str(c.drop_reason), "reason": c.reason}


@auction_app.command("list")
def list_rounds_cmd(limit: int = typer.Option(20, "--limit", help="1-1000."), db: str = DB, as_json: bool = JSON) -> None:
    """The latest rounds."""
    _within(limit, 1, 1000, "--limit")
    from auction.rounds import RoundStore

    store = RoundStore(_auction_db(db))
    try:
        records = store.list(limit)
    finally:
        store.close()
    rows = [{"round": r.id, "block": r.block, "status": str(r.status), "intents": len(r.intents),
             "candidates": len(r.candidates), "winner": r.winner, "txHash": r.tx_hash} for r in records]
    render.emit([r.public() for r in records], as_json, rows=rows,
                columns=["round", "block", "status", "intents", "candidates", "winner", "txHash"], title="rounds")


def _within(value: float, low: float, high: float, flag: str) -> None:
    """typer's own range errors escape the CLI boundary; check here and name the flag."""
    from keel.errors import UsageError

    if not low <= value <= high:
        raise UsageError(f"{flag}: {value} is outside [{low:g}, {high:g}]")


def _usd(value: int | None) -> str | None:
    return None if value is None else f"${value / 1e18:,.2f}"


def up_cmd(
    interval: float = typer.Option(5.0, "--interval", help="Seconds between auction rounds."),
    deadline: float = typer.Option(5.0, "--deadline", help="Seconds solvers get per auction."),
    no_auctioneer: bool = typer.Option(False, "--no-auctioneer",
                                       help="Start no background rounds: run them yourself with `keel auction run`."),
    as_json: bool = JSON,
) -> None:
    """Start the chain, the orderbook, two solver nodes (baseline, milp) and the auctioneer in the background."""
    _within(interval, 0, 86_400, "--interval")
    _within(deadline, 0.2, 600, "--deadline")
    from app.processes import up

    with render.stderr.status("starting keel…") as spinner:
        info = up(interval, deadline, progress=lambda m: spinner.update(f"{m}…"), auctioneer=not no_auctioneer)
    rows = [{"service": s["name"], "pid": s["pid"], "url": s["url"], "log": s["log"]} for s in info["services"]]
    if not as_json:
        render.status(f"keel is up on {info['rpcUrl']}; orderbook {info['orderbook']}; stop with `keel down`")
    render.emit(info, as_json, rows=rows, columns=["service", "pid", "url", "log"], title="keel up")


def down_cmd(as_json: bool = JSON) -> None:
    """Stop everything `keel up` started, by PID."""
    from app.processes import down

    info = down()
    if as_json:
        render.emit_json(info)
    else:
        names = ", ".join(f"{s['name']} ({s['pid']})" for s in info["stopped"])
        gone = f"; deregistered {', '.join(info['deregistered'])}" if info.get("deregistered") else ""
        render.status(f"stopped {names or 'nothing'}" + (", and the chain" if info["chainStopped"] else "") + gone)


def register(app: typer.Typer) -> None:
    app.add_typer(solver_app, name="solver")
    app.add_typer(auction_app, name="auction")
    app.command("up")(up_cmd)
    app.command("down")(down_cmd)


def _public_url(url: str | None) -> str | None:
    """--public-url checked like a registered URL (http(s), a host), or None."""
    if url is None:
        return None
    from auction.registry import check_url

    return check_url(url)
