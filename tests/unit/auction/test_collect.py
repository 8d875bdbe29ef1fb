"""Collect over real loopback HTTP: one answer per node, in order, all back by the deadline,
whatever the nodes do (answer, stall, vanish, answer late, offer nothing)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from auction.auctioneer.collect import collect
from auction.auctioneer.stages import Proposed, Refused
from auction.endpoint import Endpoint
from auction.node import make_app
from auction.verdicts import DropReason, Verdict
from contracts.anvil import free_port
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server
from tests.unit.auction.test_node import Fixed, Nothing, Slow
from tests.unit.auction.test_verify import SETTLEMENT, SOLVER, cow, make_auction


def endpoint(url: str) -> Endpoint:
    return Endpoint(url, SOLVER, 0.0)


def test_should_collect_one_answer_per_node_in_order_by_the_deadline() -> None:
    nodes = [Server(make_app(Fixed(), SOLVER, **trusting(SETTLEMENT))), Server(make_app(Slow(), SOLVER, honour_deadline=False, **trusting(SETTLEMENT))),
             Server(make_app(Nothing(), SOLVER, **trusting(SETTLEMENT)))]
    nowhere = f"http://127.0.0.1:{free_port()}"
    auction = make_auction(deadline_s=1.5)
    try:
        started = time.time()
        answers = asyncio.run(collect(auction, [endpoint(n.url) for n in nodes] + [endpoint(nowhere)],
                                      signer=AUCTIONEER))
        took_s = time.time() - started
    finally:
        for n in nodes:
            n.stop()
    assert took_s < 1.5 + 0.5  # the slow node is given up on at the deadline
    fixed, slow, nothing, gone = answers
    assert isinstance(fixed, Proposed) and fixed.solution == cow(auction) and fixed.asked.endpoint.url == nodes[0].url
    assert isinstance(slow, Refused) and slow.drop.reason is DropReason.NO_ANSWER_BY_DEADLINE
    assert slow.reason.startswith("late: no answer by the deadline")
    assert isinstance(nothing, Refused) and nothing.drop.reason is DropReason.NO_SOLUTION
    assert nothing.verdict is Verdict.EMPTY and "no two intents trade" in nothing.reason
    assert isinstance(gone, Refused) and gone.drop.reason is DropReason.UNREACHABLE and gone.verdict is Verdict.DROPPED
    assert [a.endpoint.url for a in (slow, nothing, gone)] == [nodes[1].url, nodes[2].url, nowhere]


def test_should_drop_an_answer_that_arrives_after_the_deadline() -> None:
    node = Server(make_app(Fixed(), SOLVER, **trusting(SETTLEMENT)))
    past = dataclasses.replace(make_auction(), deadline_ms=int(time.time() * 1000) - 2_000)
    try:  # the node answers at once, but the deadline passed two seconds ago
        (answer,) = asyncio.run(collect(past, [endpoint(node.url)], min_wait_s=10.0, signer=AUCTIONEER))
    finally:
        node.stop()
    assert isinstance(answer, Refused) and answer.drop.reason is DropReason.ANSWERED_LATE
    assert answer.drop.values["late_ms"] >= 2_000 and answer.reason.startswith("late: answered")
