"""`keel route`: route an order over the live pools (or a saved snapshot) and show the result."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer

from keel import render


def route_cmd(
    sell: list[str] = typer.Option(..., "--sell", help="What to sell: SYMBOL=AMOUNT in whole tokens (repeatable)."),
    buy: list[str] = typer.Option(..., "--buy", help="What to buy: SYMBOL, or SYMBOL=MINIMUM (repeatable)."),
    method: str = typer.Option("milp", "--method", help="milp | single-pool | single-path | split."),
    gas_gwei: float = typer.Option(None, "--gas-gwei", help="Gas price in gwei (default: the chain's; 20 offline).", min=0),
    solver: str = typer.Option("cbc", "--solver", help="The MILP engine: cbc | highs."),
    segments: int = typer.Option(8, "--segments", help="Tangent cuts per pool curve in the MILP.", min=1, max=64),
    max_hops: int = typer.Option(3, "--max-hops", help="Longest path, in pools.", min=1, max=4),
    time_limit: float = typer.Option(1.0, "--time-limit", help="MILP time limit in seconds.", min=0.05),
    snapshot: Path = typer.Option(None, "--snapshot", help="Route over a saved liquidity snapshot instead of the chain."),
    price: list[str] = typer.Option(None, "--price", help="With --snapshot: SYMBOL=USD reference prices (others from pools)."),
    save_snapshot: Path = typer.Option(None, "--save-snapshot", help="Write the liquidity read from the chain to this file."),
    plot: Path = typer.Option(None, "--plot", help="Also draw the route to this PNG file (tokens and pool hops)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Route an order with the integer program (or a baseline): hops, output, gas, gap to the bound."""
    from routing.errors import RoutingError
    from routing.problem import Demands
    from routing.route import route

    if method not in ("milp", "single-pool", "single-path", "split"):
        raise RoutingError(f"--method {method!r}: use milp, single-pool, single-path or split", "--method")
    if solver not in ("cbc", "highs"):
        raise RoutingError(f"--solver {solver!r}: use cbc or highs", "--solver")
    if plot is not None:
        from routing.plot import check_path

        check_path(plot, "--plot")  # refuse before the slow part, so a bad path writes nothing
    liq, prices, gas_wei = _inputs(snapshot, price or [], gas_gwei, save_snapshot, as_json)
    from routing.amounts import parse_amounts

    demands = Demands(parse_amounts(sell, liq, "--sell", True), parse_amounts(buy, liq, "--buy", False))
    # a spinner on a terminal only, never beside --json (the README's promise for progress)
    spinner = nullcontext() if as_json else render.stderr.status(f"routing with {method}…")
    with spinner:
        result = route(demands, liq, prices, method, gas_wei, max_hops=max_hops, segments=segments,
                       solver=solver, time_limit_s=time_limit)
    if plot is not None:
        _plot(result, liq, prices, plot)
    _render(result, liq, prices, as_json, plot)
    if plot is not None:
        render.status(f"route picture: {plot}")


def _plot(result: Any, liq: Any, prices: dict[str, int], path: Path) -> None:
    from routing.plot import compact, plot_route

    def whole(token: str, amount: int) -> str:
        return f"{compact(amount, liq.tokens[token].decimals)} {liq.symbol(token)}"

    sold = ", ".join(whole(t, a) for t, a in result.sold.items())
    got = ", ".join(whole(t, a) for t, a in result.delivered.items())
    with render.stderr.status("drawing the route…"):
        plot_route(result.hops, {a: t.symbol for a, t in liq.tokens.items()}, path,
                   f"keel route ({result.method}): {sold} → {got}",
                   {a: t.decimals for a, t in liq.tokens.items()}, prices)


