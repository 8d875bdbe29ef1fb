"""The HTTP edge shared by keel's aiohttp services: bodies in, models out, one error shape.

- `read_json(request, error)`: the body as JSON, or `error("body: not valid JSON", "body")`
  (invalid UTF-8, bad syntax, nesting deeper than `keel.wire.MAX_JSON_DEPTH`: a 400, decoded
  by `keel.wire.loads`); an integer literal past 78 digits is handed on as text,
  so the model refuses it naming its field;
  a body that has not fully arrived within `BODY_TIMEOUT_S` is a 408 (a slow client cannot
  hold a handler forever; the size cap is the app's `client_max_size`).
- `guard(server)`: caps an aiohttp `web.Server`'s open connections (past `MAX_CONNECTIONS`
  a new one is closed at once) and closes a connection whose first request's headers have
  not arrived within `HEADER_TIMEOUT_S` (aiohttp has no header timeout: slow-header
  connections would otherwise stay open forever). Apply it to the runner's server before
  the site starts (`orderbook.api.serve`).
- `reply(model)`: a pydantic model (or a list of them) serialised by `keel.wire.dump`.
- `errors_middleware`: every `KeelError` becomes `keel.wire.ErrorBody`
  `{"error": "<one line>", "kind": "<ClassName>", "field": <path|null>}` with the error's
  `http_status`; aiohttp's own 4xx (unknown route, wrong method, body too large) get the
  same shape. Anything else propagates to aiohttp as a 500 — a bug, never a user's fault.
- `add_metrics(app, service)`: `GET /metrics` (keel.metrics, Prometheus text) and a middleware
  that counts and times every request by route pattern (never the raw path: bounded labels).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel

from keel import metrics
from keel.errors import KeelError, UsageError
from keel.wire import ErrorBody, dump, loads

BODY_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 1_500  # open sockets one service keeps: above the 1,000-client load test, below fd limits
HEADER_TIMEOUT_S = 5.0


class BodyTimeout(UsageError):
    http_status = 408


def guard(server: web.Server, max_connections: int = MAX_CONNECTIONS,
          header_timeout_s: float = HEADER_TIMEOUT_S) -> web.Server:
    """Wrap `server`'s public hooks (`connection_made`, `request_factory`) with the two limits."""
    loop = asyncio.get_running_loop()
    made, factory = server.connection_made, server.request_factory
    silent: set[object] = set()  # connections whose first request's headers have not arrived yet

    def connection_made(handler: Any, transport: asyncio.Transport) -> None:
        made(handler, transport)
        if len(server.connections) > max_connections:
            transport.close()  # over the cap: refused before a byte is read
            return
        silent.add(handler)
        loop.call_later(header_timeout_s, _close_if_silent, handler, transport)

    def _close_if_silent(handler: object, transport: asyncio.Transport) -> None:
        if handler in silent:
            silent.discard(handler)
            transport.close()

    def request_factory(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
        silent.discard(protocol)  # its headers arrived: the header timer leaves it alone
        return factory(message, payload, protocol, writer, task)

    server.connection_made = connection_made  # type: ignore[method-assign]
    server.request_factory = request_factory
    return server


def run_guarded(app: web.Application, host: str, port: int, backlog: int = 128) -> None:
    """`web.run_app` with `guard` on the server: serve until SIGINT/SIGTERM, then clean up."""

    async def main() -> None:
        runner = web.AppRunner(app, handle_signals=True)
        await runner.setup()
        try:
            assert runner.server is not None
            guard(runner.server)
            await web.TCPSite(runner, host, port, backlog=backlog).start()
            await asyncio.Event().wait()  # until a signal raises GracefulExit
        finally:
            await runner.cleanup()

    with contextlib.suppress(web.GracefulExit, KeyboardInterrupt):  # the signal that ends the service
        asyncio.run(main())


def error_body(exc: KeelError) -> dict[str, Any]:
    return dump(ErrorBody.of(exc))


async def read_json(request: web.Request, error: type[KeelError] = UsageError) -> Any:
    """The request body decoded as JSON; `error` naming `body` when it is not."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            raw = await request.read()
    except TimeoutError:
        raise BodyTimeout(f"body: not received within {BODY_TIMEOUT_S:g}s", "body") from None
    try:
        return loads(raw.decode(request.charset or "utf-8"))
    except (ValueError, UnicodeDecodeError, LookupError):  # LookupError: an unknown charset
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


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def metrics_middleware(service: str) -> Middleware:
    """Count and time every request of `service` by route pattern and status (errors included)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler is aiohttp's 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = _route(request)
            metrics.HTTP_REQUESTS.labels(service, route, str(status)).inc()
            metrics.HTTP_SECONDS.labels(service, route).observe(time.perf_counter() - started)

    return middleware


async def metrics_endpoint(_request: web.Request) -> web.Response:
    body, content_type = metrics.exposition()
    # aiohttp refuses a content_type carrying parameters: set the header whole
    return web.Response(body=body, headers={"Content-Type": content_type})


def add_metrics(app: web.Application, service: str) -> None:
    """`GET /metrics` on `app`, and request counts and latencies of `service` (call before startup).

    The metrics middleware goes first, so it sees the status `errors_middleware` chose.
    """
    app.middlewares.insert(0, metrics_middleware(service))
    app.router.add_get("/metrics", metrics_endpoint)
