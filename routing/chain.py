"""The router's chain adapter: a snapshot, oracle reference prices and the gas price, read live.

Addresses come from the running keel world (`World.addresses`) or, for a fork of a real
network, from mainnet's (`contracts.mainnet`). Oracle feeds are Chainlink-style (8
decimals, USD per whole token); tokens without a feed are priced from the pools, and a
chain with no feeds at all is anchored on its dollar stablecoins at $1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing.amounts import PRICE_SCALE, mid_prices
from routing.discovery import discover
from routing.errors import DiscoveryError
from routing.pools import Liquidity

FEED_DECIMALS = 8
STABLES = ("USDC", "DAI", "USDT")


def snapshot(w3: Any, addresses: Mapping[str, str]) -> Liquidity:
    tokens = [addresses[s] for s in ("WETH", "USDC", "DAI", "WBTC") if s in addresses]
    if not tokens:
        raise DiscoveryError("no token addresses known for this chain")
    return discover(w3, tokens, addresses.get("UniswapV2Factory"), addresses.get("UniswapV3Factory"),
                    native=addresses.get("WETH"))


def oracle_prices(w3: Any, addresses: Mapping[str, str], liq: Liquidity) -> dict[str, int]:
    """PRICE_SCALE-scaled USD per base unit: from each token's feed, the rest from pool mid prices."""
    from eth_utils import keccak

    selector = "0x" + keccak(text="latestAnswer()")[:4].hex()
    known: dict[str, int] = {}
    for address, info in liq.tokens.items():
        feed = addresses.get(f"feed:{info.symbol}")
        if not feed:
            continue
        try:
            raw = w3.eth.call({"to": feed, "data": selector})
        except Exception as exc:  # a feed that reverts is a chain problem, said in one line
            raise DiscoveryError(f"the {info.symbol} price feed at {feed} failed: {exc}") from None
        answer = int.from_bytes(bytes(raw), "big", signed=True)
        if answer <= 0:
            raise DiscoveryError(f"the {info.symbol} price feed at {feed} reports {answer}")
        known[address] = answer * PRICE_SCALE // 10 ** (FEED_DECIMALS + info.decimals)
    if not known:
        # no feeds on this chain (a bare fork): take the dollar stablecoins at $1 and walk the pools
        known = {a: PRICE_SCALE // 10**t.decimals for a, t in liq.tokens.items() if t.symbol in STABLES}
    return mid_prices(liq, known)
