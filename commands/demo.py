"""`keel demo`: the README's first command — one batch auction told end to end."""

from __future__ import annotations

from typing import Any

import typer

from keel import render


def demo(
    port: int = typer.Option(None, "--port", min=1, max=65535,
                             help="Port of the demo's chain (default 8545, or a free one if busy)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Start the stack, have four users sign outcomes, let two solvers compete, settle, show it, stop."""
    from app.demo import run

    with render.stderr.status("keel demo…") as spinner:
        report = run(lambda m: spinner.update(f"{m}…"), chain_port=port)
    if as_json:
        render.emit_json(report)
        return
    _show(report)


def _show(r: Any) -> None:
    out = render.stdout
    out.print(f"\n[bold]keel demo[/] — one batch auction on a local mainnet-shaped chain ({r.rpc_url})\n")
    out.print(render.table(r.intents, ["user", "kind", "outcome"], title="1. Users sign outcomes, not swaps"))
    for entry in r.intents:
        out.print(_portfolio(r, entry))
    rows = [{**c, "score_usd": "-" if c["score_usd"] is None else f"${c['score_usd']:,.2f}",
             "matched_share": "-" if c["matched_share"] is None else f"{c['matched_share']:.0%}",
             "gas (simulated)": "-" if c["gas"] is None else f"{c['gas']:,}"} for c in r.candidates]
    out.print(render.table(rows, ["strategy", "solver", "intents", "matched_share", "score_usd", "gas (simulated)", "verdict",
                                  "reason"], title=f"3. Round {r.round.get('id')}: the competing solutions",
                           justify_right=["score_usd", "gas (simulated)"]))
    won = next((c for c in r.candidates if c["verdict"] == "settled"), None)
    if won:
        out.print(f"[bold green]Winner:[/] the {won['strategy']} solver settled {won['intents']} intents in one "
                  f"transaction {r.round.get('txHash')}: {r.round.get('gasUsed', 0):,} gas used on chain.")
    else:
        out.print(f"[bold red]No solution settled[/] (round status {r.round.get('status')}).")
    if r.round.get("jointBoundUsd") is not None:
        out.print(f"[bold]Gap to keel's joint bound:[/] ${r.round['gapToBoundUsd']:,.2f} below "
                  f"${r.round['jointBoundUsd']:,.2f}, the most any settlement of this batch could score.")
    s = r.savings
    if s:
        out.print(f"[bold]Netting:[/] {s['matched_share']:.0%} of the traded volume was matched between users at one "
                  f"uniform price. Cost to users, pools and gas included: ${s['batch_cost_usd']:,.2f} in this batch, "
                  f"against ${s['alone_cost_usd']:,.2f} with each intent on its own best route (split over every pool and "
                  f"path) — [bold]${s['saved_usd']:,.2f} saved against the best route alone[/]"
                  + (f" ({s['alone_unsettled']} could not be settled alone at all)." if s["alone_unsettled"] else "."))
    if r.route_png:
        out.print(f"[bold]Route picture:[/] {r.route_png}")
    stopped = r.stopped.get("stopped", [])
    out.print(f"\nStopped {len(stopped)} services and the chain ({', '.join(str(p['pid']) for p in stopped)}; "
              f"chain pids {', '.join(map(str, r.stopped.get('chainStopped', [])))}).")


def _portfolio(r: Any, entry: dict[str, Any]) -> Any:
    owner = entry["owner"]
    before, after = r.before[owner], r.after[owner]

    def usd(bal: dict[str, int], s: str) -> float:
        return float(bal[s] / 10 ** r.decimals[s] * r.prices[s])

    total_b = sum(usd(before, s) for s in before) or 1.0
    total_a = sum(usd(after, s) for s in after) or 1.0
    rows = []
    for s in before:
        if not before[s] and not after[s]:
            continue
        rows.append({"token": s, "before": f"{before[s] / 10 ** r.decimals[s]:,.4f}",
                     "after": f"{after[s] / 10 ** r.decimals[s]:,.4f}",
                     "weight before": f"{usd(before, s) / total_b:.2%}", "weight after": f"{usd(after, s) / total_a:.2%}"})
    return render.table(rows, ["token", "before", "after", "weight before", "weight after"],
                        title=f"2. {entry['user']} ({entry['kind']}: {entry['outcome']}) before and after",
                        justify_right=["before", "after", "weight before", "weight after"])


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
