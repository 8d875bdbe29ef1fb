"""keel's numbers: one type and one scale per kind of quantity, and how each rounds. Pure.

Every integer that means money has exactly one of these meanings:

| type        | meaning                                                        | scale                      |
|-------------|----------------------------------------------------------------|----------------------------|
| `Wei`       | an amount of the chain's native token (gas, tx value)          | 1 wei                      |
| `BaseUnits` | an amount of an ERC-20, in its smallest unit                   | 10**-decimals of a token   |
| `Bps`       | a share                                                        | `BPS` = 10_000 is 100 %    |
| `FeedAnswer`| a Chainlink-style oracle answer: USD per *whole* token         | `FEED_SCALE` = 10**8       |
| `UsdPrice`  | USD per *base unit*: reference prices, solver and router prices | `USD_PRICE_SCALE` = 10**36 |
| `UsdValue`  | an amount of USD: scores, fees, gas costs                      | `USD_VALUE_SCALE` = 10**18 |
| `BoundPrice`| an intent's signed min/max price: numeraire base units per     | `BOUND_PRICE_SCALE` = 10**18 |
|             | token base unit (what BatchSettlement checks on chain)         |                            |

Why these scales: 1e36 keeps a cent of an 18-decimal token's base unit (1e-20 USD) at
1e16, so integer prices lose nothing that matters, and `UsdPrice × BaseUnits / 1e18` is a
`UsdValue` with a single division. Clearing prices that reach the contract are `UsdPrice`s
(the contract only uses their ratios). A feed answer with 8 decimals for a token with
`d ≤ 28` decimals converts to a `UsdPrice` exactly.

How numbers round — the one place that says it:
- `usd_price_from_feed`: exact for `d ≤ 28`, else down.
- `usd_value`, `to_usd_value`: down by default (what a user is credited with is never
  overstated); pass `Rounding.UP` for what a user is charged.
- `bound_price`: down, as BatchSettlement computes `clearingPrice[j] * 1e18 / clearingPrice[0]`.
- `bound_price_exact`: an exact `Fraction`; callers round outward (min down, max up) so the
  oracle price itself always lies inside the signed bounds.
- `gas_cost`: up: gas is a cost, never understated.
- `feed_answer`: a float USD price to the nearest 1e-8 (world building and tests only).
Floats appear only for display (`usd_per_whole`) and inside optimisers.
"""

from __future__ import annotations

from enum import Enum
from fractions import Fraction
from typing import NewType

Wei = NewType("Wei", int)
BaseUnits = NewType("BaseUnits", int)
Bps = NewType("Bps", int)
FeedAnswer = NewType("FeedAnswer", int)
UsdPrice = NewType("UsdPrice", int)
UsdValue = NewType("UsdValue", int)
BoundPrice = NewType("BoundPrice", int)

BPS = 10_000
NATIVE_DECIMALS = 18  # the chain's native token (ETH) counts in wei: its UsdPrice is per wei
FEED_DECIMALS = 8
FEED_SCALE: int = 10**FEED_DECIMALS
USD_PRICE_SCALE: int = 10**36
USD_VALUE_SCALE: int = 10**18
BOUND_PRICE_SCALE: int = 10**18

# UsdPrice × BaseUnits is USD × 1e36; one division brings it to a UsdValue
_PRICE_TO_VALUE = USD_PRICE_SCALE // USD_VALUE_SCALE


class Rounding(Enum):
    DOWN = "down"
    UP = "up"


def mul_div(a: int, b: int, denominator: int, rounding: Rounding = Rounding.DOWN) -> int:
    """`a * b / denominator` on integers, rounded as asked (toward -inf for DOWN, +inf for UP)."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    product = a * b
    return product // denominator if rounding is Rounding.DOWN else -(-product // denominator)


def usd_price_from_feed(answer: int, decimals: int) -> UsdPrice:
    """A `UsdPrice` from a feed answer (USD per whole token × 1e8) for a token of `decimals`."""
    shift = 36 - FEED_DECIMALS - decimals
    return UsdPrice(answer * 10**shift if shift >= 0 else answer // 10**-shift)


def usd_value(amount: int, price: int, rounding: Rounding = Rounding.DOWN) -> UsdValue:
    """The `UsdValue` of `amount` base units at `price` (a `UsdPrice`)."""
    return UsdValue(mul_div(amount, price, _PRICE_TO_VALUE, rounding))


def to_usd_value(price_units: int, rounding: Rounding = Rounding.DOWN) -> UsdValue:
    """A sum of `amount × UsdPrice` terms (USD × 1e36) as one `UsdValue`, rounded once."""
    return UsdValue(mul_div(price_units, 1, _PRICE_TO_VALUE, rounding))


def gas_cost(gas_units: int, gas_price_wei: int, native_price: int) -> UsdValue:
    """What `gas_units` at `gas_price_wei` cost in USD, the native token at `native_price`.

    A missing or non-positive native price is an error, never a free settlement."""
    if native_price <= 0:
        raise ValueError(f"native token price must be positive to value gas, got {native_price}")
    return usd_value(gas_units * gas_price_wei, native_price, Rounding.UP)


def bound_price(price: int, numeraire_price: int) -> BoundPrice:
    """A token's price in the intent's bound unit, from two prices on one common scale, rounded
    down exactly as BatchSettlement does."""
    return BoundPrice(price * BOUND_PRICE_SCALE // numeraire_price)


def bound_price_exact(token_answer: int, token_decimals: int, numeraire_answer: int,
                      numeraire_decimals: int) -> Fraction:
    """Numeraire base units per token base unit × 1e18 from two feed answers, exact."""
    return Fraction(token_answer * 10**numeraire_decimals * BOUND_PRICE_SCALE,
                    numeraire_answer * 10**token_decimals)


def feed_answer(usd_per_whole_token: float) -> FeedAnswer:
    """A feed answer for a USD price, to the nearest 1e-8 USD."""
    return FeedAnswer(round(usd_per_whole_token * FEED_SCALE))


def usd_per_whole(answer: int) -> float:
    """A feed answer as dollars per whole token, for display and the float models."""
    return answer / FEED_SCALE


def whole_tokens(amount: int, decimals: int) -> float:
    """Base units as a float number of whole tokens, for display and the float models."""
    scale: int = 10**decimals
    return amount / scale
