"""`keel chain up|status|down|world` from the command line, and its bad-input paths."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from contracts import anvil
from contracts.deployment import Deployment
from tests.helpers import processes_matching, run_cli


@pytest.fixture()
def keel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "keel"))
    return tmp_path / "keel"


def test_chain_up_status_world_down_round_trip(keel_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = anvil.free_port()
    up = run_cli(capsys, "chain", "up", "--port", str(port), "--json")
    try:
        assert up.code == 0, up.err
        info = json.loads(up.out)
        assert info["rpc_url"] == f"http://127.0.0.1:{port}"
        assert info["chain_id"] == 31337
        deployment = Deployment.from_json(info["deployment"])
        assert deployment.v2_pair("USDC", "WETH") == "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"
        assert deployment.keel is not None
        assert "private_key" not in up.out

        status = run_cli(capsys, "chain", "status", "--json")
        assert status.code == 0
        assert json.loads(status.out)["up"] is True
        assert json.loads(status.out)["block"] >= 1

        world = run_cli(capsys, "chain", "world", "--json")
        assert json.loads(world.out)["deployment"] == info["deployment"]

        again = run_cli(capsys, "chain", "up", "--port", str(anvil.free_port()))
        assert again.code != 0
        assert "already up" in again.err and len(again.err.strip().splitlines()) == 1
    finally:
        down = run_cli(capsys, "chain", "down", "--json")
    assert down.code == 0
    stopped = json.loads(down.out)["stopped"]
    assert len(stopped) == 2
    assert all(not anvil.alive(pid) for pid in stopped)
    after = run_cli(capsys, "chain", "status", "--json")
    assert after.code != 0 and json.loads(after.out)["up"] is False


def test_chain_up_on_a_busy_port_says_so_and_starts_nothing(keel_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(capsys, "chain", "up", "--port", str(port))
    assert result.code == 2
    assert f"port {port}" in result.err and "in use" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert not (keel_home / "chain.json").exists()
    assert processes_matching(f"--port {port}") == []


def test_chain_up_with_an_unreachable_fork_url_fails_in_one_line(keel_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = f"http://127.0.0.1:{anvil.free_port()}"
    port = anvil.free_port()
    result = run_cli(capsys, "chain", "up", "--fork-url", dead, "--port", str(port))
    assert result.code == 3
    assert dead in result.err and "does not answer" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert processes_matching(f"--port {port}") == []
    assert not (keel_home / "chain.json").exists()


def test_a_missing_npm_install_is_a_clear_setup_error(keel_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_NODE_MODULES", str(tmp_path / "no-node-modules"))
    port = anvil.free_port()
    result = run_cli(capsys, "chain", "up", "--port", str(port))
    assert result.code == 4
    assert "npm ci" in result.err and len(result.err.strip().splitlines()) == 1
    assert processes_matching(f"--port {port}") == []


def test_chain_commands_without_a_chain_say_how_to_start_one(keel_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "chain", "world")
    assert result.code == 3
    assert "keel chain up" in result.err


def test_chain_up_forks_an_external_rpc(keel_home: Path, world, capsys: pytest.CaptureFixture[str]) -> None:
    port = anvil.free_port()
    result = run_cli(capsys, "chain", "up", "--fork-url", world.rpc_url, "--port", str(port), "--json")
    try:
        assert result.code == 0, result.err
        info = json.loads(result.out)
        assert info["rpc_url"] == f"http://127.0.0.1:{port}"
        forked = Deployment.from_json(info["deployment"])
        assert forked.token("WETH").address == world.token("WETH")
        assert forked.keel is not None and forked.settlement != world.settlement  # keel deployed afresh on the fork
    finally:
        run_cli(capsys, "chain", "down")
    assert processes_matching(f"--port {port}") == []
