"""The auctioneer the tests' solver nodes trust: one fixed request key, and the headers it signs.

Nodes under test are started with `trusting(settlement)`; test code that plays the
auctioneer signs its POSTs with `signed_headers(url, body)` (`auction.auth`'s scheme).
"""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak

from auction.auth import Signer

AUCTIONEER = Signer(keccak(b"keel tests: the auctioneer"))
STRANGER = Signer(keccak(b"keel tests: not the auctioneer"))


def trusting(settlement: str) -> dict[str, Any]:
    """make_app keywords: trust AUCTIONEER, send only to `settlement`."""
    return {"auctioneer": AUCTIONEER.address, "settlement": settlement}


def signed_headers(url: str, body: bytes, signer: Signer = AUCTIONEER) -> dict[str, str]:
    """Content-Type and `signer`'s signature over POST `url` (the node's host:port and path) and `body`."""
    return {"Content-Type": "application/json", **signer.headers("POST", url, body)}
