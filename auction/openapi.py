"""`auction/openapi.yml`, generated from the wire models a solver node parses and answers with.

    python -m auction.openapi          rewrite auction/openapi.yml
    python -m auction.openapi --check  exit 1 if the committed file differs

The route table below is the node's (`auction.node.make_app`); a test checks that the two
name the same routes and that the committed file equals `render(document())`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from auction import wire
from keel.openapi import METRICS_ROUTE, ListOf, Route, openapi, render, write_or_check

FILE = Path(__file__).with_name("openapi.yml")
TITLE = "keel solver node"
DESCRIPTION = (
    "One strategy behind HTTP. The auctioneer posts an auction to /solve and must get an answer before the "
    "auction's deadline; it then tells the node its verdict on /notify, and asks the winner to send the "
    "settlement on /settle. Generated from the pydantic models (python -m auction.openapi); written as JSON, "
    "which is valid YAML. uint256 values are decimal strings, flows signed decimal strings. Every error is "
    "{error, kind, field}. Every POST must carry X-Keel-Timestamp (unix ms) and X-Keel-Signature: the "
    "auctioneer's EIP-191 signature over keccak256(method \\n path \\n timestamp \\n body); unsigned, stale or "
    "replayed requests are 401, a signature by anyone but the node's auctioneer is 403 (SECURITY.md).")
AUTH = {401: ("Unsigned, stale or replayed request", None), 403: ("Not signed by this node's auctioneer", None)}

ROUTES = (
    Route("/solve", "post", "Solve an auction before its deadline", request=wire.AuctionModel,
          description="The strategy runs until the auction's deadline less a margin. A strategy that finds nothing, "
                      "or is still running at the margin, yields 200 with solution null and the reason; a strategy "
                      "that crashes yields 500.",
          responses={200: ("A solution, or null and why", wire.SolveResponseModel),
                     400: ("A malformed auction; the field is named", None), **AUTH,
                     500: ("The strategy crashed", None)}),
    Route("/notify", "post", "The auctioneer's verdict on this node's answer, its drop reason and why",
          request=wire.NotifyModel,
          responses={200: ("Recorded", wire.NotifyAckModel), 400: ("A malformed verdict", None), **AUTH}),
    Route("/settle", "post", "Send settle() from the node's solver account", request=wire.SettleRequestModel,
          description="Only calldata byte-equal to a solution this node proposed for that auction to this "
                      "auctioneer is accepted; `to` must be the settlement the node was started with (403 "
                      "otherwise) and the gas limit is the node's own estimate on the latest state (a calldata that "
                      "reverts there is 409, nothing sent). Answers once the transaction is sent; the auctioneer "
                      "waits for the receipt.",
          responses={200: ("Sent", wire.SettleAnswerModel), 400: ("A malformed request", None),
                     401: AUTH[401], 403: ("Not signed by this node's auctioneer, or `to` is not its settlement", None),
                     409: ("Not what this node proposed", None), 502: ("The chain refused the transaction", None)}),
    Route("/notifications", "get", "The last verdicts this node was told, oldest first",
          responses={200: ("Verdicts", ListOf(wire.NotificationModel))}),
    Route("/health", "get", "Liveness, strategy name, solver account", responses={200: ("OK", wire.HealthModel)}),
    METRICS_ROUTE,
)


def document() -> dict[str, Any]:
    return openapi(TITLE, DESCRIPTION, ROUTES)


def main(argv: list[str]) -> int:
    return write_or_check(FILE, "auction.openapi", render(document()), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
