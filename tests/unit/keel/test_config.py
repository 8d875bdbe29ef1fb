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
    monkeypatch.setenv("KEEL_PASSWORD", "secret")
    shown = _keys(capsys)
    assert shown["greeks.rate"]["value"] == 0.05 and shown["greeks.rate"]["source"] == str(config_file)
    monkeypatch.setenv("KEEL_GREEKS_RATE", "0.02")
    result = run_cli(capsys, "config", "--json")
    shown = {k["key"]: k for k in json.loads(result.out)["keys"]}
    assert shown["greeks.rate"]["value"] == "0.02" and shown["greeks.rate"]["source"] == "env"
    assert shown["password"]["source"] == "env"
    assert "secret" not in result.out  # a password is never shown


def _keys(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, dict[str, object]]:
    result = run_cli(capsys, "config", "--json", *extra)
    assert result.code == 0, result.err
    return {k["key"]: k for k in json.loads(result.out)["keys"]}


def test_keel_config_shows_every_setting_with_its_default_on_a_fresh_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_CONFIG", str(tmp_path / "absent.toml"))
    for name in ("KEEL_ACCOUNT", "KEEL_ORDERBOOK", "KEEL_RPC_URL", "KEEL_DB", "KEEL_SETTLEMENT", "KEEL_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    shown = _keys(capsys)
    assert {"account", "orderbook", "rpc_url", "settlement", "db", "password"} <= set(shown)
    assert shown["orderbook"]["default"] == "http://127.0.0.1:8088" and shown["orderbook"]["source"] == "default"
    every = _keys(capsys, "--all")
    assert every["greeks.rate"]["default"] == every["greeks.rate"]["value"]  # options at their defaults too


def test_a_top_level_setting_reaches_every_command_that_takes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "keel.toml"
    path.write_text('orderbook = "http://127.0.0.1:1"\n')
    monkeypatch.setenv("KEEL_CONFIG", str(path))
    monkeypatch.delenv("KEEL_ORDERBOOK", raising=False)
    # `intent list` takes the orderbook: the file's value is the one it tries (and nothing answers there)
    result = run_cli(capsys, "intent", "list")
    assert result.code != 0 and "http://127.0.0.1:1" in result.err
    monkeypatch.setenv("KEEL_ORDERBOOK", "http://127.0.0.1:2")  # one variable per setting beats the file
    result = run_cli(capsys, "intent", "list")
    assert "http://127.0.0.1:2" in result.err


@pytest.mark.parametrize(("text", "named"), [
    ('acount = "alice"\n', "did you mean 'account'"),
    ("[greeks]\nrat = 0.05\n", "[greeks] has no option 'rat' (did you mean 'rate'?)"),
    ("[greek]\nrate = 0.05\n", "[greek] names no command"),
    ("[intent]\nslippage = 1\n", "[intent] is a command group"),
])
def test_an_unknown_key_in_the_file_is_one_line_naming_it(text: str, named: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "keel.toml"
    path.write_text(text)
    monkeypatch.setenv("KEEL_CONFIG", str(path))
    result = run_cli(capsys, *ARGS)
    assert result.code == 2, result.err
    assert named in result.err and len(result.err.strip().splitlines()) == 1


def test_the_sample_keel_toml_is_valid(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[3] / "samples" / "keel.toml"
    monkeypatch.setenv("KEEL_CONFIG", str(sample))
    monkeypatch.delenv("KEEL_ORDERBOOK", raising=False)
    shown = _keys(capsys)
    assert shown["orderbook"]["source"] == str(sample)


def test_keel_version_in_the_environment_does_not_print_the_version(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_VERSION", "1")
    result = run_cli(capsys, "config", "--json")
    assert result.code == 0 and not result.out.startswith("keel ")
    short = run_cli(capsys, "-V")
    assert short.code == 0 and short.out.startswith("keel ")


def test_a_broken_toml_file_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "keel.toml"
    bad.write_text("[greeks\nrate = ")
    monkeypatch.setenv("KEEL_CONFIG", str(bad))
    result = run_cli(capsys, *ARGS)
    assert result.code == 2 and str(bad) in result.err and len(result.err.strip().splitlines()) == 1
