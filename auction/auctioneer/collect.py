"""Collect: post the auction to every registered node at once; every answer back by the deadline.

`collect(auction, endpoints)` returns, per endpoint and in order, either a `Proposed`
(a well-formed solution, parsed by `auction.wire`) or a `Refused` whose `Drop` says what
came back instead: no answer by the deadline, an answer after it, an unreachable or
crashing node, a body that is not JSON or not a `SolveResponse`, or `{"solution": null}`
(verdict `empty`). Nothing a node sends can raise out of here or delay the round past
the deadline. I/O: aiohttp only.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

from auction import wire
from auction.auctioneer.stages import Asked, Proposed, Refused
from auction.auctioneer.submit import signed_headers
from auction.auth import Signer
from auction.endpoint import Endpoint
from auction.verdicts import Drop, DropReason
from keel.errors import KeelError
from keel.wire import loads
from solver.domain import Auction

if TYPE_CHECKING:
    import aiohttp

Answer = Proposed | Refused
MIN_WAIT_S = 0.05  # even past the deadline, give a node this long (an answer then is `answered_late`)


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _ask(session: aiohttp.ClientSession, endpoint: Endpoint, body: bytes, auction: Auction, min_wait_s: float,
               signer: Signer | None) -> Answer:
    import aiohttp

    started_ms = _now_ms()
    timeout_s = max(min_wait_s, (auction.deadline_ms - started_ms) / 1000)

    def asked() -> Asked:
        return Asked(endpoint, _now_ms() - started_ms)

    try:
        async with asyncio.timeout(timeout_s):
            url = endpoint.url + "/solve"
            async with session.post(url, data=body, headers=signed_headers(signer, url, body)) as resp:
                status, text = resp.status, await resp.text()
    except TimeoutError:
        return Refused(asked(), Drop.of(DropReason.NO_ANSWER_BY_DEADLINE, waited_s=f"{timeout_s:.1f}"))
    except aiohttp.ClientError as exc:
        return Refused(asked(), Drop.of(DropReason.UNREACHABLE, error=f"{type(exc).__name__}: {exc}"))
    late_ms = _now_ms() - auction.deadline_ms
    if late_ms > 0:
        return Refused(asked(), Drop.of(DropReason.ANSWERED_LATE, late_ms=late_ms))
    return read_answer(asked(), status, text)


def read_answer(asked: Asked, status: int, text: str) -> Answer:
    """One node's HTTP answer to /solve as a stage: Proposed, or Refused with why."""
    try:
        body = loads(text)  # bounded depth: a node cannot crash the auctioneer
    except ValueError:
        return Refused(asked, Drop.of(DropReason.NOT_JSON, status=status))
    if status != 200:
        detail = body.get("error") if isinstance(body, dict) else None
        return Refused(asked, Drop.of(DropReason.SOLVER_ERROR, status=status, error=detail or "no error body"))
    try:
        answer = wire.parse(wire.SolveResponseModel, body)
    except KeelError as exc:
        return Refused(asked, Drop.of(DropReason.MALFORMED, exc.field, problem=str(exc)))
    if answer.solution is None:
        return Refused(asked, Drop.of(DropReason.NO_SOLUTION, why=answer.reason or "none given"))
    return Proposed(asked, wire.solution_from_model(answer.solution))


async def collect(auction: Auction, endpoints: list[Endpoint], min_wait_s: float = MIN_WAIT_S,
                  signer: Signer | None = None) -> list[Answer]:
    """Post the auction to every endpoint at once, each request signed by `signer` (the
    auctioneer); every answer is back (or given up) by the deadline, or `min_wait_s` from now
    if that is later. One answer per endpoint, in order."""
    import aiohttp

    body = json.dumps(wire.auction_to_json(auction)).encode()
    async with aiohttp.ClientSession() as session:
        return list(await asyncio.gather(*(_ask(session, e, body, auction, min_wait_s, signer) for e in endpoints)))
