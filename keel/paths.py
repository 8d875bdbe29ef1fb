"""Where keel keeps things on disk. Everything derived lives under `.keel/` or `build/`."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """The per-project state folder (`KEEL_HOME`, default `./.keel`)."""
    return Path(os.environ.get("KEEL_HOME", ".keel")).resolve()


def build_dir() -> Path:
    """Compiled contracts and the cached world (`KEEL_BUILD`, default `<repo>/build`)."""
    return Path(os.environ.get("KEEL_BUILD", REPO_ROOT / "build")).resolve()


def node_modules() -> Path:
    return Path(os.environ.get("KEEL_NODE_MODULES", REPO_ROOT / "node_modules")).resolve()
