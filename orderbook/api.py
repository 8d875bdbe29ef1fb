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

Responsiveness (SECURITY.md): bodies are parsed in a worker thread, and every chain read a
submission needs (EIP-1271 `isValidSignature`, nonce, balances and allowances) runs in a
small bounded thread pool off the event loop, each call gas-capped (`intents.chain.CALL_GAS_CAP`) and the whole check bounded
by `chain_timeout_s` (503 past it); at most `MAX_PENDING_CHECKS` submissions wait for the
chain at once (503 beyond). Bodies are capped at 1 MiB and must arrive within
`keel.http.BODY_TIMEOUT_S`; `serve` caps open connections (`keel.http.MAX_CONNECTIONS`) and
closes one whose request headers have not arrived within `keel.http.HEADER_TIMEOUT_S`. Admission (`orderbook.admission`): at most `open_cap` live intents
per owner (409 `OwnerCapReached`); an owner lacking the balance or the relayer allowance is refused at submit.

Every store call (a Postgres round trip and commit, or a sqlite fsync under synchronous=FULL)
runs in its own bounded pool (`STORE_WORKERS` threads, as many as a Postgres store's connections),
never on the event loop (`/health`'s count on a thread of its own): a slow commit delays the request that
made it, not `/health` or the others.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import web

from intents.errors import DuplicateIntent, IntentError
from intents.lifecycle import CANCELLED, IntentStatus, IntentStore
from intents.model import SignedIntent
from intents.signing import Check1271, verify_cancellation, verify_intent
from intents.validate import check_intent
from intents.wire import CancellationModel, SignedIntentModel, parse
from keel import metrics
from keel.errors import KeelError
from keel.http import add_metrics, errors_middleware, read_json, reply, run_guarded
from keel.wire import dump, from_hex
from orderbook.admission import DEFAULT_OPEN_CAP, check_funds, check_open_cap
from orderbook.wire import AcceptedModel, HealthModel, IntentPath, IntentRecordModel, ListQuery

NonceSpent = Callable[[str, int], bool]
Funds = Callable[[str, list[str]], list[tuple[int, int]]]  # (owner, tokens) -> [(balance, allowance)]
STORE_KEY = web.AppKey("store", IntentStore)
MAX_PENDING_CHECKS = 64
BACKLOG = 128  # pending TCP connections the listener queues
CHAIN_WORKERS = 2  # web3 calls hold the GIL between socket reads: few workers keep the event loop responsive
STORE_WORKERS = 4  # = open_store's default Postgres pool: one connection per worker; sqlite serialises on its lock


class ChainBusy(KeelError):
    """The chain checks did not finish in time, or too many are waiting: try again later."""

    http_status = 503


@dataclass(frozen=True)
class OrderbookConfig:
    """What the orderbook checks against: the chain, the settlement contract, the world's tokens."""

    chain_id: int
    settlement: str
    tokens: dict[str, str]  # checksummed address -> symbol
    check_1271: Check1271 | None = None
    nonce_spent: NonceSpent | None = None  # on-chain `isNonceSpent(owner, nonce)`
    clock: Callable[[], int] = field(default=lambda: int(time.time()))
    funds: Funds | None = None  # balances and relayer allowances; None: not checked (no chain)
    open_cap: int = DEFAULT_OPEN_CAP
    chain_timeout_s: float = 5.0
    decimals: dict[str, int] = field(default_factory=dict)  # checksummed address -> decimals, for messages


CONFIG_KEY = web.AppKey("config", OrderbookConfig)


def check_offline(store: IntentStore, config: OrderbookConfig, body: Any) -> SignedIntent:
    """What needs no chain: the intent itself (`check_body`) and the owner's open-intent cap."""
    signed = check_body(config, body)
    check_open_cap(signed.intent.owner, store.open_count(signed.intent.owner), config.open_cap)
    return signed


def check_body(config: OrderbookConfig, body: Any) -> SignedIntent:
    """Parse (every number once, bounded), the chain id, the intent's meaning. Pure CPU, ~0.5 ms."""
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
    return signed


def check_on_chain(config: OrderbookConfig, signed: SignedIntent) -> str:
    """The signature (EIP-1271 asks the wallet), the nonce, the funds; the intent id. Blocking: run off the loop."""
    intent = signed.intent
    intent_id = verify_intent(signed, config.chain_id, config.settlement, config.check_1271)
    if config.nonce_spent is not None and config.nonce_spent(intent.owner, intent.nonce):
        raise DuplicateIntent(f"nonce: {intent.owner} already spent nonce {intent.nonce} on chain", "nonce")
    if config.funds is not None:
        check_funds(intent.owner, intent.tokens, config.funds(intent.owner, list(intent.tokens)), config.tokens,
                    config.decimals)
    return intent_id


def accept(store: IntentStore, config: OrderbookConfig, body: Any) -> dict[str, Any]:
    """Everything `POST /intents` does, as one blocking function: check, verify, store; the 201 body."""
    signed = check_offline(store, config, body)
    stored = store.add(check_on_chain(config, signed), signed, max_open_per_owner=config.open_cap)
    return dump(AcceptedModel(id=stored.id, status=IntentStatus(stored.status)))


@dataclass
class ChainGate:
    """The bounded pool chain checks run in, and how many may wait for it."""

    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(CHAIN_WORKERS, "chain-check"))
    # parsing a burst of bodies one after another on the loop would hold it for all of them
    parser: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "parse"))
    pending: int = 0

    async def run(self, config: OrderbookConfig, signed: SignedIntent) -> str:
        """`check_on_chain` off the loop, under the pending cap and the time budget."""
        return str(await self.call(config, "the chain checks", check_on_chain, config, signed))

    async def call(self, config: OrderbookConfig, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` in the chain pool: 503 when `MAX_PENDING_CHECKS` already wait, or past the budget.
        Every chain call of every endpoint (submit and cancel) goes through here."""
        if self.pending >= MAX_PENDING_CHECKS:
            raise ChainBusy(f"signature: {self.pending} requests are waiting for the chain; try again shortly")
        self.pending += 1
        try:
            work = asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
            return await asyncio.wait_for(work, config.chain_timeout_s)
        except TimeoutError:
            raise ChainBusy(f"signature: {what} took over {config.chain_timeout_s:g}s; try again") from None
        finally:
            self.pending -= 1


GATE_KEY = web.AppKey("gate", ChainGate)
STORE_POOL_KEY = web.AppKey("store_pool", ThreadPoolExecutor)


HEALTH_POOL_KEY = web.AppKey("health_pool", ThreadPoolExecutor)


async def _store(request: web.Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` (a store method) in the store pool, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(request.app[STORE_POOL_KEY], partial(fn, *args, **kwargs))


async def _count(request: web.Request) -> int:
    """The stored intents, for /health: off the loop on a thread of its own, so a liveness probe
    never queues behind the submissions' store calls."""
    return int(await asyncio.get_running_loop().run_in_executor(request.app[HEALTH_POOL_KEY],
                                                                request.app[STORE_KEY].count))


def _config(request: web.Request) -> OrderbookConfig:
    return request.app[CONFIG_KEY]


async def post_intent(request: web.Request) -> web.Response:
    try:
        response = await _accept(request)
    except KeelError as exc:
        metrics.INTENTS_REFUSED.labels(type(exc).__name__, metrics.field_label(exc.field)).inc()
        raise
    metrics.INTENTS_ACCEPTED.inc()
    return response


async def _accept(request: web.Request) -> web.Response:
    body = await read_json(request, IntentError)
    store, config, gate = request.app[STORE_KEY], _config(request), request.app[GATE_KEY]
    signed = await asyncio.get_running_loop().run_in_executor(gate.parser, check_body, config, body)
    check_open_cap(signed.intent.owner, await _store(request, store.open_count, signed.intent.owner), config.open_cap)
    intent_id = await gate.run(config, signed)
    stored = await _store(request, store.add, intent_id, signed, max_open_per_owner=config.open_cap)  # the cap again, atomically
    return web.json_response(dump(AcceptedModel(id=stored.id, status=IntentStatus(stored.status))), status=201)


async def list_intents(request: web.Request) -> web.Response:
    q = parse(ListQuery, {k: request.query[k] for k in request.query})
    rows = await _store(request, request.app[STORE_KEY].list, status=q.status, owner=q.owner, limit=q.limit)
    return reply([IntentRecordModel.from_stored(r) for r in rows])


def _id(request: web.Request) -> str:
    return parse(IntentPath, dict(request.match_info)).id


async def get_intent(request: web.Request) -> web.Response:
    return reply(IntentRecordModel.from_stored(await _store(request, request.app[STORE_KEY].get, _id(request))))


async def delete_intent(request: web.Request) -> web.Response:
    intent_id = _id(request)
    store = request.app[STORE_KEY]
    config = _config(request)
    model = parse(CancellationModel, await read_json(request, IntentError))
    stored = await _store(request, store.get, intent_id)
    gate = request.app[GATE_KEY]
    # EIP-1271 asks the wallet: off the loop, under the same pending cap and budget as submissions
    await gate.call(config, "the wallet", verify_cancellation, intent_id, stored.owner, model.signingScheme,
                    from_hex(model.signature), config.chain_id, config.settlement, config.check_1271)
    await _store(request, store.cancel, intent_id)
    return reply(AcceptedModel(id=intent_id, status=CANCELLED))


async def health(request: web.Request) -> web.Response:
    config = _config(request)
    return reply(HealthModel(ok=True, chainId=config.chain_id, settlement=config.settlement,
                             intents=await _count(request)))


def make_app(store: IntentStore, config: OrderbookConfig) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=1 << 20)
    app[STORE_KEY] = store
    app[CONFIG_KEY] = config
    gate = ChainGate()
    app[GATE_KEY] = gate
    store_pool = ThreadPoolExecutor(STORE_WORKERS, "store")
    app[STORE_POOL_KEY] = store_pool
    health_pool = ThreadPoolExecutor(1, "health")
    app[HEALTH_POOL_KEY] = health_pool
    app.router.add_post("/intents", post_intent)
    app.router.add_get("/intents", list_intents)
    app.router.add_get("/intents/{id}", get_intent)
    app.router.add_delete("/intents/{id}", delete_intent)
    app.router.add_get("/health", health)
    add_metrics(app, "orderbook")

    async def close_store(_app: web.Application) -> None:
        gate.executor.shutdown(wait=False, cancel_futures=True)
        gate.parser.shutdown(wait=False, cancel_futures=True)
        for pool in (store_pool, health_pool):
            pool.shutdown(wait=True, cancel_futures=True)  # no store call may outlive the store
        store.close()

    app.on_cleanup.append(close_store)
    return app


def serve(host: str, port: int, db: str, config: OrderbookConfig, on_ready: Callable[[], None] | None = None) -> None:
    """Run the orderbook on host:port until SIGINT/SIGTERM; the store is closed on the way out.

    `on_ready` runs once the store is open (so a bad `--db` is the only line printed).
    """
    from orderbook.store import open_store

    store = open_store(db)
    # the parse and chain-check threads run Python between socket reads; hand the GIL back every
    # 1 ms instead of 5, so the event loop (/health, cheap refusals) never queues long behind them
    sys.setswitchinterval(0.001)
    if on_ready is not None:
        on_ready()
    # connections capped and silent ones closed after keel.http.HEADER_TIMEOUT_S (aiohttp has no header timeout)
    run_guarded(make_app(store, config), host, port, backlog=BACKLOG)
