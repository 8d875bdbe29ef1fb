"""`keel up` → intents over HTTP → rounds settle them → `keel auction show` → `keel down`, all real processes.

Also the commands' bad input: one line, the field named, a non-zero exit, no traceback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from contracts.anvil import alive
from intents.wire import SignedIntentModel
from orderbook import client
from tests.helpers import run_cli
from tests.integration.auction_support import weights_intent


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / ".keel"))
    return tmp_path / ".keel"


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_up_runs_rounds_that_settle_submitted_intents_and_down_stops_every_process(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up = run_cli(capsys, "up", "--interval", "1", "--deadline", "6", "--json")
    assert up.code == 0, up.err
    info = json.loads(up.out)
    pids = [s["pid"] for s in info["services"]]
    try:
        assert [s["name"] for s in info["services"]] == ["orderbook", "solver-baseline", "solver-milp", "auctioneer"]
        assert all(Path(s["log"]).parent == home / "logs" for s in info["services"])
        from contracts.chain import current_world

        world = current_world()
        signed = [weights_intent(world, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}),
                  weights_intent(world, 1, {"USDC": 40, "WETH": 50, "WBTC": 10})]
        ids = [client.request(info["orderbook"], "POST", "/intents",
                              SignedIntentModel.from_signed(s, world.chain_id).model_dump(mode="json"))["id"]
               for s in signed]

        def all_settled() -> bool:
            return all(client.request(info["orderbook"], "GET", f"/intents/{i}")["status"] == "settled" for i in ids)

        wait_for(all_settled, 90, "the auctioneer to settle both intents")
        listed = run_cli(capsys, "auction", "list", "--json")
        settled_round = next(r for r in json.loads(listed.out) if r["status"] == "settled")
        shown = run_cli(capsys, "auction", "show", str(settled_round["round"]), "--json")
        record = json.loads(shown.out)
        assert {c["solverUrl"] for c in record["candidates"]} == {s["url"] for s in info["services"][1:3]}
        assert sorted(c["verdict"] for c in record["candidates"])[-1] == "settled"
        assert {c["strategy"] for c in record["candidates"]} == {"baseline", "milp"}
        tx = client.request(info["orderbook"], "GET", f"/intents/{ids[0]}")["txHash"]
        assert record["txHash"] == tx
        table = run_cli(capsys, "auction", "show", str(settled_round["round"]))
        assert table.code == 0 and "verdict" in table.out and "settled" in table.out
        again = run_cli(capsys, "up")
        assert again.code == 5 and "already up" in again.err
    finally:
        down = run_cli(capsys, "down", "--json")
    assert down.code == 0
    stopped = json.loads(down.out)
    assert {s["pid"] for s in stopped["stopped"]} == set(pids) and stopped["chainStopped"]
    wait_for(lambda: not any(alive(p) for p in pids + stopped["chainStopped"]), 10, "every process to exit")
    assert not (home / "procs.json").exists()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["solver", "serve", "--strategy", "nope", "--solver", "0x" + "11" * 20], 2, "--strategy 'nope': unknown"),
        (["solver", "register", "0x12", "--url", "http://127.0.0.1:1", "--no-allow-list"], 2, "ADDRESS"),
        (["solver", "register", "0x" + "11" * 20, "--url", "localhost", "--no-allow-list"], 2, "--url"),
        (["auction", "show", "99"], 6, "ROUND: no round 99"),
        (["auction", "run", "--deadline", "0"], 2, "--deadline"),
        (["solver", "serve", "--port", "0"], 2, "--port"),
        (["up", "--interval", "-1"], 2, "--interval"),
        (["auction", "list", "--limit", "0"], 2, "--limit"),
    ],
)
def test_rejects_bad_input_with_one_line_and_a_nonzero_exit(
        home: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, fragment: str) -> None:
    result = run_cli(capsys, *args)
    assert result.code == code and fragment in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_registers_and_lists_solvers(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    address = "0x" + "ab" * 20
    reg = run_cli(capsys, "solver", "register", address, "--url", "http://127.0.0.1:8701", "--no-allow-list", "--json")
    assert reg.code == 0, reg.err
    listed = json.loads(run_cli(capsys, "solver", "list", "--json").out)
    assert [(s["url"], s["address"].lower()) for s in listed] == [("http://127.0.0.1:8701", address)]


def test_register_allow_lists_a_new_solver_account_on_the_local_chain(
        chain: Any, chain_handle: Any, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from contracts.artifacts import keel

    home.mkdir(parents=True, exist_ok=True)
    (home / "chain.json").write_text(json.dumps(chain_handle.to_json()))  # point the CLI at the test's chain
    w3 = chain.web3()
    allow = w3.eth.contract(address=chain.deployment.contracts.allow_list, abi=keel("SolverAllowList").abi)
    newcomer = chain.users[7].address
    assert not allow.functions.isSolver(newcomer).call()
    first = run_cli(capsys, "solver", "register", newcomer, "--url", "http://127.0.0.1:8702", "--json")
    assert first.code == 0, first.err
    assert json.loads(first.out)["allowListed"] is True and allow.functions.isSolver(newcomer).call()
    again = run_cli(capsys, "solver", "register", newcomer, "--url", "http://127.0.0.1:8702", "--json")
    assert json.loads(again.out)["allowListed"] is False  # already listed: nothing sent
