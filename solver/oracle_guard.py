"""What an oracle-guarded intent lets the clearing do: its signed price bounds narrowed to the
feed ± its `maxOracleDeviationBps`. Pure.

The settlement refuses a guarded execution whose clearing price, in the intent's numeraire,
is further than the signed deviation from the feeds' (`OracleDeviation`), and one refused
execution sinks the whole batch. So the solver clears a guarded intent inside the
intersection of its signed `[minPrice, maxPrice]` and `reference ± deviation`, where the
reference is the auction's (the feeds at the snapshot's block), in the bounds' own unit
(numeraire base units per token base unit × 1e18). Rounded inward (min up, max down) and one
unit further in, so that a price the clearing accepts passes the contract's exact
cross-multiplication; an empty intersection makes the clearing drop the intent with its
out-of-bounds reason. Unguarded intents are returned as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from intents.model import Intent
from keel.units import BOUND_PRICE_SCALE, BPS


def clearing_bounds(intent: Intent, reference: Mapping[str, int]) -> Intent:
    """`intent` with its price bounds narrowed to the feed ± its guard (unguarded: unchanged)."""
    guard = intent.max_oracle_deviation_bps
    if guard is None or any(t not in reference for t in intent.tokens):
        return intent
    p0 = reference[intent.tokens[0]]
    lo, hi = [intent.min_price[0]], [intent.max_price[0]]
    for j, token in enumerate(intent.tokens[1:], start=1):
        feed = Fraction(reference[token] * BOUND_PRICE_SCALE, p0)
        lo.append(max(intent.min_price[j], math.ceil(feed * (BPS - guard) / BPS) + 1))
        hi.append(min(intent.max_price[j], max(math.floor(feed * (BPS + guard) / BPS) - 1, 0)))
    return intent.with_(min_price=tuple(lo), max_price=tuple(hi))
