"""Run `keel` as a newcomer does: a subprocess in a fresh directory with its own KEEL_HOME and no keel.toml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Newcomer:
    """A fresh clone's view: `samples/` beside it, state in `<dir>/.keel`, the password from KEEL_PASSWORD."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "samples").symlink_to(REPO / "samples")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        self.env.update(KEEL_HOME=str(folder / ".keel"), KEEL_CONFIG=str(folder / "keel.toml"),
                        KEEL_PASSWORD="newcomer", COLUMNS="120")

    def keel(self, *args: str, timeout: float = 300) -> Run:
        proc = subprocess.run([sys.executable, str(REPO / "cli.py"), *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert "Traceback" not in proc.stderr, proc.stderr
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, timeout: float = 300) -> Run:
        run = self.keel(*args, timeout=timeout)
        assert run.code == 0, f"keel {' '.join(args)} exited {run.code}: {run.err[-2000:]}"
        return run
