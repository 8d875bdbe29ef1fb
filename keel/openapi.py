"""OpenAPI documents generated from the wire models (`keel.wire`), never hand-kept.

`openapi(title, description, routes)` builds an OpenAPI 3.1 document (its schemas JSON
Schema 2020-12, as pydantic generates them) from a route table naming, per operation, the
models of its request body, query, path parameters and answers; `render` gives the text a
service commits as its `openapi.yml` (JSON, so valid YAML; short parts on one line; stable).
Each service keeps its route table beside its models (`auction/openapi.py`,
`orderbook/openapi.py`, each runnable with `python -m`), and a test holds the committed file
equal to the generated one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from keel.wire import ErrorBody


@dataclass(frozen=True)
class ListOf:
    """A JSON array of `model` (a response shape)."""

    model: type[BaseModel]


@dataclass(frozen=True)
class Text:
    """A plain-text answer (Prometheus' exposition format on `/metrics`)."""

    media_type: str = "text/plain"


Body = type[BaseModel] | ListOf | Text


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
            if model is not None and not isinstance(model, Text) and model not in found:
                found.append(model)
    return found


def _name(model: type[BaseModel]) -> str:
    return model.__name__.removesuffix("Model")


def _tidy(node: Any, renames: Mapping[str, str]) -> Any:
    """Drop pydantic's generated titles; components and refs named without the `Model` suffix."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
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
    if isinstance(body, Text):
        return {body.media_type: {"schema": {"type": "string"}}}
    schema = {"type": "array", "items": _ref(body.model)} if isinstance(body, ListOf) else _ref(body)
    return {"application/json": {"schema": schema}}


def _parameters(model: type[BaseModel] | None, where: str, schemas: Mapping[str, Any]) -> list[dict[str, Any]]:
    if model is None:
        return []
    props = schemas[_name(model)]
    required = set(props.get("required", []))
    return [{"name": n, "in": where, "required": where == "path" or n in required, "schema": s}
            for n, s in props["properties"].items()]


METRICS_ROUTE = Route("/metrics", "get", "Prometheus metrics of this process (keel.metrics)",
                      responses={200: ("The Prometheus text exposition format", Text("text/plain; version=0.0.4"))})


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


def write_or_check(file: Path, module: str, text: str, argv: Sequence[str]) -> int:
    """`python -m MODULE` rewrites `file` with `text`; with `--check` it exits 1 if the committed file differs."""
    if "--check" in argv:
        same = file.read_text() == text
        print(f"{file}: {'up to date' if same else f'differs from the models; run python -m {module}'}")
        return 0 if same else 1
    file.write_text(text)
    print(f"wrote {file}")
    return 0
