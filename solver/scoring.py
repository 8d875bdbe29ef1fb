"""Score: the users' surplus over what they signed up to lose, at reference prices, less gas.

For each settled intent, the auction already fixes (a) the least trade that delivers its
outcome, valued at reference prices (`translate` at reference prices, no fee), and (b) the
most the user agreed to give up on it: `maxFeeBps` plus the half-width of its signed price
band. Their product is the intent's *allowance*. A solution scores, per settled intent,
allowance minus its actual cost to the user (value given minus value received, at
reference prices), summed, minus the gas cost of the settlement. So settling more intents
scores more, a cheaper execution scores more, and over-trading only adds cost — the same
shape as CoW Protocol's surplus score, for outcomes instead of limit orders.
Gas is valued through the auction's native-token price (`Auction.native_price`), never a
token looked up by symbol; the auction cannot exist without it, so gas is never free.
All values are `keel.units.UsdValue`s (USD × 1e18); integer arithmetic, rounded as
`keel.units` says.
"""

from __future__ import annotations

from intents.model import Intent
from keel.units import BPS, UsdValue, bound_price, gas_cost, to_usd_value, usd_value
from solver.domain import Auction, Solution
from solver.translate import Infeasible, translate


def band_bps(intent: Intent, prices: dict[str, int]) -> int:
    """Mean half-width of the intent's signed price bounds, in bps of the reference price."""
    numeraire = prices[intent.tokens[0]]
    widths = []
    for token, lo, hi in zip(intent.tokens[1:], intent.min_price[1:], intent.max_price[1:], strict=True):
        ref = bound_price(prices[token], numeraire)
        if ref <= 0:
            continue
        widths.append(min((hi - lo) * BPS // (2 * ref), BPS))
    return sum(widths) // len(widths) if widths else 0


def allowance_e18(auction: Auction, intent_id: str) -> UsdValue:
    """The most this intent's owner agreed to lose on its least trade, USD × 1e18."""
    bi = auction.intent(intent_id)
    prices = auction.reference_prices()
    try:
        want = translate(bi.id, bi.intent, auction.balances.get(bi.intent.owner, {}), prices)
    except Infeasible:
        return UsdValue(0)
    flows = want.flows(prices, 0)
    given = sum(usd_value(-q, prices[t]) for t, q in flows.items() if q < 0)
    return UsdValue(given * (bi.intent.max_fee_bps + band_bps(bi.intent, prices)) // BPS)


def cost_e18(flows: dict[str, int], prices: dict[str, int]) -> UsdValue:
    """Value given minus value received at `prices` (≥ 0 for a fee-paying execution), rounded down."""
    return to_usd_value(-sum(q * prices[t] for t, q in flows.items()))


def gas_cost_e18(auction: Auction, gas: int) -> UsdValue:
    """What `gas` units cost at the auction's gas price, the native token at its own price."""
    return gas_cost(gas, auction.gas_price_wei, auction.native_price)


def score(auction: Auction, solution: Solution, gas: int) -> int:
    """The auctioneer's score of `solution` if it costs `gas`; never trusts the solver's own number."""
    prices = auction.reference_prices()
    total = 0
    for execution in solution.executions:
        total += allowance_e18(auction, execution.intent_id) - cost_e18(execution.flows, prices)
    return total - gas_cost_e18(auction, gas)
