"""A solver node over loopback on a forked chain: only its auctioneer can make it solve or send.

Threats (SECURITY.md): a stranger spending the node's gas (/solve a made-up auction, then
/settle to an attacker's `to`), a stranger overwriting or evicting the live proposal, a
replayed request. After each refusal the node's account has sent no transaction (its
nonce on chain is unchanged); the live proposal still settles.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from typing import Any

from auction.auth import Signer
from auction.node import make_app
from auction.settle_call import calldata
from auction.wire import auction_to_json
from solver.strategies.baseline import Baseline
from tests.fakes.auctioneer import AUCTIONEER, STRANGER, signed_headers, trusting
from tests.helpers import Server
from tests.integration.auction_support import auction_for, weights_intent

ATTACKER_CONTRACT = "0x000000000000000000000000000000000000dEaD"


def post(url: str, body: Any, signer: Signer | None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    h = headers if headers is not None else (
        signed_headers(url, data, signer) if signer is not None else {"Content-Type": "application/json"})
    req = urllib.request.Request(url, data=data, method="POST", headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _setup(chain: Any) -> tuple[Any, Server, Any]:
    signed = [weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})]
    auction = auction_for(chain, signed, auction_id=41, deadline_s=120)
    node = Server(make_app(Baseline(), chain.solvers[0].address, chain.rpc_url,
                           **trusting(chain.settlement)))
    return auction, node, chain.web3()


def _sent(w3: Any, account: str) -> int:
    return int(w3.eth.get_transaction_count(account))


def test_refuses_unsigned_and_foreign_solve_and_settle_and_sends_nothing(chain: Any) -> None:
    auction, node, w3 = _setup(chain)
    solver = chain.solvers[0].address
    before = _sent(w3, solver)
    body = auction_to_json(auction)
    made_up = {**body, "id": 999, "settlement": ATTACKER_CONTRACT}
    try:
        status, answer = post(node.url + "/solve", body, None)
        assert status == 401 and answer["kind"] == "Unauthenticated" and answer["field"] == "signature"
        status, answer = post(node.url + "/solve", made_up, STRANGER)
        assert status == 403 and answer["kind"] == "Forbidden" and STRANGER.address in answer["error"]
        settle = {"auctionId": 999, "calldata": "0x00", "to": ATTACKER_CONTRACT, "gas": 30_000_000}
        assert post(node.url + "/settle", settle, None)[0] == 401
        assert post(node.url + "/settle", settle, STRANGER)[0] == 403
        # a forged signature header: the auctioneer's timestamp, bytes that recover to someone else
        forged = signed_headers(node.url + "/settle", json.dumps(settle).encode())
        forged["X-Keel-Signature"] = forged["X-Keel-Signature"][:-4] + "1b1b"
        assert post(node.url + "/settle", settle, None, forged)[0] in (401, 403)
        # the auctioneer's own request for a different settlement is refused too: the node is pinned
        status, answer = post(node.url + "/solve", made_up, AUCTIONEER)
        assert status == 403 and answer["field"] == "settlement"
    finally:
        node.stop()
    assert _sent(w3, solver) == before


def test_never_sends_to_a_forged_to_even_for_its_own_proposal(chain: Any) -> None:
    auction, node, w3 = _setup(chain)
    solver = chain.solvers[0].address
    try:
        status, answer = post(node.url + "/solve", auction_to_json(auction), AUCTIONEER)
        assert status == 200 and answer["solution"] is not None
        data = "0x" + calldata(auction, Baseline().solve(auction, solver)).hex()
        before = _sent(w3, solver)
        for to in (ATTACKER_CONTRACT, solver):
            status, answer = post(node.url + "/settle", {"auctionId": auction.id, "calldata": data, "to": to,
                                                         "gas": 30_000_000}, AUCTIONEER)
            assert status == 403 and answer["field"] == "to"
        assert _sent(w3, solver) == before
    finally:
        node.stop()


def test_refuses_a_replayed_or_stale_request() -> None:
    node = Server(make_app(Baseline(), AUCTIONEER.address, **trusting(ATTACKER_CONTRACT)))
    try:
        url = node.url + "/notify"
        body = {"auctionId": 1, "verdict": "lost", "dropReason": "outranked"}
        headers = signed_headers(url, json.dumps(body).encode())
        assert post(url, body, None, headers)[0] == 200
        status, answer = post(url, body, None, headers)
        assert status == 401 and "replay" in answer["error"]
        stale = AUCTIONEER.headers("POST", "/notify", json.dumps(body).encode(), int(time.time() * 1000) - 60_000)
        status, answer = post(url, body, None, {"Content-Type": "application/json", **stale})
        assert status == 401 and answer["field"] == "timestamp"
    finally:
        node.stop()


def test_a_hundred_foreign_solves_leave_the_live_proposal_intact_and_it_settles(chain: Any) -> None:
    auction, node, w3 = _setup(chain)
    solver = chain.solvers[0].address
    live = auction_to_json(auction)
    try:
        status, answer = post(node.url + "/solve", live, AUCTIONEER)
        assert status == 200 and answer["solution"] is not None
        refused = []
        for i in range(100):  # the live id re-posted with other content, and 99 higher ids, by strangers
            other = dataclasses.replace(auction, id=auction.id + i, intents=())
            body = {**auction_to_json(other), "gasPrice": str(i + 1)}
            refused.append(post(node.url + "/solve", body, STRANGER if i % 2 else None)[0])
        assert set(refused) <= {401, 403} and len(refused) == 100
        data = "0x" + calldata(auction, Baseline().solve(auction, solver)).hex()
        request = {"auctionId": auction.id, "calldata": data, "to": chain.settlement,
                   "gas": 21_000}  # the auctioneer's gas is ignored: the node sends with its own estimate
        status, answer = post(node.url + "/settle", request, AUCTIONEER)
        assert status == 200, answer
    finally:
        node.stop()
    receipt = w3.eth.wait_for_transaction_receipt(answer["txHash"], timeout=30)
    assert receipt["status"] == 1 and receipt["to"] == chain.settlement
    assert 21_000 < int(w3.eth.get_transaction(answer["txHash"])["gas"]) <= 30_000_000
