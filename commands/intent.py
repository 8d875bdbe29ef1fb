"""`keel intent weights|hedge|submit|list|show|cancel`, `keel greeks BOOK`, `keel node serve`.

Thin: each command parses flags, calls intents/, renders. Chain reads need `keel chain up`
(or KEEL_* flags pointing elsewhere); the orderbook is `--orderbook` / KEEL_ORDERBOOK.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from keel import render
from keel.errors import RefusedError

intent_app = typer.Typer(help="Sign risk outcomes (weights or hedge bands) and talk to the orderbook.", no_args_is_help=True)
node_app = typer.Typer(help="Run keel's services.", no_args_is_help=True)

DEFAULT_ORDERBOOK = "http://127.0.0.1:8088"


def _orderbook_default(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str:
    """Flag, KEEL_ORDERBOOK or keel.toml win; left at its default, the orderbook `keel up` started (if alive)."""
    source = ctx.get_parameter_source(param.name) if param.name else None
    if value and (source is None or source.name not in ("DEFAULT", "DEFAULT_MAP") or value != DEFAULT_ORDERBOOK):
        return value
    from app.processes import recorded_orderbook

    return recorded_orderbook() or value or DEFAULT_ORDERBOOK


ORDERBOOK = typer.Option(DEFAULT_ORDERBOOK, "--orderbook", callback=_orderbook_default,
                         help="Orderbook URL (left at its default: the one `keel up` started).")
JSON = typer.Option(False, "--json", help="Print JSON.")


def _world(settlement: str | None) -> tuple[Any, Any, int, str]:
    """(world, web3, chain id, settlement address) of the running chain; --settlement overrides."""
    from contracts.chain import current_world
    from intents.model import checksum

    world = current_world()
    address = settlement or (world.deployment.keel.settlement if world.deployment.keel else None)
    if not address:
        from intents.errors import IntentError

        raise IntentError("settlement: the world has no BatchSettlement; pass --settlement ADDRESS", "settlement")
    return world, world.web3(), world.chain_id, checksum(address, "settlement")


def _sign_and_emit(intent: Any, account: str, chain_id: int, settlement: str, yes: bool, out: Path | None,
                   submit: bool, orderbook: str, as_json: bool, preview: Any) -> None:
    from commands.account import password
    from intents import keystore
    from intents.signing import sign_intent
    from intents.validate import check_intent
    from intents.wire import SignedIntentModel
    from orderbook import client

    check_intent(intent, now_s=int(time.time()))
    if not yes and not typer.confirm("sign this intent?", default=False, err=True):
        raise typer.Abort()
    signer = keystore.unlock(account, password(confirm=False))
    signed = sign_intent(intent, signer.key, chain_id, settlement)
    body = SignedIntentModel.from_signed(signed, chain_id).model_dump(mode="json", exclude_none=True)
    intent_id = intent.intent_id(chain_id, settlement)
    if out is not None:
        out.write_text(json.dumps(body, indent=2))
        render.status(f"signed intent {intent_id} written to {out}")
    result = {"id": intent_id, "signed": body, "preview": preview}
    if submit:
        result["orderbook"] = client.request(orderbook, "POST", "/intents", body)
        render.status(f"submitted {intent_id}: {result['orderbook']['status']}")
    if as_json:
        render.emit_json(result)
    elif out is None and not submit:
        render.stdout.print_json(json.dumps(body))


def _owner(account: str) -> str:
    from intents import keystore

    return keystore.find(account).address


@intent_app.command("weights")
def weights(
    token: list[str] = typer.Option(..., "--token", help="SYMBOL=PERCENT, repeated; must sum to 100."),
    tolerance: str = typer.Option("0.5%", "--tolerance", help="Allowed drift of each weight after the batch."),
    slippage: str = typer.Option("1%", "--slippage", help="Price bounds: oracle ± this."),
    valid: str = typer.Option("10m", "--valid", help="How long the intent stays valid (90s, 10m, 2h, 1d)."),
    max_fee: str = typer.Option("0.3%", "--max-fee", help="Most the solver may take, of the value you give."),
    max_oracle_deviation: str = typer.Option(
        "100", "--max-oracle-deviation", metavar="BPS",
        help="Signed into the intent: the settlement refuses any clearing price further than this from its "
             "Chainlink-style feeds (bps, or a percentage like 1%; 0 or off = unguarded). Default 100 bps."),
    numeraire: str = typer.Option(None, "--numeraire", help="tokens[0] (default USDC, else DAI, else the first)."),
    account: str = typer.Option(None, "--account", help="Keystore name or address that signs (default: `keel account use`)."),
    nonce: int = typer.Option(None, "--nonce", min=0, help="Default: microseconds since the epoch."),
    settlement: str = typer.Option(None, "--settlement", envvar="KEEL_SETTLEMENT", help="BatchSettlement address."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Sign without asking."),
    out: Path = typer.Option(None, "--out", help="Write the signed intent JSON here."),
    submit: bool = typer.Option(False, "--submit", help="POST it to the orderbook."),
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """Keep a portfolio at target weights: read balances and oracles, preview the trades, sign."""
    from intents import build, chain

    params = _params(slippage, valid, max_fee, yes, guard=max_oracle_deviation)
    tolerance_bps = build.parse_percent_bps(tolerance, "tolerance")
    account = _account(account)
    world, w3, chain_id, settlement_addr = _world(settlement)
    known = sorted(world.deployment.priced())
    targets = build.parse_weights(token, known)
    symbols = build.order_tokens(list(targets), numeraire)
    owner = _owner(account)
    states = chain.token_states(w3, world.deployment, owner, symbols)
    if all(t.balance == 0 for t in states):
        raise RefusedError(f"balance: {owner} holds none of {', '.join(symbols)}; there is nothing to rebalance "
                                "(on the local chain: `keel account fund`)", "balance")
    intent, lines = build.weights_intent(
        owner, states, targets, tolerance_bps, params.slippage_bps, params.max_fee_bps,
        _valid_to(w3, params.valid_s), nonce if nonce is not None else time.time_ns() // 1000,
        params.max_oracle_deviation_bps,
    )
    rows = [{"token": t.symbol, "balance (tokens)": f"{t.balance:,.6g}", "value": render.usd(t.value_usd),
             "weight %": f"{t.weight_pct:.2f}", "target %": f"{t.target_pct:.2f}",
             "trade (tokens)": f"{t.trade:+,.6g}", "trade value": render.usd(t.trade_usd)} for t in lines]
    if not as_json:
        render.stderr.print(render.table(rows, list(rows[0]), title=f"rebalance of {owner} at oracle prices",
                                         justify_right=list(rows[0])[1:]))
    if all(abs(t.weight_pct - t.target_pct) * 100 <= tolerance_bps for t in lines):
        raise RefusedError("target: the portfolio is already inside the band (every weight within the "
                                "tolerance of its target); there is nothing to trade", "target")
    sells = [(s.symbol, -line.trade) for s, line in zip(states, lines, strict=True) if line.trade < 0]
    _check_sells(world, owner, states, sells)
    _sign_and_emit(intent, account, chain_id, settlement_addr, yes, out, submit, orderbook, as_json, lines)


@intent_app.command("hedge")
def hedge(
    book: Path = typer.Option(..., "--book", help="Options book, .csv or .json."),
    underlying: str = typer.Option(..., "--underlying", help="Token whose delta to hedge (e.g. WETH)."),
    target_delta: float = typer.Option(0.0, "--target-delta", help="Total delta wanted, in units of the underlying."),
    band: float = typer.Option(..., "--band", help="Allowed distance from the target delta."),
    rate: float = typer.Option(0.0, "--rate", help="Risk-free rate (annual, continuous)."),
    numeraire: str = typer.Option("USDC", "--numeraire", help="What the underlying trades against."),
    slippage: str = typer.Option("1%", "--slippage"),
    valid: str = typer.Option("10m", "--valid"),
    max_fee: str = typer.Option("0.3%", "--max-fee"),
    max_oracle_deviation: str = typer.Option(
        "100", "--max-oracle-deviation", metavar="BPS",
        help="Signed into the intent: the settlement refuses any clearing price further than this from its "
             "Chainlink-style feeds (bps, or a percentage like 1%; 0 or off = unguarded). Default 100 bps."),
    account: str = typer.Option(None, "--account", help="Keystore name or address (default: `keel account use`)."),
    nonce: int = typer.Option(None, "--nonce", min=0),
    settlement: str = typer.Option(None, "--settlement", envvar="KEEL_SETTLEMENT"),
    yes: bool = typer.Option(False, "--yes", "-y"),
    out: Path = typer.Option(None, "--out"),
    submit: bool = typer.Option(False, "--submit"),
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """Turn an options book's delta plus your spot holding into post-trade balance bounds, and sign."""
    from commands import door
    from intents import build, chain
    from risk.book import load

    params = _params(slippage, valid, max_fee, yes, {"target-delta": target_delta, "band": band},
                     guard=max_oracle_deviation)
    positions = load(book)
    _refuse_expired(positions, time.time(), book.name)
    account = _account(account)
    world, w3, chain_id, settlement_addr = _world(settlement)
    under, num, owner = underlying.upper(), numeraire.upper(), _owner(account)
    states = chain.token_states(w3, world.deployment, owner, [num, under])
    spots = {s.symbol: s.usd for s in states}
    spots.update({u: _oracle_spot(w3, world, u) for u in positions.underlyings() if u not in spots})
    now_s = max(chain.chain_time(w3), int(time.time()))
    book_delta = positions.delta_of(under, spots, now_s, rate)
    band_ = build.hedge_band(book_delta, states[1].balance, states[1].decimals, target_delta, band)
    intent = build.hedge_intent(
        owner, states[0], states[1], band_, params.slippage_bps, params.max_fee_bps,
        _valid_to(w3, params.valid_s), nonce if nonce is not None else time.time_ns() // 1000,
        params.max_oracle_deviation_bps,
    )
    scale = 10 ** states[1].decimals
    summary = {"underlying": under, "book delta": f"{band_.book_delta:+.4f} {under}",
               "spot holding": f"{band_.holding:.4f} {under}", "total delta": f"{band_.total_delta:+.4f} {under}",
               "target": f"{target_delta:g} ± {band:g} {under}",
               "post-trade balance": f"[{band_.min_balance / scale:.6f}, {band_.max_balance / scale:.6f}] {under}",
               "trade": f"{band_.trade:+.6f} {under}"}
    if not as_json:
        render.stderr.print(render.table([summary], list(summary), title="hedge band"))
    slip = 1 + params.slippage_bps / door.BPS
    sells = ([(num, band_.trade * spots[under] / spots[num] * slip)] if band_.trade > 0
             else [(under, -band_.trade)] if band_.trade < 0 else [])
    _check_sells(world, owner, states, sells)
    _sign_and_emit(intent, account, chain_id, settlement_addr, yes, out, submit, orderbook, as_json, summary)


