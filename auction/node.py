"""The solver node: one strategy behind HTTP (aiohttp), described by `auction/openapi.yml`.

    POST /solve          an auction -> 200 {"solution": Solution | null, "reason": str | null}
    POST /notify         the auctioneer's verdict on this node's answer (verdict, dropReason,
                         reason, txHash) -> {"ok": true}
    POST /settle         the winner is asked to send the calldata it proposed -> {"txHash"}
    GET  /notifications  the last verdicts, newest last
    GET  /health         {"status": "ok", "strategy", "solver"}

Every body in and out is parsed and serialised by `auction.wire`'s models (the OpenAPI file
is generated from them).

`/solve` runs the strategy in a worker thread and answers before the auction's deadline
(less `margin_ms`): a strategy that is still thinking then yields `{"solution": null,
"reason": "timed out ..."}`, one that finds nothing yields its `NoSolution` reason, and
one that crashes yields a 500 error body.

Trust (SECURITY.md): every POST must be signed by the one auctioneer the node was started
with (`auction.auth`): unsigned, stale or replayed requests are 401, anyone else's 403,
before the body is parsed. Proposals are kept under (auctioneer, auction id, body hash), so
no other caller can overwrite or evict them. `/settle` sends only calldata byte-equal to a
solution this node proposed for that auction, only to the settlement contract the node was
started with (never the request's `to`, which must equal it), and only with a gas limit from
its own eth_estimateGas on the latest state: a calldata that reverts there sends nothing.
Every refusal is a 4xx JSON body `{"error", "kind", "field"}`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any, cast

from aiohttp import web
from eth_utils.crypto import keccak
from pydantic import ValidationError

from auction import wire
from auction.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, Forbidden, Verifier, authority
from auction.settle_call import calldata
from keel.errors import ChainError, KeelError, RefusedError
from keel.http import BODY_TIMEOUT_S, BodyTimeout, add_metrics, errors_middleware, read_json, reply
from keel.wire import from_hex
from solver.domain import Auction
from solver.errors import NoSolution, SolverError
from solver.strategy import Strategy

# (rpc_url, tx) -> tx hash; the default sends from the node's account (see `send_transaction`)
Submitter = Callable[[str, dict[str, Any]], str]
# (rpc_url, tx) -> gas; raises when the call reverts (see `estimate_gas`)
Estimator = Callable[[str, dict[str, Any]], int]
ProposalKey = tuple[str, int, bytes]  # (auctioneer, auction id, keccak of the /solve body)

NOTIFICATIONS_KEPT = 100
PROPOSALS_KEPT = 32
DEFAULT_MARGIN_MS = 300  # answer this long before the deadline: the answer must still travel
GAS_HEADROOM = (5, 4)  # send with 5/4 of the node's own estimate plus a margin, capped at a block
GAS_MARGIN = 50_000
BLOCK_GAS = 30_000_000
SIGNED_ROUTES = ("/solve", "/notify", "/settle")


class StrategyCrashed(KeelError):
    http_status = 500


@dataclass
class Node:
    """Everything one node knows: its strategy, its account, what it proposed and was told."""

    strategy: Strategy
    solver: str
    verifier: Verifier | None  # None: the node trusts nobody and refuses every POST
    settlement: str | None  # the only contract /settle ever sends to
    rpc_url: str | None = None
    private_key: str | None = field(default=None, repr=False)
    margin_ms: int = DEFAULT_MARGIN_MS
    honour_deadline: bool = True  # False only for test nodes that must answer late
    submitter: Submitter | None = None
    estimator: Estimator | None = None
    public_url: str | None = None  # the URL the node is registered under, when not its socket's address
    notifications: deque[wire.NotificationModel] = field(default_factory=lambda: deque(maxlen=NOTIFICATIONS_KEPT))
    proposals: dict[ProposalKey, tuple[Auction, bytes]] = field(default_factory=dict)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "strategy"))

    def remember(self, key: ProposalKey, auction: Auction, data: bytes) -> None:
        """Keep a proposal; only the authenticated auctioneer's own requests reach here, so the
        oldest ones it is evicting are its own (dicts keep insertion order)."""
        self.proposals.setdefault(key, (auction, data))
        while len(self.proposals) > PROPOSALS_KEPT:
            self.proposals.pop(next(iter(self.proposals)))

    def proposed(self, auctioneer: str, auction_id: int, data: bytes) -> Auction | None:
        """The auction this auctioneer asked about whose proposal is exactly `data`, if any."""
        for (who, aid, _), (auction, kept) in self.proposals.items():
            if who == auctioneer and aid == auction_id and kept == data:
                return auction
        return None


NODE_KEY = web.AppKey("node", Node)
CALLER_KEY = web.RequestKey("auctioneer", str)  # the authenticated auctioneer's address


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refuse every POST not signed by this node's auctioneer before anything reads it."""
    if request.method == "POST" and request.path in SIGNED_ROUTES:
        node = request.app[NODE_KEY]
        if node.verifier is None:
            raise Forbidden(f"{request.path}: this node was started without --auctioneer and trusts no caller",
                            "auctioneer")
        timestamp, signature = request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)
        node.verifier.precheck(timestamp, signature)  # headers first: no body is read for a bad one
        try:
            async with asyncio.timeout(BODY_TIMEOUT_S):
                body = await request.read()  # bounded by client_max_size; cached for the handler
        except TimeoutError:
            raise BodyTimeout(f"body: not received within {BODY_TIMEOUT_S:g}s", "body") from None
        nodes = own_authorities(request, node.public_url)
        # keccak of a body up to the size cap and the ecrecover: off the event loop
        request[CALLER_KEY] = await asyncio.get_running_loop().run_in_executor(
            None, node.verifier.check, request.method, request.path, body, timestamp, signature, None, nodes)
    return await handler(request)


