"""What a settled batch did for each intent, read back from the chain.

`BatchSettlement` emits one `BatchSettled(solver, interactions, intentIds)` event per batch
(docs/interfaces.md, "Events"): the ids of every executed intent, in execution order. What
each intent gave and received is not logged: it is the intent's signed flows at the batch's
clearing prices, both already in the `settle` calldata. This module decodes that calldata
with keel's own reading of the compact encoding (the inverse of
`contracts.settlement.encode_execution`, the Python twin of `ExecutionCodec.sol`) and values
the flows exactly as the contract does: `given = Σ -flow·price` over outflows, `received =
Σ flow·price` over inflows, integers, no rounding.

A fill is a dict `{execution, intentId, owner, nonce, given, received}` (the shape the old
per-intent `IntentExecuted` event had). When the transaction did not call `settle` directly
(a wrapper contract called it), its input cannot be read here: ids are still reported and
the decoded fields are None. Malformed calldata raises ChainError naming the execution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from keel.errors import ChainError

UINT256_MAX = 2**256 - 1
KIND_WEIGHTS = 0


@dataclass(frozen=True)
class DecodedExecution:
    """The fields of one compact execution that say who traded what (not the bounds)."""

    owner: str
    kind: int
    scheme: int
    nonce: int
    price_index: tuple[int, ...]
    flows: tuple[int, ...]


class _Reader:
    """A cursor over one compact execution; ChainError when a field runs past the end."""

    def __init__(self, blob: bytes, where: str) -> None:
        self.blob, self.at, self.where = blob, 0, where

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.blob):
            raise ChainError(f"{self.where}: the compact execution ends inside a field (byte {self.at})")
        out = self.blob[self.at:self.at + size]
        self.at += size
        return out

    def uint(self) -> int:
        header = self.take(1)[0]
        if header == 0xFF:
            return UINT256_MAX
        if header > 32:
            raise ChainError(f"{self.where}: length byte {header} above 32 at byte {self.at - 1}")
        return int.from_bytes(self.take(header), "big")

    def flow(self) -> int:
        header = self.take(1)[0]
        size = header & 0x7F
        if size > 32:
            raise ChainError(f"{self.where}: flow length {size} above 32 at byte {self.at - 1}")
        magnitude = int.from_bytes(self.take(size), "big")
        return -magnitude if header & 0x80 else magnitude


def decode_execution(blob: bytes, where: str = "execution") -> DecodedExecution:
    """Read one compact execution (docs/interfaces.md, "Compact executions")."""
    r = _Reader(blob, where)
    owner = to_checksum_address(r.take(20))
    flags, n = r.take(1)[0], r.take(1)[0]
    kind, guarded, scheme = flags & 0x07, bool(flags & 0x08), flags >> 4
    _valid_to, nonce, _max_fee, _tolerance = r.uint(), r.uint(), r.uint(), r.uint()
    if guarded:
        r.uint()  # maxOracleDeviationBps
    index, flows = [], []
    for _ in range(n):
        index.append(r.take(1)[0])
        r.uint(), r.uint()  # minPrice, maxPrice
        r.uint()  # targetWeightBps | minBalance
        if kind != KIND_WEIGHTS:
            r.uint()  # maxBalance
        flows.append(r.flow())
    return DecodedExecution(owner, kind, scheme, nonce, tuple(index), tuple(flows))


def value_of(execution: DecodedExecution, clearing_prices: list[int]) -> tuple[int, int]:
    """(given, received) at the clearing prices, as `Outcome.valueOf` computes them."""
    given = received = 0
    for index, flow in zip(execution.price_index, execution.flows, strict=True):
        if index >= len(clearing_prices):
            raise ChainError(f"priceIndex {index}: the batch has {len(clearing_prices)} prices")
        if flow < 0:
            given += -flow * clearing_prices[index]
        else:
            received += flow * clearing_prices[index]
    return given, received


def decode_settle_input(data: bytes, selector: bytes, arg_types: tuple[str, ...]) -> tuple[list[int], list[bytes]]:
    """(clearing prices, compact executions) of `settle` calldata; ChainError if it is not one."""
    if data[:4] != selector:
        raise ChainError(f"not a settle call (selector 0x{data[:4].hex()})")
    try:
        _tokens, prices, executions, *_rest = abi_decode(list(arg_types), data[4:])
    except Exception as exc:  # eth_abi raises several types for bad input
        raise ChainError(f"settle calldata does not decode: {exc}") from exc
    return [int(p) for p in prices], [bytes(e) for e in executions]


def fills(intent_ids: list[bytes], tx: Any, settlement: str, selector: bytes,
          arg_types: tuple[str, ...]) -> list[dict[str, Any]]:
    """One fill per id of a `BatchSettled` event, valued from the settling transaction `tx`."""
    direct = str(tx.get("to") or "").lower() == settlement.lower() and bytes(tx["input"])[:4] == selector
    if not direct:
        return [{"execution": i, "intentId": bytes(intent_id), "owner": None, "nonce": None, "given": None,
                 "received": None} for i, intent_id in enumerate(intent_ids)]
    prices, blobs = decode_settle_input(bytes(tx["input"]), selector, arg_types)
    if len(blobs) != len(intent_ids):
        raise ChainError(f"BatchSettled names {len(intent_ids)} intents, the calldata carries {len(blobs)}")
    out = []
    for i, (intent_id, blob) in enumerate(zip(intent_ids, blobs, strict=True)):
        decoded = decode_execution(blob, f"executions[{i}]")
        given, received = value_of(decoded, prices)
        out.append({"execution": i, "intentId": bytes(intent_id), "owner": decoded.owner, "nonce": decoded.nonce,
                    "given": given, "received": received})
    return out
