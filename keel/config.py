"""Configuration: a flag beats the environment (`KEEL_*`), which beats `keel.toml`.

Click gives us the first two (`auto_envvar_prefix`); the TOML file becomes click's
`default_map`, so every command sees the same precedence. `keel config` prints the
effective values and where each came from.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from keel.errors import UsageError

ENV_PREFIX = "KEEL"


def config_path() -> Path:
    return Path(os.environ.get("KEEL_CONFIG", "keel.toml"))


def load_file(path: Path | None = None) -> dict[str, Any]:
    """The TOML file as click's default_map: `[chain] port = 8545` -> {"chain": {"port": 8545}}."""
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc}); fix the file or unset KEEL_CONFIG") from exc
    return _normalise_keys(data)


def _normalise_keys(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        out[name] = _normalise_keys(value) if isinstance(value, dict) else value
    return out