@dataclass(frozen=True)
class _Params:
    slippage_bps: int
    valid_s: int
    max_fee_bps: int
    max_oracle_deviation_bps: int | None = None


def _params(slippage: str, valid: str, max_fee: str, yes: bool, deltas: dict[str, float] | None = None,
            guard: str = "off") -> _Params:
    """Parse the shared flags and refuse absurd ones (unless --yes) before any chain read or password."""
    from commands import door
    from intents import build

    params = _Params(build.parse_percent_bps(slippage, "slippage"), build.parse_duration_s(valid),
                     build.parse_percent_bps(max_fee, "max-fee"),
                     build.parse_oracle_deviation_bps(guard, "max-oracle-deviation"))
    door.refuse_absurd(door.absurd(params.slippage_bps, params.valid_s, params.max_fee_bps, deltas), yes, render.status)
    return params


def _account(flag: str | None) -> str:
    from commands.wallet import resolve_account

    return resolve_account(flag)


def _valid_to(w3: Any, valid_s: int) -> int:
    from commands.door import valid_to_s
    from intents.chain import chain_time

    return valid_to_s(chain_time(w3), int(time.time()), valid_s)


def _check_sells(world: Any, owner: str, states: list[Any], sells: list[tuple[str, float]]) -> None:
    """Refuse before signing when the owner cannot deliver what the preview sells (balance, allowance)."""
    from commands import door
    from commands.wallet import allowance

    by_symbol = {s.symbol: s for s in states}
    door.sell_checks(owner, [
        door.Sell(sym, int(amount * 10 ** by_symbol[sym].decimals), by_symbol[sym].balance,
                  allowance(world, owner, sym), by_symbol[sym].decimals)
        for sym, amount in sells])


