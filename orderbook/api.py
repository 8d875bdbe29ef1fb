"""The orderbook HTTP API (aiohttp), described by `orderbook/openapi.yml`.

    POST   /intents        a signed intent -> 201 {id, status} once committed to the store
    GET    /intents        ?status=&owner=&limit= -> [record]
    GET    /intents/{id}   -> record (status, txHash, the signed intent)
    DELETE /intents/{id}   the owner's signed Cancellation(intentId) -> {id, status: cancelled}
    GET    /health         -> {ok, chainId, settlement, intents}

Bodies, queries and path parameters are parsed, and answers serialised, by the pydantic
models of `intents.wire` and `orderbook.wire` (the OpenAPI file is generated from them).
Every refusal is a 4xx JSON body `{"error", "kind", "field"}` and stores nothing. A 201
is sent only after the insert has committed (synchronous=FULL), so an acknowledged intent
survives the process being killed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from intents.errors import DuplicateIntent, IntentError
from intents.lifecycle import CANCELLED, IntentStatus, IntentStore
from intents.signing import Check1271, verify_cancellation, verify_intent
from intents.validate import check_intent
from intents.wire import CancellationModel, SignedIntentModel, parse
from keel.http import errors_middleware, read_json, reply
from keel.wire import dump, from_hex
from orderbook.wire import AcceptedModel, HealthModel, IntentPath, IntentRecordModel, ListQuery

NonceSpent = Callable[[str, int], bool]
STORE_KEY = web.AppKey("store", IntentStore)


@dataclass(frozen=True)
class OrderbookConfig:
    """What the orderbook checks against: the chain, the settlement contract, the world's tokens."""

    chain_id: int
    settlement: str
    tokens: dict[str, str]  # checksummed address -> symbol
    check_1271: Check1271 | None = None
    nonce_spent: NonceSpent | None = None  # on-chain `isNonceSpent(owner, nonce)`
    clock: Callable[[], int] = field(default=lambda: int(time.time()))


CONFIG_KEY = web.AppKey("config", OrderbookConfig)


def accept(store: IntentStore, config: OrderbookConfig, body: Any) -> dict[str, Any]:
    """Everything `POST /intents` does, as a function: parse, check, verify, store; the 201 body."""
    model = parse(SignedIntentModel, body)
    signed = model.to_signed()
    if model.chainId is not None and model.chainId != config.chain_id:
        raise IntentError(
            f"chainId: the intent was signed for chain {model.chainId}, this orderbook settles on chain {config.chain_id}",
            "chainId",
        )
    try:
        check_intent(signed.intent, config.tokens, config.clock())
    except IntentError as exc:
        raise exc.within("intent") from None
    intent_id = verify_intent(signed, config.chain_id, config.settlement, config.check_1271)
    if config.nonce_spent is not None and config.nonce_spent(signed.intent.owner, signed.intent.nonce):
        raise DuplicateIntent(f"nonce: {signed.intent.owner} already spent nonce {signed.intent.nonce} on chain", "nonce")
    stored = store.add(intent_id, signed)
    return dump(AcceptedModel(id=stored.id, status=IntentStatus(stored.status)))


def _config(request: web.Request) -> OrderbookConfig:
    return request.app[CONFIG_KEY]


async def post_intent(request: web.Request) -> web.Response:
    body = await read_json(request, IntentError)
    return web.json_response(accept(request.app[STORE_KEY], _config(request), body), status=201)


async def list_intents(request: web.Request) -> web.Response:
    q = parse(ListQuery, {k: request.query[k] for k in request.query})
    rows = request.app[STORE_KEY].list(status=q.status, owner=q.owner, limit=q.limit)
    return reply([IntentRecordModel.from_stored(r) for r in rows])


def _id(request: web.Request) -> str:
    return parse(IntentPath, dict(request.match_info)).id


async def get_intent(request: web.Request) -> web.Response:
    return reply(IntentRecordModel.from_stored(request.app[STORE_KEY].get(_id(request))))


async def delete_intent(request: web.Request) -> web.Response:
    intent_id = _id(request)
    store = request.app[STORE_KEY]
    config = _config(request)
    model = parse(CancellationModel, await read_json(request, IntentError))
    stored = store.get(intent_id)
    verify_cancellation(intent_id, stored.owner, model.signingScheme, from_hex(model.signature),
                        config.chain_id, config.settlement, config.check_1271)
    store.cancel(intent_id)
    return reply(AcceptedModel(id=intent_id, status=CANCELLED))


async def health(request: web.Request) -> web.Response:
    config = _config(request)
    return reply(HealthModel(ok=True, chainId=config.chain_id, settlement=config.settlement,
                             intents=request.app[STORE_KEY].count()))


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
