"""Submitting the winner on the fork: every way a ranked solution can fail to settle has its
reason, and the next in line is tried on the latest state.

Four nodes propose the same batch, ranked in this order: one that never proposed it (its
node refuses `/settle`), one that hangs up on `/settle`, one that sends the transaction but
reports a made-up hash (no receipt; its real transaction mines and spends the nonces), and
an honest one, which by then no longer settles. Then the honest node alone settles it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from auction.auctioneer import arbitrate, submit
from auction.auctioneer.stages import Asked, Proposed, Ranked, Refused, Settled, Simulated, Verified
from auction.endpoint import Endpoint
from auction.node import make_app, send_transaction
from auction.verdicts import DropReason, Verdict
from auction.wire import auction_to_json
from contracts.settlement import Settlement
from solver.domain import Auction, Solution
from solver.strategies.baseline import Baseline
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server
from tests.integration.auction_support import auction_for, weights_intent
from tests.unit.auction.test_node import call

MADE_UP_HASH = "0x" + "ee" * 32


class Fixed:
    """Answers with one precomputed solution."""

    name = "fixed"

    def __init__(self, solution: Solution) -> None:
        self.solution = solution

    def solve(self, auction: Auction, solver: str) -> Solution:
        return self.solution


def lying_submitter(rpc_url: str, tx: dict[str, Any]) -> str:
    send_transaction(rpc_url, tx)  # really sent, and it mines ...
    return MADE_UP_HASH  # ... but the auctioneer is told another hash


def hang_up_app() -> web.Application:
    async def hang_up(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(1)
        return web.Response()

    app = web.Application()
    app.router.add_post("/settle", hang_up)
    return app


def settlement_of(chain: Any) -> str:
    return str(chain.settlement)


def ranked_for(w3: Any, auction: Auction, solution: Solution, urls: list[str]) -> list[Ranked]:
    """The same solution proposed by each URL, verified and simulated for real, ranked in the given order."""
    out = []
    for rank, url in enumerate(urls, start=1):
        proposed = Proposed(Asked(Endpoint(url, solution.solver, 0.0), 10), solution)
        verified = arbitrate.verify(auction, proposed, None)
        assert isinstance(verified, Verified), verified
        (simulated,) = submit.simulate_all(w3, auction, [verified])
        assert isinstance(simulated, Simulated), simulated
        out.append(Ranked(simulated, rank))
    return out


def test_each_failed_submission_has_its_reason_and_the_next_in_line_is_retried_on_the_latest_state(
        chain: Any) -> None:
    signed = [weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}),
              weights_intent(chain, 1, {"USDC": 40, "WETH": 50, "WBTC": 10})]
    auction = auction_for(chain, signed, auction_id=5, deadline_s=120)
    solver = chain.solvers[0].address
    solution = Baseline().solve(auction, solver)
    w3, rpc = chain.web3(), chain.rpc_url
    refusing = Server(make_app(Fixed(solution), solver, rpc, **trusting(settlement_of(chain))))  # never asked to /solve: proposed nothing
    hanging = Server(hang_up_app())
    liar = Server(make_app(Fixed(solution), solver, rpc, submitter=lying_submitter, **trusting(settlement_of(chain))))
    honest = Server(make_app(Fixed(solution), solver, rpc, **trusting(settlement_of(chain))))
    sent: list[tuple[int, str]] = []
    try:
        for node in (liar, honest):  # they propose it, so their /settle will accept exactly its calldata
            assert call(node.url + "/solve", "POST", auction_to_json(auction))[1]["solution"] is not None
        ranked = ranked_for(w3, auction, solution, [refusing.url, hanging.url, liar.url, honest.url])
        outcomes = asyncio.run(submit.settle_best(w3, auction, ranked, receipt_timeout_s=2.0,
                                                  on_sent=lambda r, tx: sent.append((r.rank, tx)),
                                                  signer=AUCTIONEER))
    finally:
        for node in (refusing, hanging, liar, honest):
            node.stop()

    reasons = [(o.endpoint.url, o.verdict, o.drop.reason if o.drop else None) for o in outcomes]
    assert reasons == [(refusing.url, Verdict.FAILED, DropReason.NODE_REFUSED),
                       (hanging.url, Verdict.FAILED, DropReason.NODE_DID_NOT_SEND),
                       (liar.url, Verdict.FAILED, DropReason.NO_RECEIPT),
                       (honest.url, Verdict.FAILED, DropReason.NO_LONGER_SETTLES)]
    assert "HTTP 409" in outcomes[0].reason and "not a solution this node proposed" in outcomes[0].reason
    no_receipt = outcomes[2]
    assert isinstance(no_receipt, Refused) and no_receipt.pending and no_receipt.tx_hash == MADE_UP_HASH
    assert sent == [(3, MADE_UP_HASH)]  # recorded before its receipt was awaited
    assert "NonceAlreadyUsed" in outcomes[3].reason or "nonce" in outcomes[3].reason.lower(), outcomes[3].reason
    # the liar's real transaction settled the batch: its intents' nonces are spent, so nothing settles twice
    settlement = Settlement(w3, chain.settlement)
    executed = set(solution.intent_ids)
    assert executed
    for bi in auction.intents:
        assert settlement.is_nonce_spent(bi.intent.owner, bi.intent.nonce) == (bi.id in executed)


def test_should_settle_with_the_first_node_that_sends_and_tell_the_others_they_lost(chain: Any) -> None:
    signed = [weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})]
    auction = auction_for(chain, signed, auction_id=6, deadline_s=120)
    solver = chain.solvers[0].address
    solution = Baseline().solve(auction, solver)
    w3, rpc = chain.web3(), chain.rpc_url
    first, second = Server(make_app(Fixed(solution), solver, rpc, **trusting(settlement_of(chain)))), Server(make_app(Fixed(solution), solver, rpc, **trusting(settlement_of(chain))))
    try:
        for node in (first, second):
            call(node.url + "/solve", "POST", auction_to_json(auction))
        ranked = ranked_for(w3, auction, solution, [first.url, second.url])
        won, lost = asyncio.run(submit.settle_best(w3, auction, ranked, receipt_timeout_s=30.0, signer=AUCTIONEER))
    finally:
        first.stop()
        second.stop()
    assert isinstance(won, Settled) and won.endpoint.url == first.url and won.drop is None
    receipt = w3.eth.get_transaction_receipt(won.tx_hash)
    assert receipt["status"] == 1 and won.gas_used == receipt["gasUsed"] and won.reason.startswith("won with score")
    assert lost.verdict is Verdict.LOST and lost.drop.reason is DropReason.OUTRANKED and lost.tx_hash is None
