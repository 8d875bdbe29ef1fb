"""The one reader of Chainlink-style oracle feeds: `latestRoundData()`, USD per whole token × 1e8.

`LATEST_ROUND_DATA` is the calldata and `decode_round` reads its 160-byte answer, so batch
readers (the auction snapshot) send many calls at once and decode here; `read_round` is
one eth_call at a block. A `FeedRound` converts to keel's units (`keel.units`): its
`usd_price(decimals)` is a `UsdPrice`. Whether an answer is usable — positive, and younger
than the feed's heartbeat — is the caller's call (the breakers decide staleness); this
module only reads. An RPC failure is a `FeedUnreadable` naming the feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import keccak

from keel.errors import ChainError
from keel.units import FeedAnswer, UsdPrice, usd_per_whole, usd_price_from_feed

LATEST_ROUND_DATA = "0x" + keccak(text="latestRoundData()")[:4].hex()
ROUND_DATA_TYPES = ("uint80", "int256", "uint256", "uint256", "uint80")


class FeedUnreadable(ChainError):
    """A feed that could not be called (no contract there, a revert, a dead RPC)."""


@dataclass(frozen=True)
class FeedRound:
    answer: FeedAnswer  # USD per whole token × 1e8; ≤ 0 means the feed has no price
    updated_at_s: int

    @property
    def alive(self) -> bool:
        return self.answer > 0

    def usd_price(self, decimals: int) -> UsdPrice:
        return usd_price_from_feed(self.answer, decimals)

    @property
    def usd(self) -> float:
        """Dollars per whole token (display and the float models only)."""
        return usd_per_whole(self.answer)


def decode_round(raw: bytes) -> FeedRound:
    _, answer, _, updated_at, _ = decode(list(ROUND_DATA_TYPES), raw)
    return FeedRound(FeedAnswer(int(answer)), int(updated_at))


def read_round(w3: Any, feed: str, block: int | str = "latest") -> FeedRound:
    """The feed's latest round at `block`."""
    tag = hex(block) if isinstance(block, int) else block
    try:
        raw = w3.eth.call({"to": feed, "data": LATEST_ROUND_DATA}, tag)
        return decode_round(bytes(raw))
    except Exception as exc:  # web3 raises many types for a dead RPC, a revert or an empty account
        raise FeedUnreadable(f"the price feed at {feed} could not be read ({type(exc).__name__}: {exc})") from None
