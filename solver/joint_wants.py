"""From the joint program's volumes (USD at reference prices) to `Want`s the clearing can settle.

Pure. A weights intent's sells become exact legs (rounded up to whole base units, never past
the balance), its buys exact legs (rounded down) but for the largest, the balancing token; a balances
(hedge) intent's non-numeraire flows become exact legs (buys rounded down, sells rounded up,
never past the balance) and the numeraire balances the value — the same shape
`solver.translate` gives, so the clearing treats both alike. Flows under `DUST_USD` are no
trade.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from intents.model import Intent, IntentKind
from keel.units import BPS, USD_PRICE_SCALE
from solver.translate import Want

DUST_USD = 0.01


def joint_want(intent_id: str, intent: Intent, flows_usd: Mapping[str, float], held: Mapping[str, int],
               prices: Mapping[str, int], relative: Mapping[str, float] | None = None) -> Want:
    """The want whose flows are the joint program's for this intent when it clears at `relative`
    x the reference prices (default: the reference). A weights intent's buys are exact legs but
    for the largest at those clearing prices, which takes what the sells pay less the others:
    shares of the value received in whole bps would miss the planned split by up to 1 bp each
    (~$20 of a $200k portfolio's progress; $7 of score on the 100-user bench batch), where exact
    legs land it to the base unit, and the largest buy still moves with the clearing's prices."""
    units = {t: q * USD_PRICE_SCALE / prices[t] for t, q in flows_usd.items() if abs(q) >= DUST_USD}
    if intent.kind == IntentKind.WEIGHTS:
        sells = {t: -min(math.ceil(-q), held.get(t, 0)) for t, q in units.items() if q < 0}
        buys = {t: flows_usd[t] * (relative or {}).get(t, 1.0) for t, q in units.items() if q > 0}
        sells = {t: q for t, q in sells.items() if q}
        if not sells or not buys:
            return Want(intent_id, intent.owner, {}, {})
        largest = max(sorted(buys), key=lambda t: buys[t])
        legs = {t: math.floor(units[t]) for t in buys if t != largest}
        return Want(intent_id, intent.owner, {**sells, **{t: q for t, q in legs.items() if q > 0}}, {largest: BPS})
    numeraire = intent.tokens[0]
    exact = {}
    for t, q in units.items():
        if t == numeraire:
            continue
        exact[t] = math.floor(q) if q > 0 else -min(math.ceil(-q), held.get(t, 0))
    exact = {t: q for t, q in exact.items() if q}
    if not exact:
        return Want(intent_id, intent.owner, {}, {})
    return Want(intent_id, intent.owner, exact, {numeraire: BPS})


def loosened(want: Want, intent: Intent, prices: Mapping[str, int], fee_bps: int) -> Want:
    """A weights want with every buy a balancing token, shared by the value each receives at
    `prices` (whole bps): the clearing's price-adjustment pass can shrink what a balancing leg is
    owed by raising its token's price, but never an exact leg's, so a batch whose clearing does not
    converge with exact buys (a routed token short of what its exact legs are owed; one intent
    alone is all routed) clears in this form. Other wants are returned as they are."""
    buys = {t: q for t, q in want.exact.items() if q > 0}
    if intent.kind != IntentKind.WEIGHTS or not buys:
        return want
    sells = {t: q for t, q in want.exact.items() if q < 0}
    keep = sum(-q * prices[t] for t, q in sells.items()) * (BPS - fee_bps) // BPS
    values = {t: float(q * prices[t]) for t, q in buys.items()}
    rest = keep - sum(q * prices[t] for t, q in buys.items())
    for t, share in want.balancing.items():
        values[t] = values.get(t, 0.0) + max(0, rest) * share / BPS
    values = {t: v for t, v in values.items() if v > 0}
    return Want(want.intent_id, want.owner, sells, _shares(values)) if values else want


def _shares(values: Mapping[str, float]) -> dict[str, int]:
    total = sum(values.values())
    shares = {t: int(v / total * BPS) for t, v in values.items()}
    first = max(sorted(values), key=lambda t: values[t])
    shares[first] += BPS - sum(shares.values())
    return {t: s for t, s in shares.items() if s > 0}
