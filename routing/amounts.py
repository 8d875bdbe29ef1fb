"""Human amounts and reference prices for the command line. Pure.

`parse_amounts(["WETH=500"], liq, "--sell")` gives base units exactly (decimal strings,
no float), refusing a bad form, an unknown token, or a non-positive amount, each naming
the flag. `mid_prices` values every token of a snapshot from an anchor price by walking
the pools: a token's price is the median of the mid prices of the pools that join it to
tokens already priced, so one odd pool cannot skew it. Prices are on any one scale; the
command line uses `keel.units.UsdPrice` (USD per base unit × 1e36).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from routing.errors import RoutingError
from routing.pools import Liquidity, Pool, V2Pool


def parse_amounts(items: Sequence[str], liq: Liquidity, flag: str, require_amount: bool) -> dict[str, int]:
    """`SYMBOL=AMOUNT` (whole tokens, decimals allowed) or, when not required, a bare `SYMBOL` (0)."""
    out: dict[str, int] = {}
    for item in items:
        symbol, sep, text = item.partition("=")
        if not sep and require_amount:
            raise RoutingError(f"{flag} {item!r}: write SYMBOL=AMOUNT, e.g. WETH=500", flag)
        token = liq.resolve(symbol.strip(), flag)
        amount = 0
        if sep:
            try:
                whole = Decimal(text.strip())
            except InvalidOperation:
                raise RoutingError(f"{flag} {item!r}: {text!r} is not a number", flag) from None
            if not whole.is_finite() or whole <= 0:
                raise RoutingError(f"{flag} {item!r}: the amount must be positive", flag)
            scaled = whole * (Decimal(10) ** liq.tokens[token].decimals)
            if scaled != scaled.to_integral_value():
                raise RoutingError(f"{flag} {item!r}: more decimals than {liq.tokens[token].symbol} has", flag)
            amount = int(scaled)
        if token in out:
            raise RoutingError(f"{flag}: {liq.tokens[token].symbol} is given twice", flag)
        out[token] = amount
    return out


def mid_prices(liq: Liquidity, known: Mapping[str, int]) -> dict[str, int]:
    """Prices (on `known`'s scale, per base unit) for every token reachable from `known`."""
    prices = dict(known)
    if not prices:
        return prices
    while True:
        found: dict[str, list[float]] = {}
        for p in liq.pools:
            for a, b in ((p.token0, p.token1), (p.token1, p.token0)):
                if a in prices and b not in prices:
                    found.setdefault(b, []).append(prices[a] * _mid(p, a))
        if not found:
            return prices
        for token, values in found.items():
            prices[token] = max(1, round(statistics.median(values)))


def _mid(pool: Pool, token_in: str) -> float:
    """price(other) / price(token_in) implied by the pool's mid price (fees ignored)."""
    if isinstance(pool, V2Pool):
        r_in, r_out = pool._reserves(token_in)
        ratio = r_out / r_in if r_in else float("inf")
    else:
        p = (pool.sqrt_price_x96 / 2**96) ** 2  # token1 per token0
        ratio = p if token_in == pool.token0 else 1 / p
    return 1 / ratio if ratio else 0.0
