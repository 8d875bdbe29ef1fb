"""`keel intent list|history|show|wait|cancel`: an intent after it is signed, as its owner follows it.

Ids may be unique prefixes (like git) or left out (the default account's newest intent); `show`
says in words why an intent is where it is and, once settled, what its owner got
(`commands.explain`). Registered on `commands.intent`'s `intent_app`.
"""

from __future__ import annotations

import time
from typing import Any

import typer

from commands import explain
from commands.intent import JSON, ORDERBOOK, _account, _owner, intent_app
from keel import render


def _records(orderbook: str, status: str | None = None, owner: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    from urllib.parse import urlencode

    from orderbook import client

    if owner is not None:
        from eth_utils import is_address

        if not is_address(owner):  # a keystore name
            owner = _owner(owner)
    query = urlencode({k: v for k, v in {"status": status, "owner": owner, "limit": limit}.items() if v is not None})
    return list(client.request(orderbook, "GET", f"/intents?{query}"))


def _resolve_id(orderbook: str, text: str | None) -> str:
    """A full id, a unique prefix of one (like git), or none: the newest intent of the default account."""
    from intents.errors import IntentError, IntentNotFound

    if text is None:
        from commands.wallet import default_account

        account = default_account()
        mine = _records(orderbook, owner=account) if account else []
        if not mine:
            raise IntentError("intent_id: none given and the default account has no intent; pass an id or a prefix",
                              "intent_id")
        return str(max(mine, key=lambda r: r["createdAt"])["id"])
    prefix = text.strip().lower()
    if not prefix.startswith("0x") or any(c not in "0123456789abcdef" for c in prefix[2:]) or len(prefix) > 66:
        raise IntentError(f"intent_id: {text!r} is not an intent id or a prefix of one (0x and hex digits)", "intent_id")
    if len(prefix) == 66:
        return prefix
    if len(prefix) < 6:
        raise IntentError(f"intent_id: {text!r} is too short to be a prefix; give at least 4 hex digits", "intent_id")
    matches = [r["id"] for r in _records(orderbook) if r["id"].lower().startswith(prefix)]
    if not matches:
        raise IntentNotFound(f"intent_id: no intent starts with {text}", "intent_id")
    if len(matches) > 1:
        raise IntentError(f"intent_id: {text} is ambiguous ({len(matches)} intents: {', '.join(m[:12] + '…' for m in matches[:4])}); "
                          "give more characters", "intent_id")
    return str(matches[0])


def _short(intent_id: str, wide: bool) -> str:
    return intent_id if wide else intent_id[:12]


def _list_rows(records: list[dict[str, Any]], wide: bool) -> list[dict[str, Any]]:
    """Table rows; ids, owners and hashes are 12-character prefixes only on a terminal without --wide
    (piped output keeps them whole, so scripts and `| grep` never see a cut id)."""
    import sys

    wide = wide or not sys.stdout.isatty()
    return [{"id": _short(r["id"], wide), "status": r["status"], "kind": r["kind"], "owner": r["owner"] if wide else r["owner"][:10],
             "valid to (UTC)": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(r["validTo"]))),
             "tx": (r.get("txHash") or "")[: None if wide else 12]} for r in records]


WIDE = typer.Option(False, "--wide", help="Full ids, owners and hashes on a terminal (else 12-character prefixes, "
                    "which show/wait/cancel accept); piped output is always full.")


@intent_app.command("list")
def list_cmd(
    status: str = typer.Option(None, "--status", help="open, in_auction, settled, expired, cancelled, failed."),
    owner: str = typer.Option(None, "--owner", help="Address or keystore name."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000),
    wide: bool = WIDE,
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """Intents in the orderbook (ids shortened to a unique-enough prefix unless --wide)."""
    records = _records(orderbook, status, owner, limit)
    rows = _list_rows(records, wide)
    render.emit(records, as_json, rows=rows, columns=list(rows[0]) if rows else ["id"], title="intents")


@intent_app.command("history")
def history_cmd(
    owner: str = typer.Option(None, "--owner", help="Address or keystore name (default: the default account)."),
    wide: bool = WIDE,
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """Every intent of one owner, newest first, with what became of it."""
    from commands.wallet import resolve_account

    who = owner or resolve_account(None)
    records = sorted(_records(orderbook, owner=who), key=lambda r: r["createdAt"], reverse=True)
    rows = [{"signed (UTC)": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["createdAt"])), **row}
            for r, row in zip(records, _list_rows(records, wide), strict=True)]
    render.emit(records, as_json, rows=rows, columns=list(rows[0]) if rows else ["id"], title=f"history of {who}")


