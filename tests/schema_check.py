"""A small JSON Schema (2020-12) checker for the subset keel's generated OpenAPI files use.

It exists so tests can check real HTTP answers against the committed `openapi.yml` files
independently of the pydantic models they were generated from. `unknown_keywords(spec)`
lists any schema keyword this checker does not implement, so a model change that starts
using one fails a test instead of being silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

KNOWN = {
    "$ref", "anyOf", "oneOf", "discriminator", "const", "enum", "type", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "items", "prefixItems",
    "properties", "required", "additionalProperties", "patternProperties", "default", "description",
}
_TYPES: dict[str, Any] = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float),
                          "boolean": bool, "null": type(None)}


def resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    target: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[kind])


def _alternatives(spec: dict[str, Any], value: Any, options: list[dict[str, Any]], path: str, one: bool) -> list[str]:
    matching = [o for o in options if not conforms(spec, value, o, path)]
    if not matching or (one and len(matching) > 1):
        return [f"{path}: matches {len(matching)} of {len(options)} alternatives"]
    return []


def _scalar(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    errors = []
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{path}: length {len(value)} out of range")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            errors.append(f"{path}: {value} out of range")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{path}: {value} not above {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append(f"{path}: {value} not below {schema['exclusiveMaximum']}")
    return errors


def _array(spec: dict[str, Any], value: list[Any], schema: dict[str, Any], path: str) -> list[str]:
    errors = []
    if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
        errors.append(f"{path}: {len(value)} items out of range")
    prefix = schema.get("prefixItems", [])
    for i, item in enumerate(value):
        sub = prefix[i] if i < len(prefix) else schema.get("items", {})
        errors += conforms(spec, item, sub, f"{path}[{i}]")
    return errors


def _object(spec: dict[str, Any], value: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    props = schema.get("properties", {})
    errors = [f"{path}.{k}: missing" for k in schema.get("required", []) if k not in value]
    for key, item in value.items():
        if key in props:
            errors += conforms(spec, item, props[key], f"{path}.{key}")
            continue
        patterns = [s for p, s in schema.get("patternProperties", {}).items() if re.search(p, key)]
        for sub in patterns:
            errors += conforms(spec, item, sub, f"{path}.{key}")
        extra = schema.get("additionalProperties", True)
        if not patterns and extra is False:
            errors.append(f"{path}.{key}: not allowed")
        elif not patterns and isinstance(extra, dict):
            errors += conforms(spec, item, extra, f"{path}.{key}")
    return errors


def conforms(spec: dict[str, Any], value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The places where `value` breaks `schema` (refs resolved inside `spec`); [] when it conforms."""
    if "$ref" in schema:
        errors = conforms(spec, value, resolve(spec, schema["$ref"]), path)
        rest = {k: v for k, v in schema.items() if k not in ("$ref", "description", "default")}
        return errors + (conforms(spec, value, rest, path) if rest else [])
    if "anyOf" in schema:
        return _alternatives(spec, value, schema["anyOf"], path, one=False)
    if "oneOf" in schema:
        return _alternatives(spec, value, schema["oneOf"], path, one=True)
    kind = schema.get("type")
    if kind is not None and not _is(value, kind):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    errors = _scalar(value, schema, path)
    if isinstance(value, list):
        errors += _array(spec, value, schema, path)
    if isinstance(value, dict):
        errors += _object(spec, value, schema, path)
    return errors


_OPAQUE = {"discriminator", "default", "const", "enum", "description"}  # values, not schemas


def unknown_keywords(node: Any, names: bool = False) -> set[str]:
    """Schema keywords used anywhere under `node` (a schema, or with `names` a dict of named
    schemas) that `conforms` does not implement."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, sub in node.items():
            if not names and key not in KNOWN:
                found.add(key)
            if names or key not in _OPAQUE:
                found |= unknown_keywords(sub, names=not names and key in ("properties", "patternProperties"))
    elif isinstance(node, list):
        for sub in node:
            found |= unknown_keywords(sub)
    return found


def response_schema(spec: dict[str, Any], route: str, method: str, status: int) -> dict[str, Any]:
    """The schema of `route`'s `method` answer with `status` in an OpenAPI document."""
    answer = spec["paths"][route][method]["responses"][str(status)]
    if "$ref" in answer:
        answer = resolve(spec, answer["$ref"])
    return answer["content"]["application/json"]["schema"]
