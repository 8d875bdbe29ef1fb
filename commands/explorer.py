"""`keel explorer`: rounds, solutions and intents in a browser, read from the CLI's own stores."""

from __future__ import annotations

import typer


def explorer(
    port: int = typer.Option(8090, "--port", help="1-65535."),
    host: str = typer.Option("127.0.0.1", "--host"),
    db: str = typer.Option(None, "--db", help="Auction database: sqlite file or postgresql:// URL (default: the auction db in KEEL_HOME for the running chain)."),
    orderbook_db: str = typer.Option(None, "--orderbook-db", help="Orderbook database (default: the orderbook db in KEEL_HOME for the running chain)."),
    rpc_url: str = typer.Option(None, "--rpc-url", help="Chain to read fills from (default: the running chain, if any)."),
) -> None:
    """Serve the auction explorer on http://HOST:PORT until Ctrl-C."""
    from app.processes import auction_db
    from app.processes import orderbook_db as default_orderbook
    from explorer.app import serve
    from explorer.chain import Fills, fills_reader
    from keel.errors import UsageError

    if not 1 <= port <= 65_535:
        raise UsageError(f"--port: {port} is outside 1-65535", "port")
    fills: Fills | None = None
    try:
        from contracts.chain import current_world

        world = current_world()
        if world.deployment.keel is not None:
            fills = fills_reader(rpc_url or world.rpc_url, world.deployment.keel.settlement)
    except Exception:
        fills = None  # no chain: the explorer still shows rounds and intents, without fills
    from commands.ports import ready

    ready(host, port, f"explorer on http://{host}:{port}" + ("" if fills else " (no chain: fills not shown)"))
    serve(host, port, orderbook_db or str(default_orderbook()), db or str(auction_db()), fills)


def register(app: typer.Typer) -> None:
    app.command("explorer")(explorer)