def own_authorities(request: web.Request, public_url: str | None) -> tuple[str, ...]:
    """The host:port names this node answers to, as a request signed for it would name them: its
    `public_url` when given, else the address and port of the socket the request arrived on (never
    the Host header, which the caller chooses); a loopback socket also answers to localhost."""
    if public_url is not None:
        return (authority(public_url),)
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if not sockname:
        return ()
    host, port = str(sockname[0]), int(sockname[1])
    names = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    if ip_address(host).is_loopback:
        names.append(f"localhost:{port}")
    return tuple(names)


async def _body(request: web.Request) -> Any:
    return await read_json(request, SolverError)


def _nothing(reason: str) -> web.Response:
    return reply(wire.SolveResponseModel(solution=None, reason=reason))


def _now_ms() -> int:
    return int(time.time() * 1000)


async def solve(request: web.Request) -> web.Response:
    node = request.app[NODE_KEY]
    auction = wire.auction_from_json(await _body(request))
    if auction.settlement != node.settlement:
        raise Forbidden(f"settlement: {auction.settlement} is not this node's settlement {node.settlement}",
                        "settlement")
    key = (request[CALLER_KEY], auction.id, keccak(await request.read()))
    timeout_s = (auction.deadline_ms - node.margin_ms - _now_ms()) / 1000 if node.honour_deadline else None
    if timeout_s is not None and timeout_s <= 0:
        return _nothing("the auction's deadline has already passed")
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(node.executor, node.strategy.solve, auction, node.solver)
    try:
        # the thread cannot be cancelled; it finishes in the background and its result is dropped
        solution = await asyncio.wait_for(asyncio.shield(work), timeout_s)
    except TimeoutError:
        return _nothing(f"timed out: no solution within {timeout_s:.1f}s")
    except NoSolution as exc:
        return _nothing(str(exc))
    except KeelError as exc:
        return _nothing(f"{exc.kind}: {exc}")
    except Exception as exc:  # a strategy bug: say so, keep the node up
        raise StrategyCrashed(f"strategy {node.strategy.name!r} crashed: {type(exc).__name__}: {exc}") from None
    try:
        answer = wire.SolveResponseModel(solution=wire.solution_to_model(solution), reason=None)
        node.remember(key, auction, calldata(auction, solution))
    except (SolverError, ValidationError) as exc:  # e.g. a negative score or flow past int256: not sendable
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise StrategyCrashed(f"strategy {node.strategy.name!r} built an unencodable solution: {first}") from None
    return reply(answer)


async def notify(request: web.Request) -> web.Response:
    node = request.app[NODE_KEY]
    m = wire.parse(wire.NotifyModel, await _body(request))
    node.notifications.append(wire.NotificationModel(**dict(m), receivedAt=_now_ms()))
    return reply(wire.NotifyAckModel(ok=True))


async def notifications(request: web.Request) -> web.Response:
    return reply(list(request.app[NODE_KEY].notifications))


