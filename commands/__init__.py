"""Command groups of the `keel` CLI, one module per room. Each module exposes `register(app)`.

A module may only import heavy libraries (web3, aiohttp, pulp, numpy) inside its
command functions, so that building the app for `--help` stays instant.
"""

from __future__ import annotations

import importlib

import typer

# Order is the order of `keel --help`.
_MODULES = (
    "commands.config",
    "commands.chain",
    "commands.account",
    "commands.intent",
    "commands.intent_status",
    "commands.route",
    "commands.solver",
    "commands.backtest",
    "commands.demo",
    "commands.explorer",
)


def register(app: typer.Typer) -> None:
    for name in _MODULES:
        importlib.import_module(name).register(app)
