"""The one `Interaction`: a call BatchSettlement makes mid-batch (a router or pool swap). Pure.

Routing encodes its swaps as Interactions (`routing.execute`), solvers carry them in a
`Solution` (`solver.domain`), the wire maps them to JSON (`auction.wire`) and the binding
ABI-encodes them (`contracts.settlement`): all the same class, never converted.
Shape on chain: `struct Interaction { address target; uint256 value; bytes callData; }`.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address

INTERACTION_ABI_TYPE = "(address,uint256,bytes)"


@dataclass(frozen=True)
class Interaction:
    target: str
    value_wei: int  # native token sent with the call
    call_data: bytes

    def as_tuple(self) -> tuple[str, int, bytes]:
        """The ABI tuple `(target, value, callData)`, target checksummed."""
        return to_checksum_address(self.target), int(self.value_wei), bytes(self.call_data)
