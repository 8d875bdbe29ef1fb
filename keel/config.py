"""Configuration: a flag beats the environment, which beats `keel.toml`, which beats the default.

Two kinds of key, one file (`keel.toml` in the working directory, or `KEEL_CONFIG`):

- **settings** — concepts several commands share (`account`, `orderbook`, `rpc_url`, …),
  written at the top level of the file (`account = "alice"`) and read from ONE environment
  variable each (`KEEL_ACCOUNT`), whichever command asks;
- **command options** — any other option of one command, in that command's table
  (`[intent.weights]` `slippage = "1%"`), or its environment variable `KEEL_<COMMAND>_<OPTION>`
  (`KEEL_INTENT_WEIGHTS_SLIPPAGE`, click's auto-envvar naming).

An unknown key — a setting that does not exist, a table that names no command, an option a
command does not have — is a one-line `UsageError` naming it (with a "did you mean"), never
silently ignored. `keel config` shows every key with its default, effective value and source.
The click wiring lives here (pure functions over a click command tree); cli.py calls it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keel.errors import UsageError

ENV_PREFIX = "KEEL"
SECRET = "(set, not shown)"


@dataclass(frozen=True)
class Setting:
    """A concept several commands share: one TOML key, one environment variable."""

    name: str  # the TOML key and the option's parameter name in every command that takes it
    help: str
    secret: bool = False  # never printed

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("account", "keystore name (or address) that signs intents and solver transactions"),
    Setting("orderbook", "orderbook URL the intent commands and the keeper talk to"),
    Setting("rpc_url", "JSON-RPC URL of the chain (default: the one `keel chain up` started)"),
    Setting("settlement", "BatchSettlement address (default: the world's)"),
    Setting("db", "storage: a sqlite path or a postgresql:// URL"),
    Setting("password", "keystore password (prefer the prompt)", secret=True),
    Setting("max_tx_bytes", "largest transaction the chain's nodes accept, in bytes (default 131072: geth's 128 KiB); "
            "the auctioneer splits a round's settlement under it"),
)
BY_NAME = {s.name: s for s in SETTINGS}
# Read by keel itself, not by an option: listed so that `keel config` explains them.
PLAIN_ENV = {
    "KEEL_CONFIG": "path of the TOML file (default: ./keel.toml)",
    "KEEL_HOME": "where keel keeps state (default: ./.keel)",
}


def config_path() -> Path:
    return Path(os.environ.get("KEEL_CONFIG", "keel.toml"))


def load_file(path: Path | None = None) -> dict[str, Any]:
    """The TOML file with `-` in keys read as `_`; {} when there is no file."""
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc}); fix the file or unset KEEL_CONFIG") from None
    return _normalise_keys(data)


def _normalise_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        out[name] = _normalise_keys(value) if isinstance(value, dict) else value
    return out


# ---- the click side ----------------------------------------------------------------------

def commands(root: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, click command) for every leaf command under `root` (path excludes the root)."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), root)]
    while stack:
        path, cmd = stack.pop()
        subs = getattr(cmd, "commands", None)
        if subs:
            stack.extend(((*path, name), sub) for name, sub in sorted(subs.items(), reverse=True))
        elif path:
            yield path, cmd


def options(cmd: Any) -> dict[str, Any]:
    """A command's configurable options by parameter name (not --help, arguments or eager flags)."""
    return {p.name: p for p in cmd.params
            if p.param_type_name == "option" and not p.is_eager and "--json" not in p.opts}


def wire(root: Any) -> None:
    """Give every option named like a setting that setting's one environment variable, and keep
    eager flags (--version, --help) away from the environment (KEEL_VERSION=1 must not print it)."""
    for p in root.params:
        if p.is_eager or p.name == "debug":
            p.allow_from_autoenv = False
    for _, cmd in commands(root):
        for name, p in options(cmd).items():
            if name in BY_NAME:
                p.envvar = BY_NAME[name].env
                p.show_envvar = True


def default_map(root: Any, data: Mapping[str, Any], source: Path) -> dict[str, Any]:
    """click's default_map from the file: settings go to every command that takes them, tables
    to their command. Raises UsageError on any key that names nothing."""
    leaves = dict(commands(root))
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            _table(out, leaves, (key,), value, source)
        elif key in BY_NAME:
            for path, cmd in leaves.items():
                if key in options(cmd):
                    _put(out, path, key, value)
        else:
            raise UsageError(f"{source}: unknown setting {key!r}{_did_you_mean(key, BY_NAME)}; "
                             f"settings are {', '.join(BY_NAME)}, command options go in a [command] table", key)
    return out


def _table(out: dict[str, Any], leaves: Mapping[tuple[str, ...], Any], path: tuple[str, ...],
           table: Mapping[str, Any], source: Path) -> None:
    if path in leaves:
        known = options(leaves[path])
        for key, value in table.items():
            if key not in known:
                where = ".".join(path)
                raise UsageError(f"{source}: [{where}] has no option {key!r}{_did_you_mean(key, known)}",
                                 f"{where}.{key}")
            _put(out, path, key, value)
        return
    groups = {p[: len(path) + 1] for p in leaves if p[: len(path)] == path and len(p) > len(path)}
    if not groups:
        where = ".".join(path)
        names = sorted({".".join(p) for p in leaves})
        raise UsageError(f"{source}: [{where}] names no command{_did_you_mean(where, names)}", where)
    for key, value in table.items():
        if not isinstance(value, dict):
            where = ".".join(path)
            raise UsageError(f"{source}: [{where}] is a command group; put {key!r} under one of its commands",
                             f"{where}.{key}")
        _table(out, leaves, (*path, key), value, source)


def _put(out: dict[str, Any], path: tuple[str, ...], key: str, value: Any) -> None:
    node = out
    for part in path:
        node = node.setdefault(part, {})
    node[key] = value


def _did_you_mean(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Effective:
    """One key as `keel config` shows it."""

    key: str  # "account" or "intent.weights.slippage"
    env: str
    default: Any
    value: Any
    source: str  # "flag default", "env", the file's path
    help: str


def effective(root: Any, data: Mapping[str, Any], source: Path, environ: Mapping[str, str],
              every_option: bool = False) -> list[Effective]:
    """Every setting (and, with `every_option`, every command option) with its effective value."""
    rows: list[Effective] = []
    for s in SETTINGS:
        default = _setting_default(root, s.name)
        value, where = default, "default"
        if s.name in data:
            value, where = data[s.name], str(source)
        if s.env in environ:
            value, where = environ[s.env], "env"
        if s.secret and where != "default":
            value = SECRET
        rows.append(Effective(s.name, s.env, default, value, where, s.help))
    for path, cmd in commands(root):
        for name, p in options(cmd).items():
            if name in BY_NAME:
                continue
            key = ".".join((*path, name))
            env = "_".join((ENV_PREFIX, *path, name)).upper().replace("-", "_")
            value, where = p.default, "default"
            in_file = _lookup(data, (*path, name))
            if in_file is not _MISSING:
                value, where = in_file, str(source)
            if env in environ:
                value, where = environ[env], "env"
            if every_option or where != "default":
                rows.append(Effective(key, env, p.default, value, where, (p.help or "").split(".")[0]))
    return rows


_MISSING = object()


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _setting_default(root: Any, name: str) -> Any:
    """The default the commands declare for a setting (None if they disagree or declare none)."""
    found = {repr(opts[name].default): opts[name].default
             for _, cmd in commands(root) if name in (opts := options(cmd))}
    return next(iter(found.values())) if len(found) == 1 else None
