"""The one wire edge: pydantic scalars and models for every HTTP body, their parser, and the
OpenAPI documents generated from them.

Contract:
- On the wire, uint256/int256 travel as decimal strings (JSON numbers lose precision past
  2**53 in most clients); integers and 0x-hex are accepted on input. Addresses come out
  checksummed; byte strings as lowercase 0x-hex.
- `parse(model, data, error)` validates JSON data into `model` or raises one `error`
  (a `KeelError` subclass) naming the first broken field by its path in the *input*
  (`executions[0].flows.0xC02a…`): union tags and pydantic's internal names never appear.
- `openapi(...)` builds an OpenAPI 3.1 document (JSON Schema 2020-12) from the same models
  the services parse and serialise with, so the committed `openapi.yml` files are generated,
  never hand-kept (`python -m auction.openapi`, `python -m orderbook.openapi`).
Past this edge, code uses frozen dataclasses; these models never travel inward.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from eth_utils import is_address, to_checksum_address
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import models_json_schema

from keel.errors import KeelError, UsageError, join_path

M = TypeVar("M", bound=BaseModel)
UINT256_MAX = 2**256 - 1
INT256_MIN, INT256_MAX = -(2**255), 2**255 - 1
_DECIMAL = re.compile(r"-?[0-9]+")
_HEX = re.compile(r"0x([0-9a-fA-F]{2})*")


class Strict(BaseModel):
    """A wire body: unknown fields are refused, parsed values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- scalars ------------------------------------------------------------------------------

def _integer(value: Any, signed: bool) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
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


# -- OpenAPI, generated from the models -------------------------------------------------------

@dataclass(frozen=True)
class ListOf:
    """A JSON array of `model` (a response shape)."""

    model: type[BaseModel]


Body = type[BaseModel] | ListOf


@dataclass(frozen=True)
class Route:
    """One operation: its request body, query and path models, and its answers by status.

    A response given as `None` is the keel error body (`ErrorBody`).
    """

    path: str
    method: str
    summary: str
    responses: Mapping[int, tuple[str, Body | None]]
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: type[BaseModel] | None = None
    description: str = ""
    tags: tuple[str, ...] = field(default=())


def _models(routes: Sequence[Route]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [ErrorBody]
    for r in routes:
        bodies = [r.request, r.query, r.path_params, *(b for _, b in r.responses.values())]
        for b in bodies:
            model = b.model if isinstance(b, ListOf) else b
            if model is not None and model not in found:
                found.append(model)
    return found


def _name(model: type[BaseModel]) -> str:
    return model.__name__.removesuffix("Model")


def _tidy(node: Any, renames: Mapping[str, str]) -> Any:
    """Drop pydantic's generated titles; components and refs named without the `Model` suffix."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "title" and isinstance(v, str):
                continue
            if k == "$ref" and isinstance(v, str):
                head, _, tail = v.rpartition("/")
                out[k] = f"{head}/{renames.get(tail, tail)}"
            elif k == "mapping" and isinstance(v, dict):  # discriminator mappings hold refs as values
                out[k] = {tag: _tidy({"$ref": ref}, renames)["$ref"] for tag, ref in v.items()}
            else:
                out[k] = _tidy(v, renames)
        return out
    if isinstance(node, list):
        return [_tidy(v, renames) for v in node]
    return node


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{_name(model)}"}


def _content(body: Body) -> dict[str, Any]:
    schema = {"type": "array", "items": _ref(body.model)} if isinstance(body, ListOf) else _ref(body)
    return {"application/json": {"schema": schema}}


def _parameters(model: type[BaseModel] | None, where: str, schemas: Mapping[str, Any]) -> list[dict[str, Any]]:
    if model is None:
        return []
    props = schemas[_name(model)]
    required = set(props.get("required", []))
    return [{"name": n, "in": where, "required": where == "path" or n in required, "schema": s}
            for n, s in props["properties"].items()]


def _operation(r: Route, schemas: Mapping[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": r.summary}
    if r.description:
        op["description"] = r.description
    params = _parameters(r.path_params, "path", schemas) + _parameters(r.query, "query", schemas)
    if params:
        op["parameters"] = params
    if r.request is not None:
        op["requestBody"] = {"required": True, "content": _content(r.request)}
    op["responses"] = {
        str(status): ({"description": text, "content": _content(body)} if body is not None
                      else {"$ref": "#/components/responses/Error", "description": text})
        for status, (text, body) in sorted(r.responses.items())
    }
    return op


def openapi(title: str, description: str, routes: Sequence[Route], version: str = "1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes`, every schema generated from the models they name."""
    models = _models(routes)
    _, generated = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
    defs = generated.get("$defs", {})
    renames = {k: k.removesuffix("Model") for k in defs}
    schemas = {renames[k]: _tidy(v, renames) for k, v in sorted(defs.items())}
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {
            "responses": {"Error": {"description": "Refused: {error, kind, field}",
                                    "content": _content(ErrorBody)}},
            "schemas": schemas,
        },
    }


def _json(node: Any, indent: str) -> str:
    flat = json.dumps(node, ensure_ascii=False)
    if len(indent) + len(flat) <= 110 or not isinstance(node, dict | list) or not node:
        return flat  # short parts on one line keep the file readable by eye
    inner = indent + "  "
    if isinstance(node, list):
        items = [inner + _json(v, inner) for v in node]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    items = [f"{inner}{json.dumps(k)}: {_json(v, inner)}" for k, v in node.items()]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


def render(document: Mapping[str, Any]) -> str:
    """The committed text of an OpenAPI document: JSON (so valid YAML, loadable without a YAML
    parser), stable key order, short objects on one line, newline-ended."""
    return _json(dict(document), "") + "\n"
