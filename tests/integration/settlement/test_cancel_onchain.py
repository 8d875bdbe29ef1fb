"""`keel intent cancel`: off-chain by default (the orderbook stops offering the intent, the
nonce stays free on chain), `--onchain` also sends `invalidateNonce` so no copy of the
signature can ever settle."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.anvil import free_port
from contracts.world import World
from intents.wire import SignedIntentModel
from orderbook import client
from tests.helpers import run_cli, start_orderbook
from tests.integration.auction_support import weights_intent
from tests.integration.settlement.helpers import Env, assert_refused
from tests.integration.settlement.scenarios import Leg, Scenario


def _setup(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KEEL_PASSWORD", "correct horse")
    user = env.world.users[0]
    key_file = tmp_path / "alice.key"
    key_file.write_text(user.private_key)
    assert run_cli(capsys, "account", "import", "alice", "--key-file", str(key_file)).code == 0
    port = free_port()
    proc = start_orderbook(port, tmp_path / "orderbook.db", tmp_path / "home", env.chain_id, env.settlement.address)
    url = f"http://127.0.0.1:{port}"
    signed = weights_intent(env.world, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
    body = SignedIntentModel.from_signed(signed, env.chain_id).model_dump(mode="json")
    intent_id = client.request(url, "POST", "/intents", body)["id"]
    return proc, url, signed, intent_id


def _cancel(capsys: pytest.CaptureFixture[str], chain: World, url: str, intent_id: str, *extra: str):
    return run_cli(capsys, "intent", "cancel", intent_id, "--account", "alice", "--orderbook", url,
                   "--rpc-url", chain.rpc_url, "--json", *extra)


def test_should_cancel_only_off_chain_without_onchain(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    proc, url, signed, intent_id = _setup(env, tmp_path, monkeypatch, capsys)
    try:
        result = _cancel(capsys, env.world, url, intent_id)
        assert result.code == 0, result.err
        assert client.request(url, "GET", f"/intents/{intent_id}")["status"] == "cancelled"
        # the signature itself still works on chain: only --onchain closes that door
        assert not env.settlement.is_nonce_spent(signed.intent.owner, signed.intent.nonce)
    finally:
        proc.terminate()
        proc.wait(10)


def test_should_spend_the_nonce_on_chain_with_onchain(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    proc, url, signed, intent_id = _setup(env, tmp_path, monkeypatch, capsys)
    try:
        result = _cancel(capsys, env.world, url, intent_id, "--onchain")
        assert result.code == 0, result.err
        assert '"onchainTx": "0x' in result.out
        assert client.request(url, "GET", f"/intents/{intent_id}")["status"] == "cancelled"
        assert env.settlement.is_nonce_spent(signed.intent.owner, signed.intent.nonce)
        # a solver holding the signed intent can no longer settle it
        leg = Leg(signed.intent, env.world.users[0].private_key, {}, signature=signed.signature)
        reason = assert_refused(env, Scenario(env.ref_prices(), [leg]).batch(env), "NonceCancelled")
        assert reason.args["nonce"] == signed.intent.nonce
    finally:
        proc.terminate()
        proc.wait(10)


def test_rejects_an_onchain_cancel_by_an_account_that_does_not_own_the_intent(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    proc, url, signed, intent_id = _setup(env, tmp_path, monkeypatch, capsys)
    try:
        other = tmp_path / "bob.key"
        other.write_text(env.world.users[1].private_key)
        assert run_cli(capsys, "account", "import", "bob", "--key-file", str(other)).code == 0
        result = run_cli(capsys, "intent", "cancel", intent_id, "--account", "bob", "--orderbook", url,
                         "--rpc-url", env.world.rpc_url, "--onchain")
        assert result.code != 0 and "account:" in result.err and "Traceback" not in result.err
        assert client.request(url, "GET", f"/intents/{intent_id}")["status"] == "open"
        assert not env.settlement.is_nonce_spent(signed.intent.owner, signed.intent.nonce)
    finally:
        proc.terminate()
        proc.wait(10)
