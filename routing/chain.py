"""The router's chain adapter: a snapshot, oracle reference prices and the gas price, read live.

Addresses come from the chain's `Deployment` (the running keel world, or mainnet's for a
fork of a real network). Oracle feeds are Chainlink-style, read by `contracts.feeds`;
tokens without a feed are priced from the pools, and a chain with no feeds at all is
anchored on its dollar stablecoins at $1. Prices are `keel.units.UsdPrice`s.
"""

from __future__ import annotations

from typing import Any

from contracts.deployment import Deployment
from contracts.feeds import FeedUnreadable, read_round
from keel.units import USD_PRICE_SCALE
from routing.amounts import mid_prices
from routing.discovery import Progress, discover
from routing.errors import DiscoveryError
from routing.pools import Liquidity

STABLES = ("USDC", "DAI", "USDT")


def snapshot(w3: Any, deployment: Deployment, block: int | None = None, progress: Progress | None = None) -> Liquidity:
    """Every pair and pool among the deployment's tokens, from its factories, at `block` (default latest);
    `progress` as `routing.discovery.discover` takes it."""
    tokens = deployment.token_addresses()
    if not tokens:
        raise DiscoveryError("no token addresses known for this chain")
    u = deployment.uniswap
    return discover(w3, tokens, u.v2_factory, u.v3_factory, native=deployment.native_token.address, block=block,
                    progress=progress)


def oracle_prices(w3: Any, deployment: Deployment, liq: Liquidity) -> dict[str, int]:
    """USD per base unit × 1e36 (`UsdPrice`): from each token's feed, the rest from pool mid prices."""
    known: dict[str, int] = {}
    for address, info in liq.tokens.items():
        symbol = deployment.symbol_of(address)
        if symbol is None or symbol not in deployment.feeds:
            continue
        feed = deployment.feed(symbol).address
        try:
            round_ = read_round(w3, feed)
        except FeedUnreadable as exc:  # a feed that reverts is a chain problem, said in one line
            raise DiscoveryError(f"the {info.symbol} price feed at {feed} failed: {exc}") from None
        if not round_.alive:
            raise DiscoveryError(f"the {info.symbol} price feed at {feed} reports {round_.answer}")
        known[address] = round_.usd_price(info.decimals)
    if not known:
        # no feeds on this chain (a bare fork): take the dollar stablecoins at $1 and walk the pools
        known = {a: USD_PRICE_SCALE // 10**t.decimals for a, t in liq.tokens.items() if t.symbol in STABLES}
    return mid_prices(liq, known)
