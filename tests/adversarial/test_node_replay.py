"""A captured, signed request to a solver node is served once, by the node it was signed for.

Threats (SECURITY.md, the review of issue 14): re-encoding one signature (v 27/28 ↔ 0/1,
s ↔ n−s) to pass the replay cache; replaying the winner's /settle to another node; a
signed /solve whose integers are too large for Python's float/int paths (a 500).
Loopback only; the nodes' submitters record transactions instead of sending them.
"""

from __future__ import annotations

import json
from typing import Any

from auction.auth import SECP256K1_N, SIGNATURE_HEADER, Verifier, canonical, digest
from auction.node import make_app
from auction.settle_call import calldata
from auction.wire import auction_to_json
from solver.domain import Auction, Solution
from tests.adversarial.fuzz_support import http
from tests.fakes.auctioneer import AUCTIONEER, signed_headers, trusting
from tests.helpers import Server
from tests.unit.auction.test_verify import SETTLEMENT, SOLVER, cow, make_auction


class Cow:
    name = "cow"

    def solve(self, auction: Auction, solver: str) -> Solution:
        return cow(auction)


def node(sent: list[Any]) -> Server:
    return Server(make_app(Cow(), SOLVER, "http://127.0.0.1:1", **trusting(SETTLEMENT),
                           estimator=lambda url, tx: 150_000,
                           submitter=lambda url, tx: sent.append(tx) or "0x" + "ab" * 32))


def variants(signature: str) -> list[str]:
    """The three other encodings of one secp256k1 signature: v as 0/1, and s ↔ n − s with v flipped."""
    raw = bytes.fromhex(signature[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    high = (SECP256K1_N - s).to_bytes(32, "big")
    return ["0x" + x.hex() for x in (r + raw[32:64] + bytes([v - 27]), r + high + bytes([55 - v]),
                                     r + high + bytes([28 - v]))]


def solve_then_settle(url: str) -> bytes:
    auction = make_auction(deadline_s=60)
    body = json.dumps(auction_to_json(auction)).encode()
    assert http("POST", url + "/solve", body, headers=signed_headers(url + "/solve", body))[0] == 200
    data = calldata(auction, cow(auction))
    return json.dumps({"auctionId": auction.id, "calldata": "0x" + data.hex(), "to": SETTLEMENT,
                       "gas": 30_000_000}).encode()


def test_one_signed_settle_is_served_once_whatever_its_encoding() -> None:
    sent: list[Any] = []
    server = node(sent)
    try:
        settle = solve_then_settle(server.url)
        headers = signed_headers(server.url + "/settle", settle)
        assert http("POST", server.url + "/settle", settle, headers=headers)[0] == 200
        for other in [headers[SIGNATURE_HEADER], *variants(headers[SIGNATURE_HEADER])]:
            status, answer = http("POST", server.url + "/settle", settle, headers={**headers, SIGNATURE_HEADER: other})
            assert status == 401 and answer["field"] == "signature", (status, answer)
        assert len(sent) == 1
    finally:
        server.stop()


def test_only_canonical_signatures_are_accepted() -> None:
    headers = AUCTIONEER.headers("POST", "http://127.0.0.1:9/solve", b"{}")
    raw = bytes.fromhex(headers[SIGNATURE_HEADER][2:])
    assert canonical(raw) and not any(canonical(bytes.fromhex(v[2:])) for v in variants(headers[SIGNATURE_HEADER]))
    verifier = Verifier(AUCTIONEER.address)
    ts = headers["X-Keel-Timestamp"]
    assert verifier.check("POST", "/solve", b"{}", ts, headers[SIGNATURE_HEADER], nodes=("127.0.0.1:9",))
    assert digest("POST", "127.0.0.1:9", "/solve", 1, b"") != digest("POST", "127.0.0.1:10", "/solve", 1, b"")


def test_a_settle_signed_for_node_a_is_refused_by_node_b() -> None:
    sent_a: list[Any] = []
    sent_b: list[Any] = []
    a, b = node(sent_a), node(sent_b)
    try:
        settle = solve_then_settle(a.url)
        solve_then_settle(b.url)  # B proposed the same calldata: only the signature's target differs
        headers = signed_headers(a.url + "/settle", settle)  # the auctioneer asks only the winner, A
        status, answer = http("POST", b.url + "/settle", settle, headers=headers)  # A's operator replays it to B
        assert status == 403 and answer["field"] == "signature", (status, answer)
        assert http("POST", a.url + "/settle", settle, headers=headers)[0] == 200
        assert (len(sent_a), len(sent_b)) == (1, 0)
    finally:
        a.stop()
        b.stop()


def test_a_signed_solve_with_huge_integers_is_a_4xx_naming_the_field() -> None:
    server = node([])
    try:
        base = auction_to_json(make_auction(deadline_s=60))
        for name in ("deadline", "id"):
            for value in ["9" * 78, "9" * 400, 10**60, 2**64]:
                raw = json.dumps({**base, name: value}).encode()
                status, answer = http("POST", server.url + "/solve", raw,
                                      headers=signed_headers(server.url + "/solve", raw))
                assert 400 <= status < 500 and answer["field"] == name, (name, value, status, answer)
    finally:
        server.stop()


def test_a_request_without_a_fresh_canonical_signature_is_refused_before_its_body_is_read() -> None:
    import socket
    from urllib.parse import urlparse

    server = node([])
    try:
        target = urlparse(server.url)
        with socket.create_connection((target.hostname, target.port), timeout=5) as sock:
            # announces 8 MiB and sends none of it: a node that read the body first would wait for it
            sock.sendall(b"POST /solve HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 8388608\r\nX-Keel-Timestamp: 1\r\nX-Keel-Signature: 0x00\r\n\r\n")
            head = sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 401"), head[:80]
    finally:
        server.stop()
