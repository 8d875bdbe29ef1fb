"""Signing with eth-account and verifying for EOAs; keystores that never leak a key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from intents import keystore
from intents.errors import KeystoreError, SignatureError
from intents.model import Cancellation, SignedIntent, SigningScheme
from intents.signing import sign_cancellation, sign_intent, verify_cancellation, verify_intent
from tests.unit.intents.test_model import SETTLEMENT, weights_intent

OTHER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
FAST = 2**10  # scrypt cost for tests only; real keystores use eth-account's default


def test_should_verify_an_intent_signed_in_python_and_return_its_digest_as_id() -> None:
    acct = Account.create()
    intent = weights_intent(owner=acct.address)
    signed = sign_intent(intent, acct.key, 31337, SETTLEMENT)
    assert verify_intent(signed, 31337, SETTLEMENT) == intent.intent_id(31337, SETTLEMENT)
    # the same bytes eth-account's typed-data signer produces
    reference = Account.sign_typed_data(acct.key, full_message=intent.to_eip712(31337, SETTLEMENT))
    assert signed.signature == bytes(reference.signature)


@pytest.mark.parametrize(("chain_id", "settlement"), [(1, SETTLEMENT), (31337, OTHER)])
def test_rejects_a_signature_made_for_another_chain_or_settlement(chain_id: int, settlement: str) -> None:
    acct = Account.create()
    signed = sign_intent(weights_intent(owner=acct.address), acct.key, chain_id, settlement)
    with pytest.raises(SignatureError, match="another chain id or settlement") as err:
        verify_intent(signed, 31337, SETTLEMENT)
    assert err.value.field == "signature"


def test_rejects_a_signature_by_someone_other_than_the_owner() -> None:
    owner, thief = Account.create(), Account.create()
    signed = sign_intent(weights_intent(owner=owner.address), thief.key, 31337, SETTLEMENT)
    with pytest.raises(SignatureError, match=f"signed by {thief.address}"):
        verify_intent(signed, 31337, SETTLEMENT)


def test_rejects_garbage_of_the_right_length() -> None:
    signed = SignedIntent(weights_intent(), SigningScheme.EIP712, b"\x01" * 65)
    with pytest.raises(SignatureError, match="signature"):
        verify_intent(signed, 31337, SETTLEMENT)


def test_rejects_an_eip1271_intent_without_a_chain() -> None:
    signed = SignedIntent(weights_intent(), SigningScheme.EIP1271, b"\x01" * 3)
    with pytest.raises(SignatureError) as err:
        verify_intent(signed, 31337, SETTLEMENT)
    assert err.value.field == "signingScheme"


def test_should_call_the_1271_checker_with_the_owner_and_the_digest() -> None:
    intent = weights_intent()
    seen: list[tuple[str, bytes, bytes]] = []

    def checker(owner: str, digest: bytes, sig: bytes) -> bool:
        seen.append((owner, digest, sig))
        return sig == b"ok"

    verify_intent(SignedIntent(intent, SigningScheme.EIP1271, b"ok"), 1, SETTLEMENT, checker)
    assert seen == [(intent.owner, intent.digest(1, SETTLEMENT), b"ok")]
    with pytest.raises(SignatureError, match="isValidSignature refused"):
        verify_intent(SignedIntent(intent, SigningScheme.EIP1271, b"no"), 1, SETTLEMENT, checker)


def test_should_verify_a_cancellation_only_from_the_owner() -> None:
    owner, other = Account.create(), Account.create()
    intent_id = weights_intent(owner=owner.address).intent_id(1, SETTLEMENT)
    sig = sign_cancellation(intent_id, owner.key, 1, SETTLEMENT)
    verify_cancellation(intent_id, owner.address, SigningScheme.EIP712, sig, 1, SETTLEMENT)
    assert Cancellation(intent_id).digest(1, SETTLEMENT) != bytes.fromhex(intent_id[2:])
    with pytest.raises(SignatureError, match="cancellation"):
        verify_cancellation(intent_id, owner.address, SigningScheme.EIP712,
                            sign_cancellation(intent_id, other.key, 1, SETTLEMENT), 1, SETTLEMENT)


def test_should_create_unlock_and_list_keystores(tmp_path: Path) -> None:
    entry = keystore.create("alice", "pw", tmp_path, FAST)
    assert (entry.path.stat().st_mode & 0o777) == 0o600
    assert keystore.unlock("alice", "pw", tmp_path).address == entry.address
    assert keystore.unlock(entry.address.lower(), "pw", tmp_path).address == entry.address
    assert [e.name for e in keystore.entries(tmp_path)] == ["alice"]
    stored = json.loads(entry.path.read_text())
    assert "crypto" in stored and "privateKey" not in json.dumps(stored)


def test_should_import_a_key_and_sign_with_it(tmp_path: Path) -> None:
    acct = Account.create()
    keystore.import_key("bob", acct.key.hex(), "pw", tmp_path, FAST)
    unlocked = keystore.unlock("bob", "pw", tmp_path)
    signed = sign_intent(weights_intent(owner=acct.address), unlocked.key, 1, SETTLEMENT)
    assert verify_intent(signed, 1, SETTLEMENT)
    assert acct.key.hex() not in (tmp_path / "bob.json").read_text()


@pytest.mark.parametrize(
    ("action", "field"),
    [
        (lambda d: keystore.unlock("alice", "wrong", d), "password"),
        (lambda d: keystore.unlock("nobody", "pw", d), "account"),
        (lambda d: keystore.create("alice", "pw", d, FAST), "name"),
        (lambda d: keystore.create("../evil", "pw", d, FAST), "name"),
        (lambda d: keystore.create("carol", "", d, FAST), "password"),
        (lambda d: keystore.import_key("dave", "0x1234", "pw", d, FAST), "key"),
    ],
)
def test_rejects_bad_keystore_requests_naming_the_field(tmp_path: Path, action: object, field: str) -> None:
    keystore.create("alice", "pw", tmp_path, FAST)
    with pytest.raises(KeystoreError) as err:
        action(tmp_path)  # type: ignore[operator]
    assert err.value.field == field
    assert len(keystore.entries(tmp_path)) == 1