def _oracle_spot(w3: Any, world: Any, symbol: str) -> float:
    from intents.chain import token_states

    return token_states(w3, world.deployment, world.deployer.address, [symbol])[0].usd


@intent_app.command("submit")
def submit_cmd(
    file: Path = typer.Argument(..., help="A signed intent JSON (from --out or --json)."),
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """POST a signed intent to the orderbook."""
    from intents.errors import IntentError
    from orderbook import client

    try:
        body = json.loads(file.read_text())
    except FileNotFoundError:
        raise IntentError(f"file: no such file {file}", "file") from None
    except json.JSONDecodeError as exc:
        raise IntentError(f"file: {file} is not valid JSON ({exc.msg})", "file") from None
    if isinstance(body, dict) and "signed" in body:
        body = body["signed"]
    result = client.request(orderbook, "POST", "/intents", body)
    render.emit(result, as_json, rows=[result], columns=["id", "status"], title="submitted")


def greeks_cmd(
    book: Path = typer.Argument(..., help="Options book, .csv or .json."),
    spot: list[str] = typer.Option(None, "--spot", help="SYMBOL=PRICE or a bare PRICE (one underlying); default: the oracle."),
    rate: float = typer.Option(0.0, "--rate", help="Risk-free rate (annual, continuous)."),
    as_json: bool = JSON,
) -> None:
    """Black–Scholes price, delta, gamma, vega, theta, rho per position and per underlying."""
    from risk import book as book_mod
    from risk.greeks_report import report

    positions = book_mod.load(book)
    _refuse_expired(positions, time.time(), book.name)
    spots = _parse_spots(spot or [], positions.underlyings())
    if len(spots) < len(positions.underlyings()):
        from contracts.chain import current_world
        from intents.chain import token_states

        world = current_world()
        missing = [u for u in positions.underlyings() if u not in spots]
        for s in token_states(world.web3(), world.deployment, world.deployer.address, missing):
            spots[s.symbol] = s.usd
    rows, totals = report(positions, spots, time.time(), rate)
    if as_json:
        render.emit_json({"spots": spots, "rate": rate, "positions": rows, "totals": totals})
        return
    headers = GREEK_HEADERS
    rows = [{headers.get(k, k): _greek_cell(k, v) for k, v in r.items()} for r in rows]
    totals = [{headers.get(k, k): _greek_cell(k, v) for k, v in r.items()} for r in totals]
    cols = [headers.get(k, k) for k in ("underlying", "type", "strike", "expiry", "quantity", "iv", "price", "delta",
                                        "gamma", "vega", "theta", "rho")]
    total_cols = [headers.get(k, k) for k in ("underlying", "spot", "price", "delta", "gamma", "vega", "theta", "rho")]
    render.stdout.print(render.table(rows, cols, title=f"{book.name}: Black–Scholes, per position",
                                     justify_right=cols[2:]))
    render.stdout.print(render.table(totals, total_cols, title="totals per underlying", justify_right=total_cols[1:]))


# each column with its unit: money in USD, delta in the underlying's tokens, sensitivities per unit move
GREEK_HEADERS = {
    "strike": "strike (USD)", "quantity": "quantity (options)", "iv": "iv (annual)", "spot": "spot (USD)",
    "price": "value (USD)", "delta": "delta (tokens)", "gamma": "gamma (tokens per USD)",
    "vega": "vega (USD per 1.00 vol)", "theta": "theta (USD per year)", "rho": "rho (USD per 1.00 rate)",
}
_MONEY = ("strike", "spot", "price")
_GREEKS = ("delta", "gamma", "vega", "theta", "rho")


def _greek_cell(key: str, value: Any) -> Any:
    if key in _MONEY:
        try:
            return render.usd(float(value))
        except (TypeError, ValueError):
            return value
    if key in _GREEKS and isinstance(value, int | float):
        return _num(float(value))
    return value


def _refuse_expired(positions: Any, now_s: float, source: str) -> None:
    """An option past its expiry has no Black–Scholes price (it would print -0): name the row instead."""
    from intents.errors import BookError

    for i, expiry in enumerate(positions.expiry_s):
        if expiry <= now_s:
            when = time.strftime("%Y-%m-%d", time.gmtime(float(expiry)))
            raise BookError(f"expiry: {source} row {i + 1} ({positions.underlying[i]} {positions.strike[i]:g}) expired on "
                            f"{when}; remove it or roll it", "expiry")


def _num(v: float) -> str:
    """Compact display, never in scientific notation: whole numbers past 100, 3 decimals past 1,
    else 3 significant figures written out (-0.0000321)."""
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1 or v == 0:
        return f"{v:.3f}"
    return f"{float(f'{v:.3g}'):.{max(3, 2 - math.floor(math.log10(abs(v))))}f}"


def _parse_spots(pairs: list[str], underlyings: list[str]) -> dict[str, float]:
    from intents.errors import IntentError

    spots: dict[str, float] = {}
    for pair in pairs:
        symbol, sep, price = pair.rpartition("=")
        if not sep:
            if len(underlyings) != 1:
                raise IntentError(f"spot: {pair!r}: the book has several underlyings; use SYMBOL=PRICE", "spot")
            symbol, price = underlyings[0], pair
        try:
            value = float(price)
        except ValueError:
            raise IntentError(f"spot: {price!r} is not a number", "spot") from None
        if not value > 0:
            raise IntentError(f"spot: {pair!r} must be a positive price", "spot")
        symbol = symbol.strip().upper()
        if symbol not in underlyings:
            raise IntentError(f"spot: {symbol} is not an underlying of the book ({', '.join(underlyings)})", "spot")
        spots[symbol] = value
    return spots


@node_app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8088, "--port", min=1, max=65535),
    db: str = typer.Option(None, "--db", help="sqlite file, sqlite:/// or postgresql:// URL (default .keel/orderbook.db)."),
    chain_id: int = typer.Option(None, "--chain-id", help="Default: the running chain's."),
    settlement: str = typer.Option(None, "--settlement", envvar="KEEL_SETTLEMENT", help="Default: the world's BatchSettlement."),
    rpc_url: str = typer.Option(None, "--rpc-url", help="For EIP-1271 and on-chain nonces (default: the running chain)."),
) -> None:
    """Run the orderbook HTTP API (POST/GET/DELETE /intents)."""
    from app.processes import orderbook_db
    from commands.ports import ready
    from orderbook.node import admission, database_location, orderbook_config

    database = database_location(db or str(orderbook_db()))  # default: this chain's own database
    config = orderbook_config(chain_id, settlement, rpc_url)
    from orderbook.api import serve

    serve(host, port, database.target, config,
          on_ready=lambda: ready(host, port, f"orderbook on http://{host}:{port} (chain {config.chain_id}, "
                                             f"settlement {config.settlement}, db {database.shown}); "
                                             + admission(config)))


def register(app: typer.Typer) -> None:
    app.add_typer(intent_app, name="intent")
    app.add_typer(node_app, name="node")
    app.command("greeks")(greeks_cmd)
