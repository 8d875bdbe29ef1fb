"""`keel config`: every key with its default, its effective value and where that value comes from."""

from __future__ import annotations

import os

import typer

from keel import render
from keel.config import PLAIN_ENV, config_path, effective, load_file
from keel.db import redact


def show(
    ctx: typer.Context,
    every: bool = typer.Option(False, "--all", help="Also list every command option still at its default."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the settings (and command options set anywhere) in effect: a flag beats KEEL_* beats keel.toml."""
    root = ctx.find_root().command
    path = config_path()
    rows = effective(root, load_file(path), path, os.environ, every_option=every)
    records = [{"key": r.key, "value": _shown(r.value), "default": r.default, "source": r.source, "env": r.env,
                "help": r.help} for r in rows]
    plain = {k: os.environ.get(k) for k in PLAIN_ENV}
    render.emit({"file": str(path), "file_exists": path.exists(), "keys": records, "environment": plain},
                as_json, rows=records, columns=["key", "value", "default", "source", "env"],
                title=f"keel configuration (file: {path}{'' if path.exists() else ', absent'})")


def _shown(value: object) -> object:
    """A URL's password (KEEL_DB=postgresql://user:pw@...) is never shown."""
    return redact(value) if isinstance(value, str) and "://" in value else value


def register(app: typer.Typer) -> None:
    app.command("config")(show)
