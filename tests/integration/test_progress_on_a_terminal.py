"""With stderr on a real terminal (a pty), `keel chain up --json` and `keel route --json` print one
clean JSON document on stdout and no progress bar anywhere; `keel chain up` without `--json`
still prints its table. (The bar itself: tests/unit/keel/test_progress.py.)"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from tests.integration.journey_support import REPO, Newcomer

BAR_WORDS = ("keel chain up:", "discovering pools", "━")  # the bar's label and rich's bar glyph


def on_a_terminal(me: Newcomer, *args: str, timeout: float = 300) -> tuple[int, str, str]:
    """`keel ARGS` with stdout piped and stderr on a pty; (exit code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(REPO / "cli.py"), *args], cwd=me.folder, env=me.env,
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, text=True)
    os.close(slave)
    shown: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        reader.join(10)
        os.close(master)
    return proc.returncode, out, b"".join(shown).decode(errors="replace")


def test_json_output_stays_clean_with_stderr_on_a_terminal(tmp_path: Path) -> None:
    me = Newcomer(tmp_path)
    try:
        code, out, terminal = on_a_terminal(me, "chain", "up", "--json")
        assert code == 0, terminal
        assert json.loads(out)["chain_id"] > 0
        assert not any(w in terminal for w in BAR_WORDS), terminal

        code, out, terminal = on_a_terminal(me, "route", "--sell", "WETH=1", "--buy", "USDC", "--json")
        assert code == 0, terminal
        routed = json.loads(out)
        assert routed["hops"] and routed["status"]
        assert not any(w in terminal for w in BAR_WORDS), terminal
    finally:
        down = me.keel("chain", "down", "--json")
    assert down.code == 0 and down.json()["stopped"]