@intent_app.command("show")
def show_cmd(
    intent_id: str = typer.Argument(None, help="Intent id or a unique prefix (default: your newest intent)."),
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """One intent, in words: why it is open, parked, dropped or expired; for a settled one, what you got."""
    from orderbook import client

    full = _resolve_id(orderbook, intent_id)
    record = client.request(orderbook, "GET", f"/intents/{full}")
    rounds = _rounds_of(full)
    lines = explain.status_lines(record, time.time(), rounds)
    report = _settled(record)
    stored = _stored_figures(record, rounds)
    if as_json:
        render.emit_json({**record, "explanation": lines, "settled": report, "settledIn": stored["settledIn"],
                          "saving": stored["saving"]})
        return
    render.stdout.print(f"intent {full} ({record['kind']}, owner {record['owner']})", highlight=False)
    for line in lines:
        render.stdout.print(line, highlight=False)
    if report is not None:
        _print_settled(report)
    elif stored["filled"]:  # the chain that settled it is gone: what the round recorded still says what you got
        _print_stored_fill(stored)
    if stored["saving"] is not None:
        render.stdout.print(f"saving (round {stored['settledIn']}, recorded when it settled): "
                            + explain.saving_sentence(stored["saving"]), highlight=False)


def _stored_figures(record: dict[str, Any], rounds: list[Any]) -> dict[str, Any]:
    """What the round that settled this intent recorded (`explorer.views.settled_figures`: the same
    figures the explorer shows, read from the rounds store, never recomputed)."""
    from explorer.views import settled_figures

    tx = record.get("txHash")
    settling = next((r for r in rounds if record["status"] == "settled" and tx and r.tx_hash == tx), None)
    return settled_figures(record["id"], settling)


def _print_stored_fill(stored: dict[str, Any]) -> None:
    rows = [{"token": f["symbol"], "filled (tokens)": f"{f['amount']:+,.10g}", "value (USD)": render.usd(f["usd"])}
            for f in stored["filled"]]
    render.stdout.print(render.table(rows, list(rows[0]), title="what you got (+ received, - given), as the round recorded it",
                                     justify_right=list(rows[0])[1:]))
    prices = [{"token": p["symbol"], "clearing price (USD per token)": render.price(p["usdPerToken"])}
              for p in stored["clearingPrices"]]
    if prices:
        render.stdout.print(render.table(prices, list(prices[0]), title="clearing prices (one per token in the batch)",
                                         justify_right=list(prices[0])[1:]))


def _settled(record: dict[str, Any]) -> Any:
    if record["status"] != "settled" or not record.get("txHash"):
        return None
    from contracts.chain import current_world

    try:
        return explain.settled_report(current_world(), record)
    except Exception as exc:  # the chain that settled it may be gone: say so, keep the rest
        from keel.errors import KeelError

        if isinstance(exc, KeelError) or "not found" in str(exc).lower():
            render.status(f"(the settling transaction is not on the running chain: {exc})")
            return None
        raise


def _print_settled(r: Any) -> None:
    render.stdout.print(render.table(r.fills, list(r.fills[0]), title="what you got (+ received, - given)",
                                     justify_right=list(r.fills[0])[1:]))
    render.stdout.print(render.table(r.prices, list(r.prices[0]), title="clearing prices (one per token in the batch)",
                                     justify_right=list(r.prices[0])[1:]))
    fee_bps = r.fee_usd / r.given_usd * 10_000 if r.given_usd else 0.0
    render.stdout.print(f"fee: {render.usd(r.fee_usd)} ({fee_bps:.1f} bps of the {render.usd(r.given_usd)} you gave, "
                        "valued at the clearing prices)", highlight=False)
    render.stdout.print(render.table(r.outcome, list(r.outcome[0]),
                                     title="outcome " + ("inside the signed band" if r.inside else "OUTSIDE the band")))
    render.stdout.print(f"gas used on chain: {r.gas_used:,} for the whole batch's transaction (paid by the solver)", highlight=False)


def _rounds_of(intent_id: str) -> list[Any]:
    """Auction rounds (newest first) that held this intent, from the local auction database if there is one."""
    from app.processes import auction_db

    path = auction_db()
    if not path.exists():
        return []
    from auction.rounds import RoundStore

    store = RoundStore(path)
    try:
        return store.rounds_of(intent_id, limit=20)  # indexed by intent id: no scan of the history
    finally:
        store.close()


@intent_app.command("wait")
def wait_cmd(
    intent_id: str = typer.Argument(None, help="Intent id or a unique prefix (default: your newest intent)."),
    timeout: float = typer.Option(600.0, "--timeout", min=1.0, help="Give up after this many seconds."),
    orderbook: str = ORDERBOOK,
    as_json: bool = JSON,
) -> None:
    """Wait (with a spinner) until the intent is settled, cancelled, failed or expired; then show it."""
    from keel.errors import RefusedError
    from orderbook import client

    full = _resolve_id(orderbook, intent_id)
    deadline = time.monotonic() + timeout
    record = client.request(orderbook, "GET", f"/intents/{full}")
    with render.stderr.status(f"waiting for {full[:12]}: {record['status']}…") as spinner:
        while record["status"] in ("open", "in_auction"):
            if time.monotonic() > deadline:
                raise RefusedError(f"timeout: {full[:12]} is still {record['status']} after {timeout:g}s; "
                                   f"`keel intent show {full[:12]}` says why", "timeout")
            time.sleep(0.5)
            record = client.request(orderbook, "GET", f"/intents/{full}")
            spinner.update(f"waiting for {full[:12]}: {record['status']}…")
    if as_json:
        render.emit_json(record)
    else:
        render.stdout.print(f"{full}: {record['status']}" + (f" in {record['txHash']}" if record.get("txHash") else ""),
                            highlight=False)


@intent_app.command("cancel")
def cancel_cmd(
    intent_id: str = typer.Argument(..., help="Intent id or a unique prefix."),
    account: str = typer.Option(None, "--account", help="Keystore name or address (default: `keel account use`)."),
    orderbook: str = ORDERBOOK,
    onchain: bool = typer.Option(
        False, "--onchain",
        help="Also send invalidateNonce(nonce) to the settlement contract from the owner's account (pays gas). "
             "Without it the cancel is off-chain only: the orderbook stops offering the intent, but anyone holding "
             "the signed intent could still have it settled until validTo."),
    rpc_url: str = typer.Option(None, "--rpc-url", help="Chain to send --onchain to (default: the running keel chain)."),
    as_json: bool = JSON,
) -> None:
    """Cancel an intent in the orderbook (off-chain, a signed Cancellation); --onchain also spends its nonce on chain.

    The orderbook cancel only stops this orderbook from offering the intent. Only
    `--onchain` (the settlement's `invalidateNonce`) makes the signature unusable everywhere.
    """
    from commands.account import password
    from intents import keystore
    from intents.signing import sign_cancellation
    from orderbook import client

    full = _resolve_id(orderbook, intent_id)
    account = _account(account)
    health = client.request(orderbook, "GET", "/health")
    signer = keystore.unlock(account, password(confirm=False))
    record = client.request(orderbook, "GET", f"/intents/{full}") if onchain else None
    if record is not None and record["owner"].lower() != signer.address.lower():
        from intents.errors import IntentError

        raise IntentError(f"account: {signer.address} does not own intent {full} (owner {record['owner']})", "account")
    sig = sign_cancellation(full, signer.key, int(health["chainId"]), health["settlement"])
    result = client.request(orderbook, "DELETE", f"/intents/{full}", {"signingScheme": 0, "signature": "0x" + sig.hex()})
    columns = ["id", "status"]
    if record is not None:
        result = {**result, **_invalidate_onchain(rpc_url, health["settlement"], signer, int(record["nonce"]))}
        columns += ["nonce", "onchainTx"]
    render.emit(result, as_json, rows=[result], columns=columns, title="cancelled")


def _invalidate_onchain(rpc_url: str | None, settlement: str, signer: Any, nonce: int) -> dict[str, Any]:
    """Send invalidateNonce(nonce) from `signer` and confirm the nonce is spent on chain."""
    from web3 import Web3

    from contracts.chain import current_world
    from contracts.settlement import Settlement
    from keel.errors import ChainError

    w3 = Web3(Web3.HTTPProvider(rpc_url or current_world().rpc_url))
    contract = Settlement(w3, settlement)
    receipt = contract.invalidate_nonce(signer.address, nonce, private_key=signer.key)
    if receipt["status"] != 1 or not contract.is_nonce_spent(signer.address, nonce):
        raise ChainError(f"nonce: invalidateNonce({nonce}) did not spend the nonce (tx {receipt['transactionHash'].hex()})")
    return {"nonce": str(nonce), "onchainTx": "0x" + bytes(receipt["transactionHash"]).hex()}


def register(app: typer.Typer) -> None:
    """The commands above hang on `intent_app`, which `commands.intent` registers."""
