"""The orderbook's own wire shapes (pydantic): queries, path parameters and answers.

What a user signs (`SignedIntentModel`, `CancellationModel`) is `intents.wire`'s; this module
holds what only the service says: the stored record, the acceptance, the health answer, and
the listing query. `orderbook/openapi.yml` is generated from these and those
(`python -m orderbook.openapi`); `orderbook.api` parses and answers with them only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from intents.lifecycle import IntentStatus, StoredIntent
from intents.model import IntentKind, SigningScheme
from intents.wire import IntentModel
from keel.wire import Address, Bytes32, HexBytes, Strict, Uint, hex_bytes


class IntentPath(Strict):
    """`/intents/{id}`: the intent's EIP-712 digest."""

    id: Bytes32


class ListQuery(BaseModel):
    """`GET /intents?status=&owner=&limit=` (unknown parameters are ignored, as browsers add some)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: IntentStatus | None = None
    owner: Address | None = None
    limit: int = Field(100, ge=1, le=1000)


class AcceptedModel(Strict):
    """An intent's id and status after `POST /intents` (201) or `DELETE /intents/{id}` (200)."""

    id: Bytes32
    status: IntentStatus


class IntentRecordModel(Strict):
    """One stored intent: its lifecycle, and the signed intent itself."""

    id: Bytes32
    status: IntentStatus
    owner: Address
    nonce: Uint
    kind: Literal["weights", "balances"]
    validTo: int
    txHash: str | None = Field(description="the settling transaction")
    reason: str | None
    createdAt: float
    updatedAt: float
    intent: IntentModel
    signingScheme: SigningScheme
    signature: HexBytes

    @classmethod
    def from_stored(cls, stored: StoredIntent) -> IntentRecordModel:
        signed = stored.signed
        return cls(id=stored.id, status=IntentStatus(stored.status), owner=stored.owner, nonce=stored.nonce,
                   kind="weights" if signed.intent.kind == IntentKind.WEIGHTS else "balances",
                   validTo=stored.valid_to, txHash=stored.tx_hash, reason=stored.reason,
                   createdAt=stored.created_at, updatedAt=stored.updated_at,
                   intent=IntentModel.from_intent(signed.intent), signingScheme=signed.scheme,
                   signature=hex_bytes(signed.signature))


class HealthModel(Strict):
    """`GET /health`: liveness, the chain and settlement intents must be signed for, intents held."""

    ok: bool
    chainId: int
    settlement: Address
    intents: int
