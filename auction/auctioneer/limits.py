"""What one round may send: the chain's block gas limit, the per-transaction gas cap and the
size a node accepts for one transaction.

- `block_gas`: read from the chain every round (`eth_getBlock('latest').gasLimit`): a round's
  settlements together reserve at most one block (the sum of the gas limits they are sent with).
- `max_tx_gas`: EIP-7825 (Osaka) caps a transaction at 2**24 gas; never above `block_gas`.
- `max_tx_bytes`: geth and most nodes refuse a transaction whose encoding exceeds 128 KiB
  (`txMaxSize`, 4 × 32 KiB); the setting `max_tx_bytes` (`KEEL_MAX_TX_BYTES`) changes it.
`ENVELOPE_BYTES` bounds what a signed legacy or EIP-1559 transaction adds to its calldata
(nonce, fees, gas, to, value, chain id, v/r/s and RLP headers), so calldata + envelope ≤
`max_tx_bytes` keeps the whole transaction under the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keel.errors import ChainError, UsageError

DEFAULT_MAX_TX_BYTES = 128 * 1024  # geth's txMaxSize
DEFAULT_MAX_TX_GAS = 2**24  # EIP-7825
ENVELOPE_BYTES = 200
GAS_HEADROOM = (5, 4)  # a settlement is sent with 5/4 of its simulated gas plus a margin (as the nodes do)
GAS_MARGIN = 50_000


@dataclass(frozen=True)
class Limits:
    block_gas: int
    max_tx_gas: int
    max_tx_bytes: int

    def __post_init__(self) -> None:
        for name in ("block_gas", "max_tx_gas", "max_tx_bytes"):
            if getattr(self, name) <= 0:
                raise UsageError(f"{name}: must be positive, got {getattr(self, name)}", name)

    @property
    def tx_gas(self) -> int:
        """The most one transaction may be sent with: the cap, never past a block."""
        return min(self.max_tx_gas, self.block_gas)

    @property
    def max_calldata(self) -> int:
        return self.max_tx_bytes - ENVELOPE_BYTES


def gas_limit(gas: int) -> int:
    """The gas limit a settlement that uses `gas` is sent with (before any cap)."""
    return gas * GAS_HEADROOM[0] // GAS_HEADROOM[1] + GAS_MARGIN


def read(w3: Any, max_tx_bytes: int = DEFAULT_MAX_TX_BYTES, max_tx_gas: int = DEFAULT_MAX_TX_GAS) -> Limits:
    """The limits at the chain's latest block (`w3`: a web3.Web3); ChainError if it does not answer."""
    try:
        block_gas = int(w3.eth.get_block("latest")["gasLimit"])
    except Exception as exc:
        raise ChainError(f"limits: the chain did not give its block gas limit ({type(exc).__name__}: {exc})") from None
    return Limits(block_gas=block_gas, max_tx_gas=max_tx_gas, max_tx_bytes=max_tx_bytes)
