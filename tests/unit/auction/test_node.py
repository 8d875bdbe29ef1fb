"""The solver node over real HTTP on 127.0.0.1: solve before the deadline, notify, settle guards, OpenAPI."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auction import wire
from auction.auth import Signer
from auction.node import make_app
from auction.settle_call import calldata
from solver.domain import Auction, Solution
from solver.errors import NoSolution, SolverError
from tests import schema_check
from tests.fakes.auctioneer import AUCTIONEER, signed_headers, trusting
from tests.fakes.strategies import Crashing
from tests.helpers import Server
from tests.unit.auction.test_verify import SETTLEMENT, SOLVER, cow, make_auction

SPEC = json.loads((Path(__file__).resolve().parents[3] / "auction" / "openapi.yml").read_text())


class Fixed:
    """Answers every auction with the two users' coincidence of wants."""

    name = "fixed"

    def solve(self, auction: Auction, solver: str) -> Solution:
        return cow(auction)


class Nothing:
    name = "nothing"

    def solve(self, auction: Auction, solver: str) -> Solution:
        raise NoSolution("no two intents trade in opposite directions")


class Slow(Fixed):
    name = "slow"

    def solve(self, auction: Auction, solver: str) -> Solution:
        time.sleep(max(0.0, auction.deadline_ms / 1000 - time.time()) + 0.3)
        return cow(auction)