async def settle(request: web.Request) -> web.Response:
    node = request.app[NODE_KEY]
    m = wire.parse(wire.SettleRequestModel, await _body(request))
    if m.to != node.settlement:  # never the caller's address: only the one this node was started with
        raise Forbidden(f"to: {m.to} is not this node's settlement {node.settlement}", "to")
    data = from_hex(m.calldata)
    if node.proposed(request[CALLER_KEY], m.auctionId, data) is None:
        raise RefusedError(f"calldata: not a solution this node proposed for auction {m.auctionId}", "calldata")
    if node.rpc_url is None:
        raise RefusedError("rpc: this node has no chain to send to; start it with --rpc-url")
    loop = asyncio.get_running_loop()
    probe = {"from": node.solver, "to": node.settlement, "data": m.calldata}
    estimate = node.estimator or estimate_gas
    try:
        own_gas = await loop.run_in_executor(node.executor, estimate, node.rpc_url, probe)
    except Exception as exc:  # reverts on the latest state, or no chain: nothing is sent
        raise RefusedError(f"calldata: settle() does not pass this node's own simulation: "
                           f"{type(exc).__name__}: {str(exc)[:200]}", "calldata") from None
    tx = {**probe, "gas": gas_limit(own_gas)}
    submit = node.submitter or _default_submitter(node.private_key)
    try:
        tx_hash = await loop.run_in_executor(node.executor, submit, node.rpc_url, tx)
    except KeelError:
        raise
    except Exception as exc:  # the RPC refused the transaction outright
        raise ChainError(f"rpc: sending settle() failed: {type(exc).__name__}: {exc}") from None
    return reply(wire.SettleAnswerModel(txHash=tx_hash))


async def health(request: web.Request) -> web.Response:
    node = request.app[NODE_KEY]
    return reply(wire.HealthModel(status="ok", strategy=node.strategy.name, solver=node.solver,
                                  auctioneer=node.verifier.auctioneer if node.verifier else None,
                                  settlement=node.settlement))


def gas_limit(estimated_gas: int) -> int:
    """The node's own gas limit: 5/4 of its estimate plus a margin, never past a block."""
    return min(BLOCK_GAS, estimated_gas * GAS_HEADROOM[0] // GAS_HEADROOM[1] + GAS_MARGIN)


def estimate_gas(rpc_url: str, tx: dict[str, Any]) -> int:
    """eth_estimateGas of `tx` on the latest state; raises when it reverts."""
    from web3 import Web3
    from web3.types import TxParams

    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    return int(w3.eth.estimate_gas(cast(TxParams, tx), "latest"))


def _default_submitter(private_key: str | None) -> Submitter:
    return lambda rpc_url, tx: send_transaction(rpc_url, tx, private_key)


def send_transaction(rpc_url: str, tx: dict[str, Any], private_key: str | None = None) -> str:
    """Send `tx` from its `from` account: unlocked (anvil) or signed with `private_key`. Returns the hash."""
    from web3 import Web3
    from web3.types import TxParams

    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    if private_key is None:
        return "0x" + bytes(w3.eth.send_transaction(cast(TxParams, tx))).hex()
    from eth_account import Account

    full = {**tx, "nonce": w3.eth.get_transaction_count(tx["from"], "pending"), "chainId": int(w3.eth.chain_id),
            "gasPrice": int(w3.eth.gas_price) * 2}
    return "0x" + bytes(w3.eth.send_raw_transaction(Account.sign_transaction(full, private_key).raw_transaction)).hex()


def make_app(strategy: Strategy, solver_address: str, rpc_url: str | None = None, *,
             auctioneer: str | None = None, settlement: str | None = None,
             private_key: str | None = None, margin_ms: int = DEFAULT_MARGIN_MS, honour_deadline: bool = True,
             submitter: Submitter | None = None, estimator: Estimator | None = None,
             public_url: str | None = None) -> web.Application:
    """The node's aiohttp app. `solver_address` is the account it settles from, `auctioneer` the
    only address whose signed requests it serves, `settlement` the only contract it sends to,
    `public_url` the URL it is registered under when that is not its socket's address:port."""
    from intents.model import checksum

    node = Node(strategy, checksum(solver_address, "solver"),
                Verifier(auctioneer) if auctioneer is not None else None,
                checksum(settlement, "settlement") if settlement is not None else None,
                rpc_url, private_key, margin_ms, honour_deadline, submitter, estimator, public_url)
    app = web.Application(middlewares=[errors_middleware, auth_middleware], client_max_size=16 << 20)
    app[NODE_KEY] = node
    app.router.add_post("/solve", solve)
    app.router.add_post("/notify", notify)
    app.router.add_post("/settle", settle)
    app.router.add_get("/notifications", notifications)
    app.router.add_get("/health", health)
    add_metrics(app, "solver")  # /solve's latency histogram is this node's solve latency

    async def stop_workers(_app: web.Application) -> None:
        node.executor.shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(stop_workers)
    return app


def serve(strategy: Strategy, solver_address: str, port: int, host: str = "127.0.0.1", rpc_url: str | None = None,
          private_key: str | None = None, honour_deadline: bool = True, *, auctioneer: str | None = None,
          settlement: str | None = None, public_url: str | None = None) -> None:
    """Run a node on host:port until SIGINT/SIGTERM."""
    app = make_app(strategy, solver_address, rpc_url, auctioneer=auctioneer, settlement=settlement,
                   private_key=private_key, honour_deadline=honour_deadline, public_url=public_url)
    web.run_app(app, host=host, port=port, print=None, handle_signals=True)
