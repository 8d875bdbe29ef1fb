"""The orderbook HTTP API (aiohttp), described by `orderbook/openapi.yml`.

    POST   /intents        a signed intent -> 201 {id, status} once committed to sqlite
    GET    /intents        ?status=&owner=&limit= -> [record]
    GET    /intents/{id}   -> record (status, txHash, the signed intent)
    DELETE /intents/{id}   the owner's signed Cancellation(intentId) -> {id, status: cancelled}
    GET    /health         -> {ok, chainId, settlement, intents}

Every refusal is a 4xx JSON body `{"error", "kind", "field"}` and stores nothing. A 201
is sent only after the insert has committed (synchronous=FULL), so an acknowledged intent
survives the process being killed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from intents.errors import DuplicateIntent, IntentError
from intents.lifecycle import STATUSES, IntentStore
from intents.model import SigningScheme, checksum, parse_id
from intents.signing import Check1271, verify_cancellation, verify_intent
from intents.validate import check_intent
from intents.wire import CancellationModel, parse, parse_signed
from keel.http import errors_middleware

NonceSpent = Callable[[str, int], bool]
STORE_KEY = web.AppKey("store", IntentStore)
CONFIG_KEY = web.AppKey("config", object)


@dataclass(frozen=True)
class OrderbookConfig:
    """What the orderbook checks against: the chain, the settlement contract, the world's tokens."""

    chain_id: int
    settlement: str
    tokens: dict[str, str]  # checksummed address -> symbol
    check_1271: Check1271 | None = None
    nonce_spent: NonceSpent | None = None  # on-chain `isNonceSpent(owner, nonce)`
    clock: Callable[[], int] = field(default=lambda: int(time.time()))


async def _json(request: web.Request) -> Any:
    try:
        return json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IntentError("body: not valid JSON", "body") from None


def accept(store: IntentStore, config: OrderbookConfig, body: Any) -> dict[str, Any]:
    """Everything `POST /intents` does, as a function: parse, check, verify, store."""
    signed = parse_signed(body)
    if isinstance(body, dict) and body.get("chainId") is not None and int(body["chainId"]) != config.chain_id:
        raise IntentError(
            f"chainId: the intent was signed for chain {body['chainId']}, this orderbook settles on chain {config.chain_id}",
            "chainId",
        )
    try:
        check_intent(signed.intent, config.tokens, config.clock())
    except IntentError as exc:
        raise type(exc)(str(exc).replace(f"{exc.field}:", f"intent.{exc.field}:", 1), f"intent.{exc.field}") from None
    intent_id = verify_intent(signed, config.chain_id, config.settlement, config.check_1271)
    if config.nonce_spent is not None and config.nonce_spent(signed.intent.owner, signed.intent.nonce):
        raise DuplicateIntent(f"nonce: {signed.intent.owner} already spent nonce {signed.intent.nonce} on chain", "nonce")
    stored = store.add(intent_id, signed)
    return {"id": stored.id, "status": stored.status}


async def post_intent(request: web.Request) -> web.Response:
    body = await _json(request)
    result = accept(request.app[STORE_KEY], request.app[CONFIG_KEY], body)  # type: ignore[arg-type]
    return web.json_response(result, status=201)


async def list_intents(request: web.Request) -> web.Response:
    q = request.query
    status = q.get("status")
    if status is not None and status not in STATUSES:
        raise IntentError(f"status: {status!r} is not one of {', '.join(STATUSES)}", "status")
    owner = checksum(q["owner"], "owner") if "owner" in q else None
    try:
        limit = int(q.get("limit", "100"))
    except ValueError:
        raise IntentError(f"limit: {q.get('limit')!r} is not an integer", "limit") from None
    if not 1 <= limit <= 1000:
        raise IntentError(f"limit: {limit} must be between 1 and 1000", "limit")
    rows = request.app[STORE_KEY].list(status=status, owner=owner, limit=limit)
    return web.json_response([r.public() for r in rows])


def _id(request: web.Request) -> str:
    return "0x" + parse_id(request.match_info["id"], "id").hex()


async def get_intent(request: web.Request) -> web.Response:
    return web.json_response(request.app[STORE_KEY].get(_id(request)).public())


async def delete_intent(request: web.Request) -> web.Response:
    intent_id = _id(request)
    store = request.app[STORE_KEY]
    config: OrderbookConfig = request.app[CONFIG_KEY]  # type: ignore[assignment]
    model = parse(CancellationModel, await _json(request))
    stored = store.get(intent_id)
    verify_cancellation(
        intent_id, stored.owner, SigningScheme(model.signingScheme), bytes.fromhex(model.signature[2:]),
        config.chain_id, config.settlement, config.check_1271,
    )
    store.cancel(intent_id)
    return web.json_response({"id": intent_id, "status": "cancelled"})


async def health(request: web.Request) -> web.Response:
    config: OrderbookConfig = request.app[CONFIG_KEY]  # type: ignore[assignment]
    store = request.app[STORE_KEY]
    return web.json_response(
        {"ok": True, "chainId": config.chain_id, "settlement": config.settlement, "intents": store.count()}
    )


def make_app(store: IntentStore, config: OrderbookConfig) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=1 << 20)
    app[STORE_KEY] = store
    app[CONFIG_KEY] = config
    app.router.add_post("/intents", post_intent)
    app.router.add_get("/intents", list_intents)
    app.router.add_get("/intents/{id}", get_intent)
    app.router.add_delete("/intents/{id}", delete_intent)
    app.router.add_get("/health", health)

    async def close_store(_app: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    return app


def serve(host: str, port: int, db: str, config: OrderbookConfig, on_ready: Callable[[], None] | None = None) -> None:
    """Run the orderbook on host:port until SIGINT/SIGTERM; the store is closed on the way out.

    `on_ready` runs once the store is open (so a bad `--db` is the only line printed).
    """
    from orderbook.store import open_store

    store = open_store(db)
    if on_ready is not None:
        on_ready()
    web.run_app(make_app(store, config), host=host, port=port, print=None, handle_signals=True)