def call(url: str, method: str = "GET", body: Any = None, raw: bytes | None = None,
         signer: Signer | None = AUCTIONEER) -> tuple[int, Any]:
    """One request; a POST is signed by `signer` (the nodes' trusted auctioneer unless told otherwise)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Content-Type": "application/json"}
    if method == "POST" and signer is not None:
        headers = signed_headers(url, data or b"", signer)
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture()
def node() -> Iterator[Server]:
    srv = Server(make_app(Fixed(), SOLVER, **trusting(SETTLEMENT)))
    yield srv
    srv.stop()


def served(strategy: Any) -> Server:
    return Server(make_app(strategy, SOLVER, margin_ms=200, **trusting(SETTLEMENT)))


def response_schema(route: str, method: str, status: int) -> dict[str, Any]:
    return schema_check.response_schema(SPEC, route, method, status)


def conforms(value: Any, schema: dict[str, Any]) -> list[str]:
    return schema_check.conforms(SPEC, value, schema)


# -- tests ---------------------------------------------------------------------------------

def test_should_answer_an_auction_with_the_strategys_solution(node: Server) -> None:
    auction = make_auction()
    status, body = call(node.url + "/solve", "POST", wire.auction_to_json(auction))
    assert status == 200 and body["reason"] is None
    solution = wire.solution_from_json(body["solution"])
    assert solution == cow(auction)


def test_should_answer_null_with_the_reason_when_the_strategy_finds_nothing() -> None:
    srv = served(Nothing())
    try:
        status, body = call(srv.url + "/solve", "POST", wire.auction_to_json(make_auction()))
    finally:
        srv.stop()
    assert status == 200 and body == {"solution": None, "reason": "no two intents trade in opposite directions"}


def test_should_answer_before_the_deadline_when_the_strategy_is_too_slow() -> None:
    srv = served(Slow())
    auction = make_auction(deadline_s=1.0)
    try:
        status, body = call(srv.url + "/solve", "POST", wire.auction_to_json(auction))
        answered_ms = time.time() * 1000
    finally:
        srv.stop()
    assert status == 200 and body["solution"] is None and "timed out" in body["reason"]
    assert answered_ms < auction.deadline_ms


def test_should_answer_500_with_an_error_body_when_the_strategy_crashes_and_stay_up() -> None:
    srv = served(Crashing(Fixed()))
    try:
        status, body = call(srv.url + "/solve", "POST", wire.auction_to_json(make_auction()))
        health = call(srv.url + "/health")
    finally:
        srv.stop()
    assert status == 500 and body["kind"] == "StrategyCrashed" and "division by zero" in body["error"]
    assert health == (200, {"status": "ok", "strategy": "crashing", "solver": SOLVER,
                            "auctioneer": AUCTIONEER.address, "settlement": SETTLEMENT})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"[]", "body"),
        (json.dumps({"id": 1}).encode(), "chainId"),
        (json.dumps({**wire.auction_to_json(make_auction()), "gasPrice": "-1"}).encode(), "gasPrice"),
        (json.dumps({**wire.auction_to_json(make_auction()), "settlement": "0x12"}).encode(), "settlement"),
        (json.dumps({**wire.auction_to_json(make_auction()), "poolTargets": ["0xpool"]}).encode(), "poolTargets[0]"),
    ],
)
def test_rejects_a_malformed_auction_with_400_naming_the_field(node: Server, raw: bytes, field: str) -> None:
    status, body = call(node.url + "/solve", "POST", raw=raw)
    assert status == 400 and body["kind"] == "SolverError" and body["field"] == field
    assert field in body["error"]


def test_should_keep_the_verdicts_it_is_told_and_refuse_an_unknown_one(node: Server) -> None:
    told = {"auctionId": 3, "verdict": "dropped", "dropReason": "score_mismatch", "reason": "score mismatch"}
    assert call(node.url + "/notify", "POST", told)[0] == 200
    for unknown in ("maybe", "won"):  # `won` is never sent: the winner hears `settled` or `failed`
        status, body = call(node.url + "/notify", "POST", {"auctionId": 3, "verdict": unknown})
        assert status == 400 and body["field"] == "verdict", body
    _, seen = call(node.url + "/notifications")
    assert [(n["auctionId"], n["verdict"], n["dropReason"], n["reason"]) for n in seen] == [
        (3, "dropped", "score_mismatch", "score mismatch")]


def test_refuses_a_drop_reason_that_does_not_belong_to_the_verdict(node: Server) -> None:
    for verdict, reason in (("settled", "outranked"), ("lost", "score_mismatch"), ("failed", "bogus")):
        status, body = call(node.url + "/notify", "POST", {"auctionId": 3, "verdict": verdict, "dropReason": reason})
        assert status == 400 and body["field"] == "dropReason", body
    status, _ = call(node.url + "/notify", "POST", {"auctionId": 3, "verdict": "lost", "dropReason": "outranked"})
    assert status == 200


def test_refuses_to_settle_anything_but_the_calldata_it_proposed(node: Server) -> None:
    auction = make_auction()
    request = {"auctionId": auction.id, "calldata": "0x" + calldata(auction, cow(auction)).hex(), "to": SETTLEMENT,
               "gas": 500_000}
    status, body = call(node.url + "/settle", "POST", request)
    assert status == 409 and body["field"] == "calldata" and "not a solution this node proposed" in body["error"]
    call(node.url + "/solve", "POST", wire.auction_to_json(auction))
    tampered = {**request, "calldata": request["calldata"][:-2] + "ff"}
    status, body = call(node.url + "/settle", "POST", tampered)
    assert status == 409 and body["error"].startswith("calldata:")
    status, body = call(node.url + "/settle", "POST", {**request, "to": SOLVER})
    assert status == 403 and body["error"].startswith("to:") and body["field"] == "to"
    status, body = call(node.url + "/settle", "POST", request)  # the right calldata, but this node has no chain
    assert status == 409 and body["error"].startswith("rpc:")


def test_should_describe_every_route_in_the_openapi_file() -> None:
    app = make_app(Fixed(), SOLVER, **trusting(SETTLEMENT))
    routes = {(r.resource.canonical, r.method.lower()) for r in app.router.routes() if r.method != "HEAD"}
    described = {(p, m) for p, ops in SPEC["paths"].items() for m in ops}
    assert routes == described


def test_should_answer_with_the_shapes_the_openapi_file_requires(node: Server) -> None:
    auction_json = wire.auction_to_json(make_auction())
    assert conforms(auction_json, SPEC["components"]["schemas"]["Auction"]) == []
    status, body = call(node.url + "/solve", "POST", auction_json)
    assert conforms(body, response_schema("/solve", "post", status)) == []
    assert body["solution"] is not None
    status, body = call(node.url + "/solve", "POST", raw=b"{")
    assert status == 400 and conforms(body, response_schema("/solve", "post", status)) == []
    status, body = call(node.url + "/notify", "POST", {"auctionId": 1, "verdict": "settled", "txHash": "0x" + "ab" * 32})
    assert status == 200 and conforms(body, response_schema("/notify", "post", status)) == []
    status, body = call(node.url + "/notify", "POST", {"auctionId": 1, "verdict": "won"})
    assert status == 400 and conforms(body, response_schema("/notify", "post", status)) == []
    status, body = call(node.url + "/notifications")
    assert conforms(body, response_schema("/notifications", "get", status)) == [] and len(body) == 1
    status, body = call(node.url + "/health")
    assert conforms(body, response_schema("/health", "get", status)) == []
    status, body = call(node.url + "/settle", "POST", {"auctionId": 1, "calldata": "0x", "to": SETTLEMENT, "gas": 1})
    assert status == 400 and body["field"] == "gas" and conforms(body, response_schema("/settle", "post", status)) == []


def test_the_schema_check_itself_notices_a_broken_body() -> None:
    good = {"status": "ok", "strategy": "x", "solver": SOLVER}
    schema = response_schema("/health", "get", 200)
    assert conforms(good, schema) == []
    assert conforms({"status": "ok", "strategy": "x"}, schema) == ["$.solver: missing"]
    assert conforms({**good, "solver": "0x12"}, schema) != []


class NegativeScore(Fixed):
    """Claims a score below zero, which no uint256 on the wire can carry."""

    name = "negative"

    def solve(self, auction: Auction, solver: str) -> Solution:
        import dataclasses

        return dataclasses.replace(cow(auction), score_e18=-1)


def test_answers_a_solution_the_wire_cannot_carry_with_an_error_body_not_a_bare_500() -> None:
    srv = served(NegativeScore())
    try:
        status, body = call(srv.url + "/solve", "POST", wire.auction_to_json(make_auction()))
    finally:
        srv.stop()
    assert status == 500 and body["kind"] == "StrategyCrashed" and "unencodable solution" in body["error"]
    assert conforms(body, response_schema("/solve", "post", status)) == []


def test_carries_pool_targets_and_sinks_across_the_wire_and_refuses_a_malformed_sink() -> None:
    import dataclasses

    from solver.domain import Execution

    pair = "0x00000000000000000000000000000000000000A1"
    auction = dataclasses.replace(make_auction(), pool_targets=frozenset({pair}))
    assert wire.auction_from_json(json.loads(json.dumps(wire.auction_to_json(auction)))).pool_targets == {pair}
    token = next(iter(auction.tokens))
    solution = Solution(auction.id, SOLVER, {token: 1}, (Execution("0x" + "ab" * 32, {token: -1}),), (), 1, 1,
                        sinks={token: pair})
    assert wire.solution_from_json(json.loads(json.dumps(wire.solution_to_json(solution)))).sinks == {token: pair}
    with pytest.raises(SolverError) as err:
        wire.solution_from_json({**wire.solution_to_json(solution), "sinks": {token: "0xnot"}})
    assert err.value.field == f"sinks.{token}"
