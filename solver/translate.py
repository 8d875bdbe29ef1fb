"""Translate an intent, its owner's balances and prices into the trades it needs (a `Want`).

Pure. A `Want` is a set of exact legs plus a balancing side: the exact legs are amounts
the outcome fixes (sell this much of an over-weight token, buy exactly the hedge), and
the balancing tokens absorb the value difference at the clearing prices, net of the
solver's fee. `flows(prices, fee_bps)` turns a want into the signed per-token flows an
`Execution` carries; sells round up and buys round down, so value conservation always
holds on-chain (received ≤ given − fee).

Weights: each token whose value share lies outside an inner band (half the signed
tolerance, to leave room for the clearing prices and the fee) is traded to that band's
nearest edge; value left over goes to the tokens with room, in proportion to their room —
the least traded value that lands every weight inside the band.
Balances (hedges): each token outside [min, max] is bought or sold exactly to the
nearest edge; the numeraire balances the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intents.model import Intent, IntentKind
from keel.units import BPS

INNER_BAND = 0.5  # share of the signed tolerance the solver aims inside


class Infeasible(ValueError):
    """The intent cannot be met from its owner's balances at these prices."""


@dataclass(frozen=True)
class Want:
    intent_id: str
    owner: str
    exact: dict[str, int]  # token -> signed base units (< 0 sell, > 0 buy)
    balancing: dict[str, int] = field(default_factory=dict)  # token -> share in bps, sums to 10_000

    @property
    def is_empty(self) -> bool:
        return not any(self.exact.values())

    def tokens(self) -> set[str]:
        return {t for t, q in self.exact.items() if q} | set(self.balancing)

    def flows(self, prices: dict[str, int], fee_bps: int) -> dict[str, int]:
        """Signed flows per token at `prices`, the fee taken from the value the user gives."""
        if self.is_empty:
            return {}
        given = sum(-q * prices[t] for t, q in self.exact.items() if q < 0)
        received = sum(q * prices[t] for t, q in self.exact.items() if q > 0)
        flows = {t: q for t, q in self.exact.items() if q}
        keep = BPS - fee_bps
        if received * BPS > given * keep:
            # the exact buys need more value than the exact sells give: balancing tokens are sold
            total_given = -(-received * BPS // keep)  # ceil
            extra = total_given - given
            for token, share in self.balancing.items():
                value = -(-extra * share // BPS)
                flows[token] = flows.get(token, 0) - (-(-value // prices[token]))
        else:
            spare = given * keep // BPS - received
            for token, share in self.balancing.items():
                flows[token] = flows.get(token, 0) + spare * share // BPS // prices[token]
        return {t: q for t, q in flows.items() if q}


def translate(intent_id: str, intent: Intent, balances: dict[str, int], prices: dict[str, int]) -> Want:
    """The trades `intent` needs, given its owner's `balances` and `prices` (`keel.units.UsdPrice`s)."""
    held = [balances.get(t, 0) for t in intent.tokens]
    if intent.kind == IntentKind.WEIGHTS:
        exact, balancing = _weights(intent, held, [prices[t] for t in intent.tokens])
    else:
        exact, balancing = _balances(intent, held)
    want = Want(intent_id, intent.owner, exact, balancing)
    return want


def _weights(intent: Intent, held: list[int], prices: list[int]) -> tuple[dict[str, int], dict[str, int]]:
    values = [b * p for b, p in zip(held, prices, strict=True)]
    total = sum(values)
    if total == 0:
        raise Infeasible("the owner holds none of the intent's tokens")
    margin = intent.tolerance_bps * INNER_BAND
    lo = [max(w - margin, 0) * total / BPS for w in intent.target_weight_bps]
    hi = [(w + margin) * total / BPS for w in intent.target_weight_bps]
    after = [min(max(v, lo_j), hi_j) for v, lo_j, hi_j in zip(values, lo, hi, strict=True)]
    surplus = total - sum(after)  # > 0: value still to place; < 0: value still to free
    if surplus > 0:
        room = [h - a for a, h in zip(after, hi, strict=True)]
        scale = surplus / sum(room)
        after = [a + r * scale for a, r in zip(after, room, strict=True)]
    elif surplus < 0:
        room = [a - lo_j for a, lo_j in zip(after, lo, strict=True)]
        scale = -surplus / sum(room)
        after = [a - r * scale for a, r in zip(after, room, strict=True)]
    exact: dict[str, int] = {}
    buy_value: dict[str, float] = {}
    for token, v, a, p in zip(intent.tokens, values, after, prices, strict=True):
        if a < v:
            exact[token] = -min(int((v - a) / p) + 1, v // p)  # sell: round up, never past the balance
        elif a > v:
            buy_value[token] = a - v
    if not exact:
        return {}, {}
    total_buy = sum(buy_value.values())
    if total_buy <= 0:
        return {}, {}
    balancing = _shares(buy_value, total_buy)
    return exact, balancing


def _shares(values: dict[str, float], total: float) -> dict[str, int]:
    shares = {t: int(v / total * BPS) for t, v in values.items()}
    first = max(values, key=lambda t: values[t])
    shares[first] += BPS - sum(shares.values())
    return {t: s for t, s in shares.items() if s > 0}


def _balances(intent: Intent, held: list[int]) -> tuple[dict[str, int], dict[str, int]]:
    exact: dict[str, int] = {}
    for token, b, lo, hi in zip(intent.tokens[1:], held[1:], intent.min_balance[1:], intent.max_balance[1:], strict=True):
        if b < lo:
            exact[token] = lo - b
        elif b > hi:
            exact[token] = hi - b
    if not exact:
        return {}, {}
    return exact, {intent.tokens[0]: BPS}


def check_feasible(want: Want, flows: dict[str, int], balances: dict[str, int], intent: Intent) -> None:
    """Raise Infeasible if the owner cannot give what `flows` takes or ends outside its balance bounds."""
    for token, q in flows.items():
        if q < 0 and balances.get(token, 0) < -q:
            raise Infeasible(f"owner holds {balances.get(token, 0)} of {token}, needs {-q}")
    if intent.kind == IntentKind.BALANCES:
        for token, lo, hi in zip(intent.tokens, intent.min_balance, intent.max_balance, strict=True):
            after = balances.get(token, 0) + flows.get(token, 0)
            if not lo <= after <= hi:
                raise Infeasible(f"{token} would end at {after}, outside [{lo}, {hi}]")


def weights_after(intent: Intent, balances: dict[str, int], flows: dict[str, int], prices: dict[str, int]) -> list[float]:
    """Post-trade weights in bps at `prices` (what the contract checks)."""
    values = [(balances.get(t, 0) + flows.get(t, 0)) * prices[t] for t in intent.tokens]
    total = sum(values)
    return [v * BPS / total for v in values] if total else [0.0] * len(values)


def outcome_met(intent: Intent, balances: dict[str, int], flows: dict[str, int], prices: dict[str, int]) -> bool:
    """The contract's outcome check, in Python: integer arithmetic exactly as on-chain."""
    after = [balances.get(t, 0) + flows.get(t, 0) for t in intent.tokens]
    if intent.kind == IntentKind.BALANCES:
        return all(lo <= a <= hi for a, lo, hi in zip(after, intent.min_balance, intent.max_balance, strict=True))
    values = [a * prices[t] for a, t in zip(after, intent.tokens, strict=True)]
    total = sum(values)
    return all(
        abs(v * BPS - w * total) <= intent.tolerance_bps * total
        for v, w in zip(values, intent.target_weight_bps, strict=True)
    )
