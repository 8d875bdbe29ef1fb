"""Misbehaving solvers, as real strategies and servers, for the competition's tests (issues 6 and 7).

Each wraps an honest strategy (`milp` unless told otherwise) and spoils its answer in one
way; the auctioneer must drop every one of them and settle the best honest solution.
Load them by name like any strategy: `keel solver serve --strategy tests.fakes.strategies:Inflated`.

    Sleepy       answers after the deadline (run its node with honour_deadline=False)
    Crashing     raises inside solve (the node answers 500)
    Dying        kills its own node process mid-round (os._exit)
    Inflated     claims ten times the score it earns
    OutOfBounds  quotes a clearing price outside the users' signed bounds
    Reverting    adds an interaction that reverts (the simulation fails)
    Thief        adds an interaction that calls the Relayer to pull a user's funds
    Skimmer      adds an interaction that transfers the batch's tokens to the solver

`garbage_app()` is a server that answers /solve with malformed JSON shapes, and
`starved_submitter` sends the winner's transaction with too little gas, so a solution that
passed simulation reverts on chain.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from solver.domain import Auction, Interaction, Solution
from solver.strategy import Strategy, load

_TRANSFER = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
_TRANSFER_FROM = bytes.fromhex("23b872dd")  # transferFrom(address,address,uint256)
_WITHDRAW = bytes.fromhex("2e1a7d4d")  # WETH9.withdraw(uint256)


def _word(value: int | str) -> bytes:
    return (int(value, 16) if isinstance(value, str) else value).to_bytes(32, "big")


class _Wrapper:
    name = "wrapper"

    def __init__(self, inner: Strategy | None = None) -> None:
        self.inner = inner if inner is not None else load("milp")

    def honest(self, auction: Auction, solver: str) -> Solution:
        return self.inner.solve(auction, solver)


class Sleepy(_Wrapper):
    name = "sleepy"
    late_by_s = 1.5

    def solve(self, auction: Auction, solver: str) -> Solution:
        solution = self.honest(auction, solver)
        time.sleep(max(0.0, auction.deadline_ms / 1000 - time.time()) + self.late_by_s)
        return solution


class Crashing(_Wrapper):
    name = "crashing"

    def solve(self, auction: Auction, solver: str) -> Solution:
        raise RuntimeError("division by zero in the pricing step")


class Dying(_Wrapper):
    name = "dying"

    def solve(self, auction: Auction, solver: str) -> Solution:
        os._exit(70)  # the node process dies mid-round, as if killed


class Inflated(_Wrapper):
    name = "inflated"

    def solve(self, auction: Auction, solver: str) -> Solution:
        solution = self.honest(auction, solver)
        return dataclasses.replace(solution, score_e18=abs(solution.score_e18) * 10 + 10**21)


class OutOfBounds(_Wrapper):
    name = "out-of-bounds"

    def solve(self, auction: Auction, solver: str) -> Solution:
        solution = self.honest(auction, solver)
        intent = auction.intent(solution.executions[0].intent_id).intent
        token = intent.tokens[1]  # a priced token of the first intent, moved 50% up
        prices = {**solution.prices, token: solution.prices[token] * 3 // 2}
        return dataclasses.replace(solution, prices=prices)


class Reverting(_Wrapper):
    name = "reverting"

    def solve(self, auction: Auction, solver: str) -> Solution:
        solution = self.honest(auction, solver)
        weth = next(t.address for t in auction.tokens.values() if t.symbol == "WETH")
        boom = Interaction(weth, 0, _WITHDRAW + _word(2**200))  # more WETH than exists: reverts
        return dataclasses.replace(solution, interactions=(*solution.interactions, boom))


class Thief(_Wrapper):
    name = "thief"

    def __init__(self, inner: Strategy | None = None, relayer: str | None = None) -> None:
        super().__init__(inner)
        self.relayer = relayer  # the settlement's Relayer, which holds the users' approvals

    def solve(self, auction: Auction, solver: str) -> Solution:
        solution = self.honest(auction, solver)
        victim = auction.intents[0].intent
        token = victim.tokens[0]
        amount = auction.balances.get(victim.owner, {}).get(token, 0)
        target = self.relayer or auction.settlement
        steal = Interaction(target, 0, _TRANSFER_FROM + _word(victim.owner) + _word(solver) + _word(amount))
        return dataclasses.replace(solution, interactions=(*solution.interactions, steal))


class Skimmer(_Wrapper):
    name = "skimmer"

    def solve(self, auction: Auction, solver: str) -> Solution:
        solution = self.honest(auction, solver)
        execution = solution.executions[0]
        token, pulled = min(execution.flows.items(), key=lambda kv: kv[1])  # the most pulled token
        skim = Interaction(token, 0, _TRANSFER + _word(solver) + _word(max(1, -pulled)))
        return dataclasses.replace(solution, interactions=(*solution.interactions, skim))


def starved_submitter(rpc_url: str, tx: dict[str, Any]) -> str:
    """Send `tx` with a third of the gas it needs: it passes simulation and reverts on chain."""
    from auction.node import send_transaction

    return send_transaction(rpc_url, {**tx, "gas": max(60_000, tx["gas"] // 3)})


GARBAGE = {
    "not-json": b"<html>502 Bad Gateway</html>",
    "wrong-shape": b'{"solution": {"auctionId": "seven", "prices": []}, "reason": null}',
    "not-an-object": b"[1, 2, 3]",
}


def garbage_app(kind: str = "wrong-shape") -> Any:
    """An aiohttp app whose /solve answers 200 with a malformed body (`GARBAGE[kind]`)."""
    from aiohttp import web

    async def solve(_request: web.Request) -> web.Response:
        return web.Response(body=GARBAGE[kind], content_type="application/json")

    async def ok(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/solve", solve)
    app.router.add_post("/notify", ok)
    app.router.add_get("/health", ok)
    return app
