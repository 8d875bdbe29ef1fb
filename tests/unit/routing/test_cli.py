"""`keel route` over a saved snapshot (no chain): the table, --json, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing import synthetic
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    liq, _ = synthetic.liquidity(11, 60, 6)
    path = tmp_path_factory.mktemp("snap") / "liquidity.json"
    path.write_text(liq.dumps())
    return path


def _route(capsys, snap: Path, *args: str):
    return run_cli(capsys, "route", "--snapshot", str(snap), "--price", "WETH=3000", "--price", "USDC=1", *args)


def test_should_print_the_route_as_json_with_exact_amounts(capsys, snap: Path) -> None:
    res = _route(capsys, snap, "--sell", "WETH=2000", "--buy", "USDC", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert int(data["sold"]["WETH"]) == 2000 * 10**18
    assert sum(h["amount_out"] for h in data["hops"] if h["symbol_out"] == "USDC") == int(data["delivered"]["USDC"])
    assert 0 <= data["gap_bps"] < 1


def test_should_print_a_table_for_people(capsys, snap: Path) -> None:
    res = _route(capsys, snap, "--sell", "WETH=10", "--buy", "USDC", "--method", "split")
    assert res.code == 0, res.err
    assert "route (split)" in res.out and "gap to the bound" in res.out


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("--sell", "WTH=1", "--buy", "USDC"), 6, "did you mean WETH"),
        (("--sell", "WETH=0", "--buy", "USDC"), 2, "must be positive"),
        (("--sell", "WETH=-3", "--buy", "USDC"), 2, "must be positive"),
        (("--sell", "WETH", "--buy", "USDC"), 2, "SYMBOL=AMOUNT"),
        (("--sell", "WETH=1", "--buy", "USDC", "--method", "magic"), 2, "--method"),
        (("--sell", "WETH=100000000000", "--buy", "USDC"), 5, "larger than the pools can take"),
    ],
)
def test_rejects_bad_input_in_one_line(capsys, snap: Path, args, code: int, needle: str) -> None:
    res = _route(capsys, snap, *args)
    assert res.code == code and needle in res.err and res.err.count("\n") == 1, res.err


def test_rejects_a_snapshot_that_does_not_parse(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"tokens": {}, "pools": [')
    res = run_cli(capsys, "route", "--snapshot", str(bad), "--price", "WETH=1", "--sell", "WETH=1", "--buy", "USDC")
    assert res.code == 2 and "not valid JSON" in res.err


def test_rejects_an_empty_pool_set(capsys, tmp_path: Path, snap: Path) -> None:
    data = json.loads(snap.read_text())
    data["pools"] = []
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(data))
    res = run_cli(capsys, "route", "--snapshot", str(empty), "--price", "USDC=1", "--sell", "WETH=1", "--buy", "USDC")
    assert res.code == 5 and "empty" in res.err
