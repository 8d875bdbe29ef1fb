"""The HTTP edge shared by keel's aiohttp services: one error shape for every refusal.

Every `KeelError` becomes `{"error": "<one line>", "kind": "<ClassName>", "field": <path|null>}`
with the error's `http_status`; aiohttp's own 4xx (unknown route, wrong method) get the same
shape. Anything else propagates to aiohttp as a 500 — a bug, never a user's fault.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from keel.errors import KeelError


def error_body(exc: KeelError) -> dict[str, Any]:
    return {"error": str(exc), "kind": exc.kind, "field": getattr(exc, "field", None)}


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
        body = {"error": f"{request.method} {request.raw_path}: {exc.reason}", "kind": type(exc).__name__, "field": None}
        return web.json_response(body, status=exc.status)
