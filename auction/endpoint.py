"""A registered solver node as the auctioneer knows it: where to ask, which account settles. Pure.

The registry (`auction.registry`) stores these; the auctioneer asks each one per round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    url: str  # base URL of the node (no trailing slash)
    address: str  # checksummed account the node settles from (allow-listed on chain)
    registered_at: float  # unix seconds

    def public(self) -> dict[str, Any]:
        return {"url": self.url, "address": self.address, "registeredAt": self.registered_at}
