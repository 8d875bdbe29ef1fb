"""Wire shapes (JSON) of intents, signed intents and cancellations: pydantic, at the edge only.

The scalars (`Uint`, `Address`, `HexBytes`) and the parser are `keel.wire`'s: uint256 values
travel as decimal strings, integers are accepted too. Past this module the code uses
`intents.model`'s frozen dataclasses. Every validation failure becomes one `IntentError`
naming the field by its JSON path (`intent.tokens[2]`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, Field

from intents.errors import IntentError
from intents.model import Intent, IntentKind, SignedIntent, SigningScheme
from keel import wire
from keel.wire import Address, HexBytes, Strict, Uint, from_hex, hex_bytes

__all__ = ["Address", "CancellationModel", "HexBytes", "IntentModel", "SignedIntentModel", "Uint", "parse",
           "parse_signed"]

M = TypeVar("M", bound=BaseModel)


class IntentModel(Strict):
    """The Intent as JSON, field names as in the EIP-712 struct."""

    owner: Address
    tokens: list[Address] = Field(min_length=2, description="tokens[0] is the numeraire")
    minPrice: list[Uint] = Field(description="numeraire base units per token base unit x 1e18")
    maxPrice: list[Uint]
    kind: IntentKind = Field(description="0 weights, 1 balances (hedge)")
    targetWeightBps: list[Uint] = Field(default_factory=list)
    toleranceBps: Uint = 0
    minBalance: list[Uint] = Field(default_factory=list)
    maxBalance: list[Uint] = Field(default_factory=list)
    maxFeeBps: Uint
    validTo: Uint
    nonce: Uint
    maxOracleDeviationBps: Uint | None = Field(
        None, description="oracle-guarded: signed under the Intent type with this field appended; the settlement "
                          "refuses a clearing price further than this (bps) from its Chainlink-style feeds. "
                          "Absent, null or 0: unguarded")

    def to_intent(self) -> Intent:
        return Intent.from_message(self.model_dump(mode="python"))

    @classmethod
    def from_intent(cls, intent: Intent) -> IntentModel:
        return cls.model_validate(intent.message())


class SignedIntentModel(Strict):
    """What `POST /intents` takes. `chainId`, when given, must be the node's chain."""

    intent: IntentModel
    signingScheme: SigningScheme = Field(SigningScheme.EIP712, description="0 EIP-712 by an EOA, 1 EIP-1271")
    signature: HexBytes
    chainId: Uint | None = None

    def to_signed(self) -> SignedIntent:
        """The frozen SignedIntent; an IntentError raised inside the intent names `intent.<field>`."""
        try:
            return SignedIntent(self.intent.to_intent(), self.signingScheme, from_hex(self.signature))
        except IntentError as exc:
            if exc.field in (None, "signature", "signingScheme"):  # the envelope's own fields
                raise
            raise exc.within("intent") from None

    @classmethod
    def from_signed(cls, signed: SignedIntent, chain_id: int | None = None) -> SignedIntentModel:
        return cls(intent=IntentModel.from_intent(signed.intent), signingScheme=signed.scheme,
                   signature=hex_bytes(signed.signature), chainId=chain_id)


class CancellationModel(Strict):
    """What `DELETE /intents/{id}` takes: the owner's signature over Cancellation(intentId)."""

    signingScheme: SigningScheme = SigningScheme.EIP712
    signature: HexBytes


def parse(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate JSON data into `model`; the first problem becomes an IntentError naming its field."""
    return wire.parse(model, data, IntentError, prefix)


def parse_signed(data: Any) -> SignedIntent:
    """JSON body -> SignedIntent (structure only; `intents.validate` checks meaning)."""
    return parse(SignedIntentModel, data).to_signed()
