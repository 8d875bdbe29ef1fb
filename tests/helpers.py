"""Small helpers shared by tests: run the CLI in-process, find processes by command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    import cli

    capsys.readouterr()
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def processes_matching(fragment: str) -> list[int]:
    """PIDs of live processes whose command line contains `fragment` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if fragment in cmdline and "State:\tZ" not in status and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids
