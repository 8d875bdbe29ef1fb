"""The Intent struct as BatchSettlement declares it: field names and ABI types, in order. Pure.

The one definition of the struct's layout. `intents.model` builds the EIP-712 type and the
Python dataclass from it; `contracts.settlement` builds the `settle` ABI from it (that
binding sits below `intents` and cannot import it).
"""

from __future__ import annotations

# (Solidity name, ABI type) in struct order: docs/interfaces.md, "The intent (EIP-712)".
INTENT_STRUCT: tuple[tuple[str, str], ...] = (
    ("owner", "address"),
    ("tokens", "address[]"),
    ("minPrice", "uint256[]"),
    ("maxPrice", "uint256[]"),
    ("kind", "uint8"),
    ("targetWeightBps", "uint256[]"),
    ("toleranceBps", "uint256"),
    ("minBalance", "uint256[]"),
    ("maxBalance", "uint256[]"),
    ("maxFeeBps", "uint256"),
    ("validTo", "uint256"),
    ("nonce", "uint256"),
)

# The ABI tuple type of `Intent` as `settle` and `hashIntent` take it.
INTENT_ABI_TYPE = "(" + ",".join(t for _, t in INTENT_STRUCT) + ")"
