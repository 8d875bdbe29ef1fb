"""The Intent: what a user signs. One EIP-712 struct covers both risk outcomes.

The struct (docs/interfaces.md, "The intent"), byte for byte what BatchSettlement hashes:

    Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,
           uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,
           uint256[] maxBalance,uint256 maxFeeBps,uint256 validTo,uint256 nonce)

An oracle-guarded intent (`max_oracle_deviation_bps` set) is signed under the same struct
with `uint256 maxOracleDeviationBps` appended — the contract's `GUARDED_INTENT_TYPEHASH` —
and the settlement then refuses any clearing price further than that from its owner-set
Chainlink-style feeds (`OracleDeviation`). 0 or None means unguarded: the plain struct, so
every intent signed before the field existed keeps its id. `as_tuple()` is always the plain
struct's ABI tuple; the bound travels beside it (`contracts.settlement.Execution`).

Domain: {name: "keel", version: "1", chainId, verifyingContract: <BatchSettlement>}.
The intent id is the EIP-712 digest, so an intent signed for another chain or another
settlement contract has another id and fails verification.

`digest` is computed here from first principles (hashStruct per EIP-712) so that a test can
hold it against eth-account's independent `encode_typed_data`. Cancellations are their own
tiny struct, `Cancellation(bytes32 intentId)`, under the same domain.

Pure: no web3, no I/O. Shape checks that need context (sum of weights, price bounds) live
in `intents.validate`; this module only refuses values that cannot be encoded at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import is_address, keccak, to_checksum_address

from contracts.intent_abi import INTENT_ABI_TYPE, INTENT_STRUCT
from intents.errors import IntentError

UINT256_MAX = 2**256 - 1

DOMAIN_NAME = "keel"
DOMAIN_VERSION = "1"


class IntentKind(IntEnum):
    WEIGHTS = 0
    BALANCES = 1


class SigningScheme(IntEnum):
    EIP712 = 0
    EIP1271 = 1


EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


# (solidity name, python attribute, EIP-712 type) in struct order; the struct is the contract's.
INTENT_FIELDS: tuple[tuple[str, str, str], ...] = tuple((n, _snake(n), t) for n, t in INTENT_STRUCT)
INTENT_EIP712_TYPE = [{"name": n, "type": t} for n, _, t in INTENT_FIELDS]
INTENT_TYPE_STRING = "Intent(" + ",".join(f"{t} {n}" for n, _, t in INTENT_FIELDS) + ")"
INTENT_TYPEHASH = keccak(text=INTENT_TYPE_STRING)

# The oracle-guarded type: the same struct with the signed bound appended (IntentHashing.sol).
GUARD_FIELD = ("maxOracleDeviationBps", "max_oracle_deviation_bps", "uint256")
GUARDED_INTENT_FIELDS: tuple[tuple[str, str, str], ...] = (*INTENT_FIELDS, GUARD_FIELD)
GUARDED_INTENT_EIP712_TYPE = [{"name": n, "type": t} for n, _, t in GUARDED_INTENT_FIELDS]
GUARDED_INTENT_TYPE_STRING = "Intent(" + ",".join(f"{t} {n}" for n, _, t in GUARDED_INTENT_FIELDS) + ")"
GUARDED_INTENT_TYPEHASH = keccak(text=GUARDED_INTENT_TYPE_STRING)

CANCELLATION_TYPE_STRING = "Cancellation(bytes32 intentId)"
CANCELLATION_TYPEHASH = keccak(text=CANCELLATION_TYPE_STRING)
CANCELLATION_EIP712_TYPE = [{"name": "intentId", "type": "bytes32"}]

DOMAIN_TYPE_STRING = (
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
DOMAIN_TYPEHASH = keccak(text=DOMAIN_TYPE_STRING)


def checksum(value: str, field_name: str) -> str:
    """A checksummed address, or an IntentError naming the field."""
    if not isinstance(value, str) or not is_address(value):
        raise IntentError(f"{field_name}: {value!r} is not a 20-byte hex address", field_name)
    return to_checksum_address(value)


def _uint(value: Any, field_name: str, bits: int = 256) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise IntentError(f"{field_name}: expected an integer, got {value!r}", field_name)
    if value < 0 or value >= 2**bits:
        raise IntentError(f"{field_name}: {value} is outside uint{bits}", field_name)
    return value


@dataclass(frozen=True)
class Intent:
    """A signed-to-be risk outcome. Amounts and prices are integers in base units.

    Invariants enforced at construction: addresses are checksummed, every number fits its
    Solidity type. Semantic checks (lengths agree, weights sum to 10000, min <= max) are in
    `intents.validate.check_intent` so that they can report against a world and a clock.
    """

    owner: str
    tokens: tuple[str, ...]
    min_price: tuple[int, ...]
    max_price: tuple[int, ...]
    kind: IntentKind
    target_weight_bps: tuple[int, ...] = ()
    tolerance_bps: int = 0
    min_balance: tuple[int, ...] = ()
    max_balance: tuple[int, ...] = ()
    max_fee_bps: int = 0
    valid_to: int = 0
    nonce: int = 0
    max_oracle_deviation_bps: int | None = None  # None (or 0): unguarded, the plain struct

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once
        set_(self, "owner", checksum(self.owner, "owner"))
        set_(self, "tokens", tuple(checksum(t, f"tokens[{i}]") for i, t in enumerate(self.tokens)))
        try:
            set_(self, "kind", IntentKind(self.kind))
        except ValueError as exc:
            raise IntentError(
                f"kind: {self.kind!r} is not 0 (weights) or 1 (balances)", "kind"
            ) from exc
        for sol, attr, typ in INTENT_FIELDS:
            if typ == "uint256[]":
                values = tuple(getattr(self, attr))
                set_(self, attr, tuple(_uint(v, f"{sol}[{i}]") for i, v in enumerate(values)))
            elif typ == "uint256":
                _uint(getattr(self, attr), sol)
        if self.max_oracle_deviation_bps is not None:
            guard = _uint(self.max_oracle_deviation_bps, GUARD_FIELD[0])
            set_(self, "max_oracle_deviation_bps", guard or None)  # 0 means unguarded: one form each

    @property
    def guarded(self) -> bool:
        """Signed under the oracle-guarded type: the contract checks prices against its feeds."""
        return self.max_oracle_deviation_bps is not None

    @property
    def fields(self) -> tuple[tuple[str, str, str], ...]:
        """(solidity name, attribute, EIP-712 type) of the struct this intent is signed under."""
        return GUARDED_INTENT_FIELDS if self.guarded else INTENT_FIELDS

    # ---- EIP-712 -------------------------------------------------------------------------

    def message(self) -> dict[str, Any]:
        """The struct as an EIP-712 message: Solidity field names, ints, checksummed addresses."""
        out: dict[str, Any] = {}
        for sol, attr, _ in self.fields:
            value = getattr(self, attr)
            out[sol] = (
                list(value)
                if isinstance(value, tuple)
                else (int(value) if sol == "kind" else value)
            )
        return out

    def to_eip712(self, chain_id: int, settlement: str) -> dict[str, Any]:
        """The full typed-data dict for `eth_account.messages.encode_typed_data(full_message=...)`."""
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE,
                      "Intent": GUARDED_INTENT_EIP712_TYPE if self.guarded else INTENT_EIP712_TYPE},
            "primaryType": "Intent",
            "domain": domain(chain_id, settlement),
            "message": self.message(),
        }

    def struct_hash(self) -> bytes:
        """hashStruct(Intent): keccak(typeHash ‖ encodeData), arrays hashed as packed 32-byte words."""
        words: list[bytes] = [GUARDED_INTENT_TYPEHASH if self.guarded else INTENT_TYPEHASH]
        for _sol, attr, typ in self.fields:
            value = getattr(self, attr)
            if typ.endswith("[]"):
                inner = typ[:-2]
                words.append(keccak(b"".join(abi_encode([inner], [v]) for v in value)))
            else:
                words.append(abi_encode([typ], [int(value) if typ == "uint8" else value]))
        return keccak(b"".join(words))

    def digest(self, chain_id: int, settlement: str) -> bytes:
        """The EIP-712 digest, keccak(0x1901 ‖ domainSeparator ‖ hashStruct): the intent id."""
        return eip712_digest(domain_separator(chain_id, settlement), self.struct_hash())

    def intent_id(self, chain_id: int, settlement: str) -> str:
        """The digest as 0x-hex: the intent's id everywhere (orderbook, auction, events)."""
        return "0x" + self.digest(chain_id, settlement).hex()

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple for the contract's `Intent` struct (field order of the struct); the oracle
        bound is not part of it (the guarded type only appends it for hashing)."""
        out: list[Any] = []
        for _, attr, typ in INTENT_FIELDS:
            value = getattr(self, attr)
            if typ.endswith("[]"):
                out.append(list(value))
            elif typ == "address":
                out.append(value)
            else:
                out.append(int(value))
        return tuple(out)

    def abi_encode(self) -> bytes:
        """`abi.encode(intent)` as Solidity would produce it."""
        return abi_encode([INTENT_ABI_TYPE], [self.as_tuple()])

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Intent:
        """The inverse of `message()`; missing or extra keys are an IntentError naming them.
        `maxOracleDeviationBps` is optional (absent or None: unguarded)."""
        names = [sol for sol, _, _ in INTENT_FIELDS]
        missing = [n for n in names if n not in message]
        if missing:
            raise IntentError(f"{missing[0]}: missing from the intent", missing[0])
        extra = sorted(set(message) - set(names) - {GUARD_FIELD[0]})
        if extra:
            raise IntentError(f"{extra[0]}: not an Intent field", extra[0])
        kwargs: dict[str, Any] = {}
        for sol, attr, typ in INTENT_FIELDS:
            value = message[sol]
            if typ.endswith("[]"):
                if not isinstance(value, list | tuple):
                    raise IntentError(f"{sol}: expected a list", sol)
                value = tuple(value)
            kwargs[attr] = value
        kwargs[GUARD_FIELD[1]] = message.get(GUARD_FIELD[0])
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Intent:
        return replace(self, **changes)

    @property
    def numeraire(self) -> str:
        return self.tokens[0]


def domain(chain_id: int, settlement: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": _uint(chain_id, "chainId"),
        "verifyingContract": checksum(settlement, "verifyingContract"),
    }


def domain_separator(chain_id: int, settlement: str) -> bytes:
    """keccak(DOMAIN_TYPEHASH ‖ keccak(name) ‖ keccak(version) ‖ chainId ‖ verifyingContract)."""
    d = domain(chain_id, settlement)
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                DOMAIN_TYPEHASH,
                keccak(text=d["name"]),
                keccak(text=d["version"]),
                d["chainId"],
                d["verifyingContract"],
            ],
        )
    )


def eip712_digest(separator: bytes, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + separator + struct_hash)


def parse_id(intent_id: str, field_name: str = "intentId") -> bytes:
    """A 0x-hex bytes32 id, or an IntentError naming the field."""
    text = intent_id[2:] if isinstance(intent_id, str) and intent_id.startswith("0x") else None
    try:
        raw = bytes.fromhex(text) if text is not None else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise IntentError(
            f"{field_name}: {intent_id!r} is not a 0x-prefixed 32-byte hex id", field_name
        )
    return raw


@dataclass(frozen=True)
class Cancellation:
    """`Cancellation(bytes32 intentId)`: the owner's signed wish to withdraw an open intent."""

    intent_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "intent_id", "0x" + parse_id(self.intent_id).hex())

    def struct_hash(self) -> bytes:
        return keccak(CANCELLATION_TYPEHASH + parse_id(self.intent_id))

    def digest(self, chain_id: int, settlement: str) -> bytes:
        return eip712_digest(domain_separator(chain_id, settlement), self.struct_hash())

    def to_eip712(self, chain_id: int, settlement: str) -> dict[str, Any]:
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Cancellation": CANCELLATION_EIP712_TYPE},
            "primaryType": "Cancellation",
            "domain": domain(chain_id, settlement),
            "message": {"intentId": parse_id(self.intent_id)},
        }


@dataclass(frozen=True)
class SignedIntent:
    """An intent with its owner's signature (65-byte r‖s‖v for EIP-712, opaque for EIP-1271)."""

    intent: Intent
    scheme: SigningScheme
    signature: bytes

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "scheme", SigningScheme(self.scheme))
        except ValueError as exc:
            raise IntentError(f"signingScheme: {self.scheme!r} is not 0 (eip712) or 1 (eip1271)", "signingScheme") from exc
        if self.scheme is SigningScheme.EIP712 and len(self.signature) != 65:
            raise IntentError(f"signature: an EIP-712 signature is 65 bytes, got {len(self.signature)}", "signature")
