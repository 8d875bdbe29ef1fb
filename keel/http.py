"""The HTTP edge shared by keel's aiohttp services: bodies in, models out, one error shape.

- `read_json(request, error)`: the body as JSON, or `error("body: not valid JSON", "body")`
  (invalid UTF-8, bad syntax, an integer past Python's 4,300-digit limit: all the same 400).
- `reply(model)`: a pydantic model (or a list of them) serialised by `keel.wire.dump`.
- `errors_middleware`: every `KeelError` becomes `keel.wire.ErrorBody`
  `{"error": "<one line>", "kind": "<ClassName>", "field": <path|null>}` with the error's
  `http_status`; aiohttp's own 4xx (unknown route, wrong method, body too large) get the
  same shape. Anything else propagates to aiohttp as a 500 — a bug, never a user's fault.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from keel.errors import KeelError, UsageError
from keel.wire import ErrorBody, dump


def error_body(exc: KeelError) -> dict[str, Any]:
    return dump(ErrorBody.of(exc))


async def read_json(request: web.Request, error: type[KeelError] = UsageError) -> Any:
    """The request body decoded as JSON; `error` naming `body` when it is not."""
    try:
        return json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError, and int() past the digit limit
        raise error("body: not valid JSON", "body") from None


def reply(body: BaseModel | Sequence[BaseModel], status: int = 200) -> web.Response:
    """`body` as the JSON answer, through the model's own serialiser."""
    data = dump(body) if isinstance(body, BaseModel) else [dump(m) for m in body]
    return web.json_response(data, status=status)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except KeelError as exc:
        return web.json_response(error_body(exc), status=exc.http_status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # raw_path: the undecoded path, so a %0A in it cannot put a newline in the one-line error
        body = ErrorBody(error=f"{request.method} {request.raw_path}: {exc.reason}", kind=type(exc).__name__,
                         field=None)
        return web.json_response(dump(body), status=exc.status)
