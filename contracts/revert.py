"""Decode settlement reverts by selector, in one place.

A revert's data starts with a 4-byte selector; keel's contracts use custom errors with
arguments (`PriceOutOfBounds(uint256 execution, uint256 token, uint256 price)`), so the
selector table is built from the compiled ABIs of BatchSettlement, Relayer,
SolverAllowList, SafeTransfers and InteractionConfig, plus Solidity's `Error(string)` and `Panic(uint256)`.
`InteractionFailed`'s `reason` is itself revert data and is decoded recursively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from keel.errors import RefusedError

_SOURCES = ("BatchSettlement", "Relayer", "SolverAllowList", "SafeTransfers", "InteractionConfig")
_BUILTIN = {
    "Error": [{"name": "message", "type": "string"}],
    "Panic": [{"name": "code", "type": "uint256"}],
}


@dataclass(frozen=True)
class DecodedRevert:
    """A revert by name with its arguments in declaration order; `inner` for nested reasons."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    inner: DecodedRevert | None = None

    @property
    def execution(self) -> int | None:
        """The failing execution's index, when the error names one."""
        value = self.args.get("execution")
        return int(value) if value is not None else None

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args.items() if k != "reason")
        text = f"{self.name}({shown})"
        if self.inner is not None:
            text += f" <- {self.inner}"
        return text


class SettlementReverted(RefusedError):
    """The settlement refused a call; `.revert` says which check failed and for which execution."""

    def __init__(self, revert: DecodedRevert, what: str = "settle") -> None:
        super().__init__(f"{what} reverted: {revert}")
        self.revert = revert

    @property
    def name(self) -> str:
        return self.revert.name


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _signature(name: str, inputs: list[dict[str, Any]]) -> str:
    return f"{name}({','.join(_type(i) for i in inputs)})"


def _type(item: dict[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in item["components"]) + ")" + kind[len("tuple"):]
    return kind


@cache
def error_table() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """selector → (name, inputs) for every custom error keel's contracts can raise."""
    from contracts.artifacts import keel

    table: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    entries: list[dict[str, Any]] = [{"type": "error", "name": n, "inputs": i} for n, i in _BUILTIN.items()]
    for name in _SOURCES:
        entries += keel(name).abi
    for entry in entries:
        if entry.get("type") == "error":
            selector = keccak(text=_signature(entry["name"], entry["inputs"]))[:4]
            table[selector] = (entry["name"], entry["inputs"])
    return table


def selector(name: str) -> bytes:
    """The 4-byte selector of a known error, by name (for tests and logs)."""
    for sel, (known, _inputs) in error_table().items():
        if known == name:
            return sel
    raise KeyError(name)


def decode(data: bytes | str | None) -> DecodedRevert:
    """Decode revert data; unknown or empty data decodes to a name that says so."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x"))
    if not data:
        return DecodedRevert("EmptyRevert")
    if len(data) < 4 or data[:4] not in error_table():
        return DecodedRevert("UnknownError", {"data": data})
    name, inputs = error_table()[data[:4]]
    try:
        values = abi_decode([_type(i) for i in inputs], data[4:])
    except Exception:  # malformed arguments: report the raw bytes rather than guess
        return DecodedRevert(name, {"data": data})
    args = {
        i["name"] or f"arg{n}": to_checksum_address(v) if i["type"] == "address" else v
        for n, (i, v) in enumerate(zip(inputs, values, strict=True))
    }
    inner = decode(args["reason"]) if name == "InteractionFailed" and args.get("reason") else None
    return DecodedRevert(name, args, inner)
