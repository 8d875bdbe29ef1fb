"""The intents commands in-process: greeks, accounts, submit; bad input is one line and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


@pytest.fixture(autouse=True)
def keel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KEEL_PASSWORD", "correct horse")
    monkeypatch.delenv("KEEL_CONFIG", raising=False)
    return tmp_path / "home"


def test_should_print_greeks_as_json_with_totals_per_underlying(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "greeks", str(SAMPLES / "book.csv"), "--spot", "WETH=3000", "--spot", "WBTC=60000", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert len(data["positions"]) == 6
    weth = next(t for t in data["totals"] if t["underlying"] == "WETH")
    assert weth["delta"] == pytest.approx(sum(p["delta"] for p in data["positions"] if p["underlying"] == "WETH"), abs=1e-5)


def test_should_print_the_greeks_table(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "greeks", str(SAMPLES / "book.json"), "--spot", "WETH=3000", "--spot", "WBTC=60000")
    assert r.code == 0 and "totals per underlying" in r.out and "WBTC" in r.out
    words = " ".join(r.out.split())
    assert "$3,000.00" in words and "$60,000.00" in words  # money as money
    assert "e-0" not in r.out and "e+0" not in r.out  # never scientific notation
    for unit in ("(USD)", "(tokens)", "(USD per year)"):
        assert unit in words  # every column says its unit


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("underlying,type,strike,expiry,quantity\nWETH,call,3000,2027-01-01,1\n", "missing column 'implied_vol'"),
        ("underlying,type,strike,expiry,quantity,iv\nWETH,call,-3000,2027-01-01,1,0.6\n", "row 1: strike must be > 0"),
    ],
)
def test_rejects_a_bad_book_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    r = run_cli(capsys, "greeks", str(path), "--spot", "3000")
    assert r.code == 2 and message in r.err and r.err.count("\n") == 1 and "Traceback" not in r.err


def test_should_create_and_list_accounts_without_printing_keys(capsys: pytest.CaptureFixture[str], keel_home: Path) -> None:
    r = run_cli(capsys, "account", "new", "alice", "--json")
    assert r.code == 0, r.err
    address = json.loads(r.out)["address"]
    listed = run_cli(capsys, "account", "list", "--json")
    assert [a["address"] for a in json.loads(listed.out)] == [address]
    stored = json.loads((keel_home / "keystore" / "alice.json").read_text())
    assert "crypto" in stored


def test_should_import_a_key_from_a_file_and_refuse_a_second_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key = "0x" + "42" * 32
    key_file.write_text(key)
    r = run_cli(capsys, "account", "import", "bob", "--key-file", str(key_file))
    assert r.code == 0 and key not in r.out + r.err
    again = run_cli(capsys, "account", "import", "bob", "--key-file", str(key_file))
    assert again.code == 2 and "already exists" in again.err


def test_rejects_submitting_a_file_that_is_not_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{")
    r = run_cli(capsys, "intent", "submit", str(path), "--orderbook", "http://127.0.0.1:9")
    assert r.code == 2 and "file:" in r.err


def test_reports_an_orderbook_that_does_not_answer(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "intent", "list", "--orderbook", "http://127.0.0.1:9")
    assert r.code == 4 and "keel node serve" in r.err


def test_should_show_the_oracle_guard_and_its_default_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("weights", "hedge"):
        r = run_cli(capsys, "intent", command, "--help")
        assert r.code == 0
        text = " ".join(r.out.split())
        assert "--max-oracle-deviation" in text and "Default 100 bps" in text


@pytest.mark.parametrize("value", ["abc", "1.5", "20000"])
def test_rejects_a_bad_oracle_guard_in_one_line_before_reading_the_chain(capsys: pytest.CaptureFixture[str],
                                                                        value: str) -> None:
    r = run_cli(capsys, "intent", "weights", "--token", "WETH=50", "--token", "USDC=50",
                "--max-oracle-deviation", value)
    assert r.code == 2, r.err
    assert r.err.count("\n") == 1 and "max-oracle-deviation" in r.err and "Traceback" not in r.err
