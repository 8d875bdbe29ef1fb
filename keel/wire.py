"""The one wire edge: pydantic scalars and models for every HTTP body, and their parser.

Contract:
- On the wire, uint256/int256 travel as decimal strings (JSON numbers lose precision past
  2**53 in most clients); integers and 0x-hex are accepted on input. Addresses come out
  checksummed; byte strings as lowercase 0x-hex.
- `parse(model, data, error)` validates JSON data into `model` or raises one `error`
  (a `KeelError` subclass) naming the first broken field by its path in the *input*
  (`executions[0].flows.0xC02a…`): union tags and pydantic's internal names never appear.
- `loads(text)` is `json.loads` for text from another party: nesting deeper than
  `MAX_JSON_DEPTH` is a ValueError before the decoder sees it (the C decoder recurses per
  level and py_ecc raises the recursion limit to 100,000, so 64k `[` would overflow the C
  stack and kill the process); integer literals past 78 digits stay text.
- `dump(model)` is the JSON data of an answer; `ErrorBody` the shape of every refusal.
The OpenAPI files are generated from these models by `keel.openapi`. Past this edge, code
uses frozen dataclasses; these models never travel inward.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import accumulate
from typing import Annotated, Any, TypeVar

from eth_utils.address import is_address, to_checksum_address
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)

from keel.errors import KeelError, UsageError, join_path

M = TypeVar("M", bound=BaseModel)
UINT256_MAX = 2**256 - 1
INT256_MIN, INT256_MAX = -(2**255), 2**255 - 1
MAX_TEXT_DIGITS = 80  # "-" and 78 decimal digits, or "0x" and 64 hex digits (with room for leading zeros)
_DECIMAL = re.compile(r"-?[0-9]+")
_HEX = re.compile(r"0x([0-9a-fA-F]{2})*")


class Strict(BaseModel):
    """A wire body: unknown fields are refused, parsed values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- decoding ------------------------------------------------------------------------------

MAX_JSON_DEPTH = 64  # keel's deepest body (an auction: auction > intents > [i] > policy > ...) is under 10
MAX_INT_DIGITS = 78  # len(str(2**256 - 1))
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """The deepest bracket nesting of JSON `text`, brackets inside strings not counted. Linear,
    in C loops (regex, map, accumulate): cheap even for a body at the size cap."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _bounded_int(digits: str) -> int | str:
    """A JSON integer literal; one longer than any uint256 stays text, so the field's own
    validator refuses it by name instead of Python's int() failing on the whole body."""
    return int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else digits


def loads(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` for JSON from another party: ValueError when nested deeper than `max_depth`."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    depth = json_depth(text)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} deep; at most {max_depth} levels are accepted")
    return json.loads(text, parse_int=_bounded_int)


# -- scalars ------------------------------------------------------------------------------

def _integer(value: Any, signed: bool) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_TEXT_DIGITS:  # parsed once, bounded: never hand int() thousands of digits
            raise ValueError(f"{len(text)} characters is longer than any {'int256' if signed else 'uint256'}")
        if _DECIMAL.fullmatch(text) and (signed or not text.startswith("-")):
            return int(text)  # > 4300 digits raises ValueError: refused like any other bad number
        if not signed and text.startswith("0x") and len(text) > 2:
            try:
                return int(text, 16)
            except ValueError:
                raise ValueError(f"{value!r} is not a number") from None
    kind = "a signed integer (decimal string)" if signed else "an unsigned integer (decimal string)"
    raise ValueError(f"expected {kind}, got {value!r}")


def _to_uint(value: Any) -> int:
    n = _integer(value, signed=False)
    if not 0 <= n <= UINT256_MAX:
        raise ValueError(f"{n} is outside uint256")
    return n


def _to_int(value: Any) -> int:
    n = _integer(value, signed=True)
    if not INT256_MIN <= n <= INT256_MAX:
        raise ValueError(f"{n} is outside int256")
    return n


def _to_address(value: Any) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError(f"{value!r} is not a 20-byte hex address")
    return str(to_checksum_address(value))


def _to_hex(value: Any) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError("expected 0x-prefixed hex")
    return value.lower()


def _to_bytes32(value: Any) -> str:
    text = _to_hex(value)
    if len(text) != 66:
        raise ValueError(f"{value!r} is not a 0x-prefixed 32-byte hex id")
    return text


_UINT_SCHEMA = {"type": "string", "pattern": "^[0-9]+$", "description": "uint256 as a decimal string"}
_INT_SCHEMA = {"type": "string", "pattern": "^-?[0-9]+$", "description": "int256 as a decimal string"}
ADDRESS_SCHEMA = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
BYTES32_SCHEMA = {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}
_HEX_SCHEMA = {"type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$"}

Uint = Annotated[int, BeforeValidator(_to_uint), PlainSerializer(str, return_type=str, when_used="json"),
                 WithJsonSchema(_UINT_SCHEMA)]
Int = Annotated[int, BeforeValidator(_to_int), PlainSerializer(str, return_type=str, when_used="json"),
                WithJsonSchema(_INT_SCHEMA)]
Address = Annotated[str, BeforeValidator(_to_address), WithJsonSchema(ADDRESS_SCHEMA)]
HexBytes = Annotated[str, BeforeValidator(_to_hex), WithJsonSchema(_HEX_SCHEMA)]
Bytes32 = Annotated[str, BeforeValidator(_to_bytes32), WithJsonSchema(BYTES32_SCHEMA)]


def hex_bytes(data: bytes) -> str:
    return "0x" + data.hex()


def from_hex(text: str) -> bytes:
    return bytes.fromhex(text[2:])


# -- parsing -------------------------------------------------------------------------------

_MESSAGES = {"missing": "is required", "extra_forbidden": "is not a known field"}


def input_path(loc: Sequence[int | str], data: Any) -> str:
    """pydantic's error location as a path into `data`: parts that are not keys of the input
    (union tags, validator names, `[key]`) are skipped; the last part is kept (a missing field)."""
    path, node = "", data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path, node = f"{path}[{part}]", node[part]
        elif isinstance(node, dict) and part in node:
            path, node = join_path(path, str(part)), node[part]
        elif last and part != "[key]":
            path = f"{path}[{part}]" if isinstance(part, int) else join_path(path, str(part))
    return path


def parse(model: type[M], data: Any, error: type[KeelError] = UsageError, prefix: str = "") -> M:
    """`data` (decoded JSON) as `model`, or one `error` naming the first broken field.

    A `KeelError` raised by a model's own validators keeps its field, re-raised as `error`.
    """
    where = prefix or "body"
    if not isinstance(data, dict):
        raise error(f"{where}: expected a JSON object", where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = join_path(prefix, input_path(err["loc"], data)) or "body"
        message = _MESSAGES.get(err["type"], str(err["msg"]).removeprefix("Value error, "))
        raise error(f"{path}: {message}", path) from None
    except KeelError as exc:
        moved = error(exc.detail, exc.field)
        raise (moved.within(prefix) if prefix else moved) from None


def dump(model: BaseModel) -> dict[str, Any]:
    """A model as JSON-ready data (uint values as decimal strings, None fields kept)."""
    return model.model_dump(mode="json")


class ErrorBody(BaseModel):
    """Every 4xx/5xx keel answers: the one-line error, the error class, the field path or null."""

    error: str
    kind: str
    field: str | None

    @classmethod
    def of(cls, exc: KeelError) -> ErrorBody:
        return cls(error=str(exc), kind=exc.kind, field=exc.field)
