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
one that crashes yields a 500 error body. `/settle` sends only calldata byte-equal to a
solution this node proposed for that auction, to the auction's settlement contract: the
auctioneer cannot make the node sign anything else. Every refusal is a 4xx JSON body
`{"error", "kind", "field"}`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web
from pydantic import ValidationError

from auction import wire
from auction.settle_call import calldata
from keel.errors import ChainError, KeelError, RefusedError
from keel.http import errors_middleware, read_json, reply
from keel.wire import from_hex
from solver.domain import Auction
from solver.errors import NoSolution, SolverError
from solver.strategy import Strategy

# (rpc_url, tx) -> tx hash; the default sends from the node's account (see `send_transaction`)
Submitter = Callable[[str, dict[str, Any]], str]

NOTIFICATIONS_KEPT = 100
PROPOSALS_KEPT = 32
DEFAULT_MARGIN_MS = 300  # answer this long before the deadline: the answer must still travel


class StrategyCrashed(KeelError):
    http_status = 500


@dataclass
class Node:
    """Everything one node knows: its strategy, its account, what it proposed and was told."""

    strategy: Strategy
    solver: str
    rpc_url: str | None = None
    private_key: str | None = field(default=None, repr=False)
    margin_ms: int = DEFAULT_MARGIN_MS
    honour_deadline: bool = True  # False only for test nodes that must answer late
    submitter: Submitter | None = None
    notifications: deque[wire.NotificationModel] = field(default_factory=lambda: deque(maxlen=NOTIFICATIONS_KEPT))
    proposals: dict[int, tuple[Auction, bytes]] = field(default_factory=dict)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "strategy"))

    def remember(self, auction: Auction, data: bytes) -> None:
        self.proposals[auction.id] = (auction, data)
        while len(self.proposals) > PROPOSALS_KEPT:
            self.proposals.pop(min(self.proposals))


NODE_KEY = web.AppKey("node", Node)


async def _body(request: web.Request) -> Any:
    return await read_json(request, SolverError)


def _nothing(reason: str) -> web.Response:
    return reply(wire.SolveResponseModel(solution=None, reason=reason))


def _now_ms() -> int:
    return int(time.time() * 1000)


async def solve(request: web.Request) -> web.Response:
    node = request.app[NODE_KEY]
    auction = wire.auction_from_json(await _body(request))
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
        node.remember(auction, calldata(auction, solution))
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
    proposed = node.proposals.get(m.auctionId)
    if proposed is None:
        raise RefusedError(f"auctionId: this node proposed no solution for auction {m.auctionId}")
    auction, data = proposed
    if m.to != auction.settlement:
        raise RefusedError(f"to: {m.to} is not auction {m.auctionId}'s settlement {auction.settlement}")
    if from_hex(m.calldata) != data:
        raise RefusedError(f"calldata: not the solution this node proposed for auction {m.auctionId}")
    if node.rpc_url is None:
        raise RefusedError("rpc: this node has no chain to send to; start it with --rpc-url")
    tx = {"from": node.solver, "to": m.to, "data": m.calldata, "gas": m.gas}
    submit = node.submitter or _default_submitter(node.private_key)
    loop = asyncio.get_running_loop()
    try:
        tx_hash = await loop.run_in_executor(node.executor, submit, node.rpc_url, tx)
    except KeelError:
        raise
    except Exception as exc:  # the RPC refused the transaction outright
        raise ChainError(f"rpc: sending settle() failed: {type(exc).__name__}: {exc}") from None
    return reply(wire.SettleAnswerModel(txHash=tx_hash))


async def health(request: web.Request) -> web.Response:
    node = request.app[NODE_KEY]
    return reply(wire.HealthModel(status="ok", strategy=node.strategy.name, solver=node.solver))


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
             private_key: str | None = None, margin_ms: int = DEFAULT_MARGIN_MS, honour_deadline: bool = True,
             submitter: Submitter | None = None) -> web.Application:
    """The node's aiohttp app. `solver_address` is the account it settles from."""
    from intents.model import checksum

    node = Node(strategy, checksum(solver_address, "solver"), rpc_url, private_key, margin_ms, honour_deadline,
                submitter)
    app = web.Application(middlewares=[errors_middleware], client_max_size=16 << 20)
    app[NODE_KEY] = node
    app.router.add_post("/solve", solve)
    app.router.add_post("/notify", notify)
    app.router.add_post("/settle", settle)
    app.router.add_get("/notifications", notifications)
    app.router.add_get("/health", health)

    async def stop_workers(_app: web.Application) -> None:
        node.executor.shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(stop_workers)
    return app


def serve(strategy: Strategy, solver_address: str, port: int, host: str = "127.0.0.1", rpc_url: str | None = None,
          private_key: str | None = None, honour_deadline: bool = True) -> None:
    """Run a node on host:port until SIGINT/SIGTERM."""
    app = make_app(strategy, solver_address, rpc_url, private_key=private_key, honour_deadline=honour_deadline)
    web.run_app(app, host=host, port=port, print=None, handle_signals=True)
