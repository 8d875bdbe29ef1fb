"""Intents against the forked world: on-chain hashing, EIP-1271 wallets, balances and oracles, nonces."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from contracts import world_spec
from contracts.artifacts import keel
from contracts.settlement import Settlement
from contracts.world import World
from intents import build
from intents import chain as intents_chain
from intents.errors import DuplicateIntent, SignatureError
from intents.model import Intent, IntentKind, SignedIntent, SigningScheme
from intents.signing import sign_digest, sign_intent
from intents.wire import SignedIntentModel
from orderbook.api import OrderbookConfig, accept
from orderbook.store import SqliteStore


def _config(world: World, w3: Any) -> OrderbookConfig:
    tokens = {world.token(s): s for s in world_spec.DECIMALS}
    settlement = world.settlement
    return OrderbookConfig(world.chain_id, settlement, tokens, check_1271=intents_chain.make_1271_checker(w3),
                           nonce_spent=intents_chain.make_nonce_checker(w3, settlement), clock=lambda: intents_chain.chain_time(w3))


def _weights(world: World, w3: Any, owner: str, nonce: int = 1) -> Intent:
    states = intents_chain.token_states(w3, world.deployment, owner, ["USDC", "WETH", "WBTC"])
    intent, _ = build.weights_intent(owner, states, {"USDC": 3000, "WETH": 5000, "WBTC": 2000}, 50, 100, 30,
                                     intents_chain.chain_time(w3) + 600, nonce)
    return intent


def test_should_hash_an_intent_on_chain_exactly_as_python_does(chain: World, w3: Any) -> None:
    settlement = Settlement(w3, chain.settlement)
    user = chain.users[0].address
    for intent in (_weights(chain, w3, user), _weights(chain, w3, user).with_(
            kind=IntentKind.BALANCES, target_weight_bps=(), tolerance_bps=0,
            min_balance=(0, 10**18, 0), max_balance=(2**256 - 1, 5 * 10**18, 2**256 - 1))):
        assert settlement.hash_intent(intent.as_tuple()) == intent.digest(chain.chain_id, settlement.address)


def test_should_read_balances_and_oracle_prices_from_the_world(chain: World, w3: Any) -> None:
    user = chain.users[0].address
    states = {s.symbol: s for s in chain_states(chain, w3, user)}
    portfolio = world_spec.USER_PORTFOLIOS[0]
    for symbol, state in states.items():
        assert state.decimals == world_spec.DECIMALS[symbol]
        assert state.balance == world_spec.base_units(symbol, portfolio.get(symbol, 0))
        assert state.usd_price_8 == world_spec.feed_answer(symbol)


def chain_states(world: World, w3: Any, owner: str) -> list[build.TokenState]:
    return intents_chain.token_states(w3, world.deployment, owner, ["USDC", "WETH", "WBTC"])


def test_should_accept_an_eoa_intent_built_from_chain_state(chain: World, w3: Any, tmp_path: Any) -> None:
    user = chain.users[0]
    intent = _weights(chain, w3, user.address)
    config = _config(chain, w3)
    signed = sign_intent(intent, user.private_key, chain.chain_id, config.settlement)
    store = SqliteStore(tmp_path / "ob.db")
    body = SignedIntentModel.from_signed(signed, chain.chain_id).model_dump(mode="json")
    assert accept(store, config, body)["id"] == intent.intent_id(chain.chain_id, config.settlement)


def _wallet(world: World, w3: Any, signer: str) -> str:
    art = keel("SignerWallet")
    factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(signer).transact({"from": signer}))
    return str(receipt["contractAddress"])


def test_should_verify_an_eip1271_wallet_intent_on_the_fork(chain: World, w3: Any, tmp_path: Any) -> None:
    signer = chain.users[1]
    wallet = _wallet(chain, w3, signer.address)
    config = _config(chain, w3)
    intent = _weights(chain, w3, signer.address).with_(owner=wallet)
    digest = intent.digest(chain.chain_id, config.settlement)
    good = SignedIntent(intent, SigningScheme.EIP1271, sign_digest(digest, signer.private_key))
    store = SqliteStore(tmp_path / "ob.db")
    body = SignedIntentModel.from_signed(good, chain.chain_id).model_dump(mode="json")
    assert accept(store, config, body)["id"] == "0x" + digest.hex()
    assert store.get("0x" + digest.hex()).signed.scheme is SigningScheme.EIP1271


@pytest.mark.parametrize("how", ["other-key", "other-chain", "eoa-owner"])
def test_rejects_an_eip1271_intent_the_wallet_refuses(chain: World, w3: Any, tmp_path: Any, how: str) -> None:
    signer = chain.users[1]
    wallet = _wallet(chain, w3, signer.address)
    config = _config(chain, w3)
    owner = signer.address if how == "eoa-owner" else wallet
    intent = _weights(chain, w3, signer.address).with_(owner=owner)
    chain_id = chain.chain_id + 1 if how == "other-chain" else chain.chain_id
    key = Account.create().key if how == "other-key" else signer.private_key
    bad = SignedIntent(intent, SigningScheme.EIP1271, sign_digest(intent.digest(chain_id, config.settlement), key))
    store = SqliteStore(tmp_path / "ob.db")
    with pytest.raises(SignatureError, match="isValidSignature refused") as err:
        accept(store, config, SignedIntentModel.from_signed(bad).model_dump(mode="json"))
    assert err.value.field == "signature" and store.count() == 0


def test_rejects_a_nonce_already_spent_on_chain(chain: World, w3: Any, tmp_path: Any) -> None:
    user = chain.users[2]
    config = _config(chain, w3)
    Settlement(w3, config.settlement).invalidate_nonce(user.address, 77)
    intent = _weights(chain, w3, user.address, nonce=77)
    signed = sign_intent(intent, user.private_key, chain.chain_id, config.settlement)
    store = SqliteStore(tmp_path / "ob.db")
    with pytest.raises(DuplicateIntent, match="spent nonce 77") as err:
        accept(store, config, SignedIntentModel.from_signed(signed).model_dump(mode="json"))
    assert err.value.field == "nonce" and store.count() == 0
