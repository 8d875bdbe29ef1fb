"""settle() refuses what its signers did not sign, after validTo, or twice; EIP-1271 wallets sign too."""

from __future__ import annotations

from eth_keys import KeyAPI

from contracts.artifacts import keel
from contracts.settlement import SCHEME_EIP1271
from intents.signing import sign_digest
from tests.integration.settlement.helpers import E18, Env, assert_refused, calldata
from tests.integration.settlement.scenarios import cow_pair, rebalance_leg


def test_should_accept_the_untouched_pair_these_refusals_start_from(env: Env) -> None:
    env.settlement.call(env.solver, cow_pair(env).batch(env))


def test_rejects_when_the_intent_is_signed_by_someone_other_than_its_owner(env: Env) -> None:
    pair = cow_pair(env)
    pair.legs[0].signature = env.sign(pair.legs[0].intent, env.world.users[1].private_key)
    reason = assert_refused(env, pair.batch(env), "InvalidSignature")
    assert reason.execution == 0


def test_rejects_when_a_signed_field_is_tampered_with(env: Env) -> None:
    pair = cow_pair(env)
    leg = pair.legs[1]
    leg.signature = env.sign(leg.intent, leg.key)
    leg.intent = leg.intent.with_(max_fee_bps=leg.intent.max_fee_bps + 1)
    reason = assert_refused(env, pair.batch(env), "InvalidSignature")
    assert reason.execution == 1


def test_rejects_when_the_intent_has_expired(env: Env) -> None:
    pair = cow_pair(env)
    now = env.w3.eth.get_block("latest")["timestamp"]
    pair.legs[0].intent = pair.legs[0].intent.with_(valid_to=now - 1)
    reason = assert_refused(env, pair.batch(env), "IntentExpired")
    assert reason.args == {"execution": 0, "validTo": now - 1}


def test_accepts_an_intent_in_the_very_second_of_its_valid_to(env: Env) -> None:
    pair = cow_pair(env)
    now = env.w3.eth.get_block("latest")["timestamp"]
    pair.legs[0].intent = pair.legs[0].intent.with_(valid_to=now + 1)
    env.w3.provider.make_request("evm_setNextBlockTimestamp", [now + 1])  # validTo is inclusive
    receipt = env.settlement.settle(env.solver, pair.batch(env))
    assert env.w3.eth.get_block(receipt["blockNumber"])["timestamp"] == now + 1
    assert env.settlement.is_nonce_spent(pair.legs[0].intent.owner, pair.legs[0].intent.nonce)


def test_rejects_when_a_settled_intent_is_replayed(env: Env) -> None:
    pair = cow_pair(env)
    batch = pair.batch(env)
    env.settlement.settle(env.solver, batch)
    reason = assert_refused(env, batch, "NonceAlreadyUsed")
    assert reason.args == {"execution": 0, "owner": pair.legs[0].intent.owner, "nonce": 1}


def test_rejects_a_different_intent_that_reuses_a_spent_nonce(env: Env) -> None:
    env.settlement.settle(env.solver, cow_pair(env).batch(env))
    again = cow_pair(env, weth=E18)  # same users, same nonces, other amounts: another digest
    assert_refused(env, again.batch(env), "NonceAlreadyUsed")


def test_rejects_when_the_owner_cancelled_the_nonce(env: Env) -> None:
    pair = cow_pair(env)
    owner = pair.legs[1].intent.owner
    assert not env.settlement.is_nonce_spent(owner, 1)
    env.settlement.invalidate_nonce(owner, 1)
    assert env.settlement.is_nonce_spent(owner, 1)
    reason = assert_refused(env, pair.batch(env), "NonceCancelled")
    assert reason.args == {"execution": 1, "owner": owner, "nonce": 1}


def test_rejects_an_unknown_signing_scheme(env: Env) -> None:
    pair = cow_pair(env)
    pair.legs[0].scheme = 7
    reason = assert_refused(env, pair.batch(env), "UnknownSigningScheme")
    assert reason.args == {"execution": 0, "scheme": 7}


