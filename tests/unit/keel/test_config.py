"""Configuration precedence, end to end through the CLI: a flag beats KEEL_* beats keel.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

BOOK = str(Path(__file__).resolve().parents[3] / "samples" / "book.csv")
ARGS = ("greeks", BOOK, "--spot", "WETH=3000", "--spot", "WBTC=60000", "--json")


@pytest.fixture()
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keel.toml"
    path.write_text("[greeks]\nrate = 0.05\n")
    monkeypatch.setenv("KEEL_CONFIG", str(path))
    monkeypatch.delenv("KEEL_GREEKS_RATE", raising=False)
    return path


def _rate(capsys: pytest.CaptureFixture[str], *extra: str) -> float:
    result = run_cli(capsys, *ARGS, *extra)
    assert result.code == 0, result.err
    return json.loads(result.out)["rate"]


def test_the_toml_file_sets_a_default(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _rate(capsys) == 0.05


def test_the_environment_beats_the_file(config_file: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_GREEKS_RATE", "0.02")
    assert _rate(capsys) == 0.02


def test_a_flag_beats_the_environment_and_the_file(config_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_GREEKS_RATE", "0.02")
    assert _rate(capsys, "--rate", "0.1") == 0.1


def test_keel_config_shows_the_file_and_the_environment(config_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_GREEKS_RATE", "0.02")
    monkeypatch.setenv("KEEL_PASSWORD", "secret")
    result = run_cli(capsys, "config", "--json")
    shown = json.loads(result.out)
    assert shown["file_values"] == {"greeks": {"rate": 0.05}}
    assert shown["env"]["KEEL_GREEKS_RATE"] == "0.02"
    assert "secret" not in result.out  # a password is never shown


def test_a_broken_toml_file_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "keel.toml"
    bad.write_text("[greeks\nrate = ")
    monkeypatch.setenv("KEEL_CONFIG", str(bad))
    result = run_cli(capsys, *ARGS)
    assert result.code == 2 and str(bad) in result.err and len(result.err.strip().splitlines()) == 1
