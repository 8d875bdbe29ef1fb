"""`keel account new|import|list|use|fund` and `keel approve TOKEN…`: keystores under .keel/keystore
(password: KEEL_PASSWORD, else a hidden prompt on a terminal), the default account, the local
faucet and the relayer's allowance. Chain work lives in `commands.wallet`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from keel import render
from keel.errors import NotFoundError, UsageError

account_app = typer.Typer(help="Encrypted keystores that sign intents. Keys are never printed.", no_args_is_help=True)


def password(confirm: bool) -> str:
    """KEEL_PASSWORD if set, else a hidden prompt (asked twice for a new keystore)."""
    env = os.environ.get("KEEL_PASSWORD")
    if env is not None:
        return env
    if not sys.stdin.isatty():
        # getpass would fall back to echoing with a GetPassWarning: refuse instead
        raise UsageError("password: no terminal to ask on; set KEEL_PASSWORD (or run from a terminal)", "password")
    return str(typer.prompt("keystore password", hide_input=True, confirmation_prompt=confirm, err=True))


@account_app.command("new")
def new(
    name: str = typer.Argument(..., help="A name for the account (letters, digits, - _ .)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a fresh key, encrypted under a password."""
    from intents import keystore

    entry = keystore.create(name, password(confirm=True))
    data = {"name": entry.name, "address": entry.address, "path": str(entry.path)}
    render.emit(data, as_json, rows=[data], columns=["name", "address", "path"], title="new account")


@account_app.command("import")
def import_(
    name: str = typer.Argument(..., help="A name for the account."),
    key_file: Path = typer.Option(None, "--key-file", help="File holding the hex private key (else a hidden prompt)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Import a private key into an encrypted keystore (never pass a key on the command line)."""
    from intents import keystore
    from intents.errors import KeystoreError

    if key_file is not None:
        if not key_file.is_file():
            raise KeystoreError(f"key-file: no such file {key_file}", "key-file")
        key = key_file.read_text()
    elif not sys.stdin.isatty():
        key = sys.stdin.read()  # piped in: read quietly (a prompt would fall back to echoing)
        if not key.strip():
            raise UsageError("private key: no terminal to ask on and nothing on stdin; pass --key-file or pipe "
                             "the key in", "key")
    else:
        key = str(typer.prompt("private key (hex)", hide_input=True, err=True))
    entry = keystore.import_key(name, key, password(confirm=True))
    data = {"name": entry.name, "address": entry.address, "path": str(entry.path)}
    render.emit(data, as_json, rows=[data], columns=["name", "address", "path"], title="imported account")


@account_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Accounts in the keystore folder (names and addresses only)."""
    from intents import keystore

    rows = [{"name": e.name, "address": e.address, "path": str(e.path)} for e in keystore.entries()]
    render.emit(rows, as_json, columns=["name", "address", "path"], title=f"accounts in {keystore.keystore_dir()}")


@account_app.command("use")
def use(name: str = typer.Argument(..., help="Keystore name (from `keel account list`).")) -> None:
    """Make NAME the account used when no --account / KEEL_ACCOUNT / keel.toml `account` is given."""
    from commands.wallet import use_account

    address = use_account(name)
    render.status(f"default account: {name} ({address})")


@account_app.command("fund")
def fund_cmd(
    account: str = typer.Argument(None, help="Keystore name or address (default: the default account)."),
    token: list[str] = typer.Option(None, "--token", help="SYMBOL=AMOUNT in whole tokens (ETH is gas); repeated."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Local chain only: a faucet from the world's funded deployer (default 10 ETH, 10 WETH, 30,000 USDC, 0.5 WBTC)."""
    from commands import wallet
    from contracts.chain import current_world
    from intents import keystore

    owner = keystore.find(wallet.resolve_account(account)).address
    world = current_world()
    decimals = {"ETH": 18, **{s: t.decimals for s, t in world.deployment.tokens.items()}}
    pairs = token or [f"{s}={a}" for s, a in wallet.DEFAULT_FUNDING.items()]
    amounts = wallet.fund(world, owner, wallet.parse_amounts(pairs, decimals, "token"))
    rows = [{"token": s, "amount (whole tokens)": f"{a / 10 ** decimals[s]:,.6g}"} for s, a in amounts.items()]
    render.emit({"owner": owner, "funded": amounts}, as_json, rows=rows, columns=["token", "amount (whole tokens)"],
                title=f"funded {owner}")


def approve_cmd(
    token: list[str] = typer.Argument(..., help="Token symbols the relayer may pull (e.g. WETH USDC)."),
    account: str = typer.Option(None, "--account", help="Keystore name or address (default: the default account)."),
) -> None:
    """Let keel's relayer pull TOKEN from your account when a batch settles your intent (approve max)."""
    from commands import wallet
    from contracts.chain import current_world
    from intents import keystore

    name = wallet.resolve_account(account)
    world = current_world()
    symbols = [t.strip().upper() for t in token]
    for s in symbols:
        if s not in world.deployment.tokens:
            raise NotFoundError(
                f"token: {s} is not a token of this world (known: {', '.join(sorted(world.deployment.tokens))})", "token")
    signer = keystore.unlock(name, password(confirm=False))
    relayer = wallet.approve(world, signer.key.hex(), symbols)
    render.status(f"{name} approved keel's relayer {relayer} for {', '.join(symbols)}")


def register(app: typer.Typer) -> None:
    app.add_typer(account_app, name="account")
    app.command("approve")(approve_cmd)
