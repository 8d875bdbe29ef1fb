"""`keel config`: the effective configuration and where each value comes from."""

from __future__ import annotations

import os

import typer

from keel import render
from keel.config import ENV_PREFIX, config_path, load_file
from keel.db import redact


def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the configuration file and every KEEL_* variable in effect (flags beat env beat file)."""
    path = config_path()
    file_values = load_file(path)
    env = {k: _shown(v) for k, v in sorted(os.environ.items()) if k.startswith(ENV_PREFIX + "_") and k != "KEEL_PASSWORD"}
    file_values = _redacted(file_values)
    rows: list[dict[str, object]] = [{"source": "env", "key": k, "value": v} for k, v in env.items()]
    rows += [{"source": str(path), "key": k, "value": v} for k, v in _flatten(file_values)]
    render.emit({"file": str(path), "file_exists": path.exists(), "env": env, "file_values": file_values},
                as_json, rows=rows, columns=["source", "key", "value"], title="keel configuration")


def _shown(value: object) -> object:
    """A URL's password (KEEL_DB=postgresql://user:pw@...) is never shown."""
    return redact(value) if isinstance(value, str) and "://" in value else value


def _redacted(data: dict[str, object]) -> dict[str, object]:
    return {k: _redacted(v) if isinstance(v, dict) else _shown(v) for k, v in data.items()}


def _flatten(data: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        out += _flatten(value, name) if isinstance(value, dict) else [(name, value)]
    return out


def register(app: typer.Typer) -> None:
    app.command("config")(show)
