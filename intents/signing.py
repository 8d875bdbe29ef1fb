"""Signing and verifying intents and cancellations: EIP-712 by an EOA, EIP-1271 by a contract.

Pure apart from the key: eth-account signs and recovers. EIP-1271 needs the chain; the
caller passes `check_1271(owner, digest, signature) -> bool` (see `intents.chain`), so this
module never imports web3. Verification is bound to (chain id, settlement address): an
intent signed for another chain or contract recovers another address and is refused with
a message that says so. An oracle-guarded intent is signed under the guarded type (the
struct with `maxOracleDeviationBps` appended): `Intent.digest` picks the type, so signing and
verifying need nothing more.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account import Account

from intents.errors import SignatureError
from intents.model import Cancellation, Intent, SignedIntent, SigningScheme

Check1271 = Callable[[str, bytes, bytes], bool]


def sign_digest(digest: bytes, private_key: bytes | str) -> bytes:
    """65-byte r‖s‖v (v in {27, 28}) over a 32-byte EIP-712 digest."""
    signed = Account.unsafe_sign_hash(digest, private_key)
    return bytes(signed.signature)


def sign_intent(intent: Intent, private_key: bytes | str, chain_id: int, settlement: str) -> SignedIntent:
    return SignedIntent(intent, SigningScheme.EIP712, sign_digest(intent.digest(chain_id, settlement), private_key))


def sign_cancellation(intent_id: str, private_key: bytes | str, chain_id: int, settlement: str) -> bytes:
    return sign_digest(Cancellation(intent_id).digest(chain_id, settlement), private_key)


def recover(digest: bytes, signature: bytes) -> str | None:
    """The EOA that signed `digest`, or None if the signature is malformed."""
    if len(signature) != 65:
        return None
    try:
        return str(Account._recover_hash(digest, signature=signature))
    except Exception:  # eth-keys raises several types for bad r, s, v
        return None


def verify_digest(
    owner: str,
    digest: bytes,
    scheme: SigningScheme,
    signature: bytes,
    check_1271: Check1271 | None = None,
    what: str = "intent",
) -> None:
    """Raise SignatureError unless `signature` is `owner`'s over `digest` under `scheme`."""
    if scheme is SigningScheme.EIP712:
        signer = recover(digest, signature)
        if signer is None:
            raise SignatureError(f"signature: not a valid 65-byte EIP-712 signature of the {what}", "signature")
        if signer != owner:
            raise SignatureError(
                f"signature: the {what} was signed by {signer}, not its owner {owner} "
                "(wrong key, or signed for another chain id or settlement contract)",
                "signature",
            )
        return
    if check_1271 is None:
        raise SignatureError("signingScheme: EIP-1271 signatures need a chain to verify against", "signingScheme")
    if not check_1271(owner, digest, signature):
        raise SignatureError(
            f"signature: {owner}.isValidSignature refused the {what} digest "
            "(not a contract wallet, wrong signature, or another chain id or settlement contract)",
            "signature",
        )


def verify_intent(signed: SignedIntent, chain_id: int, settlement: str, check_1271: Check1271 | None = None) -> str:
    """Verify and return the intent id (0x-hex digest)."""
    digest = signed.intent.digest(chain_id, settlement)
    verify_digest(signed.intent.owner, digest, signed.scheme, signed.signature, check_1271)
    return "0x" + digest.hex()


def verify_cancellation(
    intent_id: str,
    owner: str,
    scheme: SigningScheme,
    signature: bytes,
    chain_id: int,
    settlement: str,
    check_1271: Check1271 | None = None,
) -> None:
    digest = Cancellation(intent_id).digest(chain_id, settlement)
    verify_digest(owner, digest, scheme, signature, check_1271, what="cancellation")
