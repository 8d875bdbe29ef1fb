"""`keel explorer`: the explorer's aiohttp app on loopback, over the stores the CLI reads.

    GET /                 rounds, newest first; new and changed rounds arrive live (SSE)
    GET /rounds/{id}      one round: each solution's verdict and reason, score, simulated gas, latency;
                          when settled, the stored clearing prices, gas used on chain, savings and route
    GET /rounds/{id}/route.png  the settled route drawn by `routing.plot` from the stored hops
                          (made on first request off the event loop, cached under `cache_dir`)
    GET /intents?q=       intents whose id or owner starts with q
    GET /intents/{id}     one intent: why it is where it is, the rounds it entered, its fills
    GET /api/...          the same views as JSON (rounds, rounds/{id}, intents, intents/{id})
    GET /events           server-sent events: `round` for every round that appears or changes
    GET /health           liveness

The stores are opened on startup (inside the serving loop) from the same locations the CLI
uses, read-only in intent, and closed on cleanup. Errors are keel's one-line JSON bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path
from typing import Any

from aiohttp import web

from auction.rounds import RoundStore
from explorer import pages, picture, views
from explorer.chain import Fills
from intents.lifecycle import IntentStore
from keel.errors import NotFoundError, UsageError
from keel.http import add_metrics, errors_middleware

STORES = web.AppKey("stores", dict)
CACHE = web.AppKey("cache", Path)  # route pictures
STOPPING = web.AppKey("stopping", asyncio.Event)  # set on shutdown: open event streams end
POLL_S = 0.5


def _rounds(request: web.Request) -> RoundStore:
    store: RoundStore = request.app[STORES]["rounds"]
    return store


def _intents(request: web.Request) -> IntentStore:
    store: IntentStore = request.app[STORES]["intents"]
    return store


def _round_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise UsageError(f"round: {raw[:40]!r} is not a round number", "round")
    return int(raw)


def _intent(request: web.Request) -> dict[str, Any]:
    intent_id = request.match_info["id"]
    stored = views.intent_view(_intents(request), _rounds(request), intent_id)
    fills: Fills | None = request.app[STORES].get("fills")
    if fills is not None and stored["status"] == "settled" and stored["txHash"]:
        stored["fills"] = fills(stored["txHash"], stored["id"])
    return stored


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


async def index(request: web.Request) -> web.Response:
    return _html(pages.rounds_page(views.round_rows(_rounds(request))))


async def round_page(request: web.Request) -> web.Response:
    return _html(pages.round_page(views.round_view(_rounds(request), _round_id(request))))


async def route_png(request: web.Request) -> web.FileResponse:
    round_id = _round_id(request)
    view = views.round_view(_rounds(request), round_id)  # 404 for an unknown round
    record = _rounds(request).settlement(round_id)
    if record is None or not record.hops:
        raise NotFoundError(f"route: round {round_id} has no route to draw ({view['status']}"
                            + (", netted entirely between its users" if record else "") + ")", "route")
    path = await asyncio.to_thread(picture.route_png, record, round_id, request.app[CACHE])
    assert path is not None
    return web.FileResponse(path, headers={"Content-Type": "image/png", "Cache-Control": "max-age=3600"})


async def intents_page(request: web.Request) -> web.Response:
    q = request.query.get("q", "")[:66]
    return _html(pages.intents_page(views.intent_rows(_intents(request), q), q))


async def intent_page(request: web.Request) -> web.Response:
    return _html(pages.intent_page(_intent(request)))


async def api_rounds(request: web.Request) -> web.Response:
    return web.json_response(views.round_rows(_rounds(request)))


async def api_round(request: web.Request) -> web.Response:
    return web.json_response(views.round_view(_rounds(request), _round_id(request)))


async def api_intents(request: web.Request) -> web.Response:
    return web.json_response(views.intent_rows(_intents(request), request.query.get("q", "")[:66]))


async def api_intent(request: web.Request) -> web.Response:
    return web.json_response(_intent(request))


async def events(request: web.Request) -> web.StreamResponse:
    """Every round that appears or changes status, as it happens (polled from the rounds store)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    seen = {r["round"]: (r["status"], r["candidates"]) for r in views.round_rows(_rounds(request))}
    stopping = request.app[STOPPING]
    try:
        await response.write(b": connected\n\n")
        while not stopping.is_set():
            await response.write(b": alive\n\n")  # a closed tab fails this write: the handler ends within POLL_S
            for row in reversed(views.round_rows(_rounds(request), limit=20)):
                state = (row["status"], row["candidates"])
                if seen.get(row["round"]) != state:
                    seen[row["round"]] = state
                    await response.write(pages.sse("round", {**row, "html": pages.round_cells(row)}))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), POLL_S)
    except ConnectionError:
        pass  # the page went away
    return response


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def default_cache(auction_db: str) -> Path:
    """Route pictures of one auction database: under the state dir, apart from any other database's."""
    from keel.paths import state_dir

    return state_dir() / "explorer" / hashlib.sha256(auction_db.encode()).hexdigest()[:12]


def make_app(orderbook_db: str, auction_db: str, fills: Fills | None = None,
             cache_dir: Path | None = None) -> web.Application:
    """The explorer over the orderbook at `orderbook_db` and the rounds at `auction_db`."""
    app = web.Application(middlewares=[errors_middleware])
    app[STORES] = {}
    app[CACHE] = cache_dir or default_cache(auction_db)

    async def open_stores(app: web.Application) -> None:
        from orderbook.store import open_store

        app[STORES].update(intents=open_store(orderbook_db), rounds=RoundStore(auction_db), fills=fills)
        app[STOPPING] = asyncio.Event()

    async def end_streams(app: web.Application) -> None:
        app[STOPPING].set()

    async def close_stores(app: web.Application) -> None:
        for key in ("intents", "rounds"):
            if key in app[STORES]:
                app[STORES][key].close()

    app.on_startup.append(open_stores)
    app.on_shutdown.append(end_streams)
    app.on_cleanup.append(close_stores)
    for path, handler in (("/", index), ("/rounds/{id}", round_page), ("/rounds/{id}/route.png", route_png),
                          ("/intents", intents_page),
                          ("/intents/{id}", intent_page), ("/api/rounds", api_rounds), ("/api/rounds/{id}", api_round),
                          ("/api/intents", api_intents), ("/api/intents/{id}", api_intent), ("/events", events),
                          ("/health", health)):
        app.router.add_get(path, handler)
    add_metrics(app, "explorer")
    return app


def serve(host: str, port: int, orderbook_db: str, auction_db: str, fills: Fills | None = None) -> None:
    """Run the explorer until SIGINT/SIGTERM."""
    web.run_app(make_app(orderbook_db, auction_db, fills), host=host, port=port, print=None, handle_signals=True)
