"""Wire shapes (JSON) of intents, signed intents and cancellations: pydantic, at the edge only.

uint256 values travel as decimal strings (JSON numbers lose precision past 2**53 in most
clients); integers are accepted too. Past this module the code uses `intents.model`'s
frozen dataclasses. Every validation failure becomes one `IntentError` naming the field
by its JSON path (`intent.tokens[2]`).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError

from intents.errors import IntentError
from intents.model import Intent, IntentKind, SignedIntent, SigningScheme, checksum

M = TypeVar("M", bound=BaseModel)


def _to_uint(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an unsigned integer, got a boolean")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and value.strip().isdigit():
        n = int(value.strip())
    elif isinstance(value, str) and value.startswith("0x"):
        try:
            n = int(value, 16)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"expected an unsigned integer (decimal string), got {value!r}")
    if not 0 <= n < 2**256:
        raise ValueError(f"{n} is outside uint256")
    return n


def _to_address(value: Any) -> str:
    try:
        return checksum(value, "address")
    except IntentError:
        raise ValueError(f"{value!r} is not a 20-byte hex address") from None


def _to_hex_bytes(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError("expected 0x-prefixed hex")
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        raise ValueError("expected 0x-prefixed hex") from None
    return value.lower()


Uint = Annotated[int, BeforeValidator(_to_uint), PlainSerializer(str, return_type=str, when_used="json")]
Address = Annotated[str, BeforeValidator(_to_address)]
HexBytes = Annotated[str, BeforeValidator(_to_hex_bytes)]


class IntentModel(BaseModel):
    """The Intent as JSON, field names as in the EIP-712 struct."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: Address
    tokens: list[Address] = Field(min_length=2)
    minPrice: list[Uint]
    maxPrice: list[Uint]
    kind: IntentKind
    targetWeightBps: list[Uint] = Field(default_factory=list)
    toleranceBps: Uint = 0
    minBalance: list[Uint] = Field(default_factory=list)
    maxBalance: list[Uint] = Field(default_factory=list)
    maxFeeBps: Uint
    validTo: Uint
    nonce: Uint

    def to_intent(self) -> Intent:
        return Intent.from_message(self.model_dump(mode="python"))

    @classmethod
    def from_intent(cls, intent: Intent) -> IntentModel:
        return cls.model_validate(intent.message())


class SignedIntentModel(BaseModel):
    """What `POST /intents` takes. `chainId`, when given, must be the node's chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: IntentModel
    signingScheme: SigningScheme = SigningScheme.EIP712
    signature: HexBytes
    chainId: Uint | None = None

    def to_signed(self) -> SignedIntent:
        return SignedIntent(self.intent.to_intent(), self.signingScheme, bytes.fromhex(self.signature[2:]))

    @classmethod
    def from_signed(cls, signed: SignedIntent, chain_id: int | None = None) -> SignedIntentModel:
        return cls(
            intent=IntentModel.from_intent(signed.intent),
            signingScheme=signed.scheme,
            signature="0x" + signed.signature.hex(),
            chainId=chain_id,
        )


class CancellationModel(BaseModel):
    """What `DELETE /intents/{id}` takes: the owner's signature over Cancellation(intentId)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signingScheme: SigningScheme = SigningScheme.EIP712
    signature: HexBytes


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate JSON data into `model`; the first problem becomes an IntentError naming its field."""
    if not isinstance(data, dict):
        raise IntentError(f"{prefix or 'body'}: expected a JSON object", prefix or "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(p for p in (prefix, _path(tuple(err["loc"]))) if p) or "body"
        kind = err["type"]
        if kind == "missing":
            msg = "is required"
        elif kind == "extra_forbidden":
            msg = "is not a known field"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        raise IntentError(f"{field}: {msg}", field) from None
    except IntentError as exc:  # raised by model construction (checksum, uint bounds)
        raise IntentError(str(exc), exc.field) from None


def parse_signed(data: Any) -> SignedIntent:
    """JSON body -> SignedIntent (structure only; `intents.validate` checks meaning)."""
    model = parse(SignedIntentModel, data)
    try:
        return model.to_signed()
    except IntentError as exc:
        field = f"intent.{exc.field}" if exc.field and exc.field not in ("signature", "signingScheme") else exc.field
        raise IntentError(str(exc).replace(f"{exc.field}:", f"{field}:", 1), field) from None
