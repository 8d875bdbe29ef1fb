"""The README's commands run as written.

Two kinds of `keel …` command appear in README.md:
- lines of its ```bash blocks (the user journey): each is run, in order, as a subprocess in a
  fresh directory (a fresh KEEL_HOME, no keel.toml, `samples/` beside it as in a clone), against
  the fresh world `keel up` starts; every one must exit 0 with no traceback;
- the CLI table's synopses (`keel chain up [--port N] …`): placeholders cannot run, so each
  synopsis is checked against the CLI itself: its command exists and takes every flag it shows.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def bash_commands(text: str) -> list[str]:
    """Every line starting with `keel ` inside a ```bash block, in order."""
    out: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        out += [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip().startswith("keel ")]
    return out


def table_synopses(text: str) -> list[tuple[list[str], list[str]]]:
    """(command path, flags) for every `keel …` synopsis in a table row; `a / b` forms share the group."""
    out = []
    for line in text.splitlines():
        if not line.startswith("| `keel "):
            continue
        cell = line.split(" | ")[0].removeprefix("| ")
        forms = [f.strip("`") for f in re.findall(r"`[^`]+`", cell)]
        group: list[str] = []
        for form in forms:
            words = form.replace("\\|", "|").split()
            path = []
            for w in (words[1:] if words[0] == "keel" else words):
                if w.startswith(("-", "[")) or not re.fullmatch(r"[a-z]+", w.split("|")[0]):
                    break
                path.append(w.split("|")[0])
            if words[0] == "keel":
                group = path[:1] if len(path) > 1 else []
                full = path
            else:
                full = group + path
            flags = re.findall(r"(--[a-z][a-z-]*)", form)
            out.append((full, flags))
    return out


def test_the_readme_shows_a_journey_and_a_table() -> None:
    text = README.read_text()
    commands = bash_commands(text)
    for step in ("keel up", "keel account new", "keel account fund", "keel approve", "keel intent weights",
                 "keel intent wait", "keel intent show", "keel down"):
        assert any(c.startswith(step) for c in commands), step
    assert len(table_synopses(text)) >= 15


@pytest.mark.parametrize(("path", "flags"), table_synopses(README.read_text()),
                         ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_every_synopsis_in_the_table_names_a_real_command_and_real_flags(
    capsys: pytest.CaptureFixture[str], path: list[str], flags: list[str]
) -> None:
    result = run_cli(capsys, *path, "--help")
    assert result.code == 0, f"keel {' '.join(path)}: {result.err}"
    for flag in flags:
        assert flag in result.out, f"keel {' '.join(path)} has no {flag}"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update(KEEL_HOME=str(home / ".keel"), KEEL_CONFIG=str(home / "keel.toml"), KEEL_PASSWORD="readme-test",
               COLUMNS="100")
    return env


def test_every_command_in_the_readme_runs_as_written_against_a_fresh_world(tmp_path: Path) -> None:
    (tmp_path / "samples").symlink_to(REPO / "samples")
    env = _env(tmp_path)
    commands = bash_commands(README.read_text())
    ran: list[str] = []
    try:
        for line in commands:
            argv = [sys.executable, str(REPO / "cli.py"), *shlex.split(line)[1:]]
            proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, f"`{line}` exited {proc.returncode}:\n{proc.stderr[-2000:]}"
            assert "Traceback" not in proc.stderr, proc.stderr
            ran.append(line)
    finally:
        subprocess.run([sys.executable, str(REPO / "cli.py"), "down"], cwd=tmp_path, env=env, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert ran == commands