def _inputs(snapshot: Path | None, price: list[str], gas_gwei: float | None,
            save: Path | None, as_json: bool = False) -> tuple[Any, dict[str, int], int]:
    from keel.units import USD_PRICE_SCALE
    from routing.amounts import mid_prices, parse_amounts
    from routing.errors import RoutingError, SnapshotError
    from routing.pools import Liquidity

    if snapshot is not None:
        if not snapshot.is_file():
            raise SnapshotError(f"--snapshot {snapshot}: no such file", "--snapshot")
        liq = Liquidity.loads(snapshot.read_text(), str(snapshot))
        known = {}
        for token, amount in parse_amounts(price, liq, "--price", True).items():
            # parse_amounts scaled the USD figure by the token's decimals: undo it to get USD per base unit
            known[token] = amount * USD_PRICE_SCALE // 10 ** (2 * liq.tokens[token].decimals)
        if not known:
            raise RoutingError("--snapshot needs at least one --price SYMBOL=USD to value the tokens", "--price")
        gas = int((20.0 if gas_gwei is None else gas_gwei) * 10**9)
        return liq, mid_prices(liq, known), gas
    from contracts.chain import current_world
    from routing import chain

    world = current_world()
    w3 = world.web3()
    from keel.progress import Steps
    from routing.discovery import DISCOVERY_STEPS

    # a bar past one second, on a terminal, never with --json (stdout stays one JSON document)
    with Steps("discovering pools", DISCOVERY_STEPS + 1, enabled=not as_json) as steps:
        liq = chain.snapshot(w3, world.deployment, progress=lambda done, _total, what: steps.update(done, what))
        prices = chain.oracle_prices(w3, world.deployment, liq)
        steps.update(DISCOVERY_STEPS + 1, f"{len(liq.pools)} pools read; oracle prices read")
    if save is not None:
        save.write_text(liq.dumps())
        render.status(f"snapshot of {len(liq.pools)} pools at block {liq.block} written to {save}")
    gas = int(gas_gwei * 10**9) if gas_gwei is not None else int(w3.eth.gas_price)
    return liq, prices, gas


def _human(amount: int, decimals: int) -> str:
    from decimal import Decimal

    return f"{Decimal(amount) / Decimal(10) ** decimals:,.6f}".rstrip("0").rstrip(".")


def _render(result: Any, liq: Any, prices: dict[str, int], as_json: bool, plot: Path | None = None) -> None:
    from keel.units import USD_PRICE_SCALE

    sym = liq.symbol
    usd = float(USD_PRICE_SCALE)  # amount × UsdPrice is USD × 1e36
    data = {
        "method": result.method,
        "status": result.status,
        "hops": [{**h.__dict__, "symbol_in": sym(h.token_in), "symbol_out": sym(h.token_out)} for h in result.hops],
        "sold": {sym(t): str(a) for t, a in result.sold.items()},
        "delivered": {sym(t): str(a) for t, a in result.delivered.items()},
        "value_out_usd": result.value_out / usd,
        "gas_units": result.gas_units,
        "gas_usd": result.gas_value / usd,
        "net_usd": result.net_value / usd,
        "bound_usd": None if result.bound_value is None else result.bound_value / usd,
        # a true upper bound: the convex relaxation's dual value over every pool and path (cycles too)
        "bound": None if result.bound_value is None else "convex relaxation over every pool and path, before gas",
        "gap_bps": result.gap_bps,
        "solve_time_s": result.solve_time_s,
        "notes": list(result.notes),
    }
    if plot is not None:
        data["plot"] = str(plot)
    if as_json:
        render.emit_json(data)
        return
    rows = [{
        "#": i + 1,
        "pool": f"{h.kind} {h.fee_pips / 10_000:g}% {h.pool[:10]}…",
        "in": f"{_human(h.amount_in, liq.tokens[h.token_in].decimals)} {sym(h.token_in)}",
        "out": f"{_human(h.amount_out, liq.tokens[h.token_out].decimals)} {sym(h.token_out)}",
        "ticks crossed": h.ticks_crossed if h.kind == "v3" else "",
    } for i, h in enumerate(result.hops)]
    render.stdout.print(render.table(rows, ["#", "pool", "in", "out", "ticks crossed"], title=f"route ({result.method})",
                                     justify_right=["in", "out"]))
    got = ", ".join(f"{_human(a, liq.tokens[t].decimals)} {sym(t)}" for t, a in result.delivered.items())
    summary = [
        {"": "delivered", "value": got},
        {"": "value delivered", "value": render.usd(data["value_out_usd"])},
        {"": "gas (estimated, at the gas price)", "value": f"{result.gas_units:,} gas = {render.usd(data['gas_usd'])}"},
        {"": "net of gas", "value": render.usd(data["net_usd"])},
        {"": "gap to the bound", "value": "n/a" if result.gap_bps is None else
         f"{result.gap_bps:.4f} bps below ${data['bound_usd']:,.2f}, the most any route over these pools "
         "(any length) can deliver before gas"},
        {"": "solve time", "value": f"{result.solve_time_s:.3f} s ({result.status})"},
    ]
    render.stdout.print(render.table(summary, ["", "value"]))
    for note in result.notes:
        render.status(f"note: {note}")


def register(app: typer.Typer) -> None:
    app.command("route")(route_cmd)