def _wallet_leg(env: Env, pair_prices: dict[str, int]) -> tuple[str, object]:
    """A SignerWallet owned by users[0]'s key, holding 20 WETH, with the relayer approved."""
    signer = env.world.users[0]
    art = keel("SignerWallet")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    receipt = env.w3.eth.wait_for_transaction_receipt(factory.constructor(signer.address).transact({"from": signer.address}))
    wallet = env.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)
    weth = env.addr("WETH")
    env.fund(signer.address, weth, wallet.address, 20 * E18)
    approve = calldata(env.erc20(weth), "approve", env.settlement.relayer(), 2**256 - 1)
    tx = wallet.functions.execute(weth, approve).transact({"from": signer.address})
    assert env.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    return wallet.address, signer


def test_should_settle_an_intent_signed_by_an_eip1271_wallet(env: Env) -> None:
    pair = cow_pair(env, users=(2, 1))
    wallet, signer = _wallet_leg(env, pair.prices)
    weth, usdc = env.addr("WETH"), env.addr("USDC")
    leg = rebalance_leg(env, 0, pair.prices, weth, 10 * E18, usdc)
    leg.intent = leg.intent.with_(owner=wallet)
    # the wallet holds only WETH: after selling half it should hold half its value in USDC
    leg.intent = leg.intent.with_(target_weight_bps=(5000, 5000, 0))
    leg.scheme = SCHEME_EIP1271
    leg.signature = sign_digest(leg.intent.digest(env.chain_id, env.settlement.address), signer.private_key)
    pair.legs[0] = leg
    before = env.balance(wallet, weth)
    env.settlement.settle(env.solver, pair.batch(env))
    assert env.balance(wallet, weth) == before - 10 * E18
    assert env.settlement.is_nonce_spent(wallet, 1)


def test_rejects_an_eip1271_signature_the_wallet_does_not_accept(env: Env) -> None:
    pair = cow_pair(env, users=(2, 1))
    wallet, _signer = _wallet_leg(env, pair.prices)
    weth, usdc = env.addr("WETH"), env.addr("USDC")
    leg = rebalance_leg(env, 0, pair.prices, weth, 10 * E18, usdc)
    leg.intent = leg.intent.with_(owner=wallet, target_weight_bps=(5000, 5000, 0))
    leg.scheme = SCHEME_EIP1271
    stranger = env.world.users[5].private_key
    leg.signature = sign_digest(leg.intent.digest(env.chain_id, env.settlement.address), stranger)
    pair.legs[0] = leg
    assert_refused(env, pair.batch(env), "InvalidSignature", extra_owners=[wallet])


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _high_s_twin(signature: bytes) -> bytes:
    """The malleable twin of a 65-byte r‖s‖v signature: s' = n - s, v flipped (EIP-2)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def test_rejects_the_high_s_twin_of_a_valid_signature(env: Env) -> None:
    pair = cow_pair(env)
    leg = pair.legs[0]
    low = env.sign(leg.intent, leg.key)
    high = _high_s_twin(low)
    digest = leg.intent.digest(env.chain_id, env.settlement.address)
    # the twin is a valid secp256k1 signature of the same digest by the same key ...
    assert KeyAPI().ecdsa_recover(digest, KeyAPI.Signature(vrs=(high[64] - 27, int.from_bytes(high[:32], "big"),
                                  int.from_bytes(high[32:64], "big")))).to_checksum_address() == leg.intent.owner
    leg.signature = high
    reason = assert_refused(env, pair.batch(env), "InvalidSignature")  # ... and the contract takes only low s
    assert reason.args == {"execution": 0}


def test_accepts_the_low_s_form_of_the_same_signature(env: Env) -> None:
    pair = cow_pair(env)
    assert int.from_bytes(env.sign(pair.legs[0].intent, pair.legs[0].key)[32:64], "big") <= SECP256K1_N // 2
    env.settlement.settle(env.solver, pair.batch(env))
    assert env.settlement.is_nonce_spent(pair.legs[0].intent.owner, pair.legs[0].intent.nonce)
