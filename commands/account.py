"""`keel account new|import|list`: encrypted keystores under .keel/keystore (password: prompt or KEEL_PASSWORD)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from keel import render

account_app = typer.Typer(help="Encrypted keystores that sign intents. Keys are never printed.", no_args_is_help=True)


def password(confirm: bool) -> str:
    """KEEL_PASSWORD if set, else a hidden prompt (asked twice for a new keystore)."""
    env = os.environ.get("KEEL_PASSWORD")
    if env is not None:
        return env
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


def register(app: typer.Typer) -> None:
    app.add_typer(account_app, name="account")
