"""What makes an intent acceptable, beyond its encoding: shape, world, clock.

`check_intent` is the single place both the CLI (before signing) and the orderbook
(before storing) ask. It raises the first problem as an `IntentError` naming the field
with the intent's JSON field names (`targetWeightBps`, `tokens[2]`, `validTo`).
Pure: the caller passes the world's tokens and the clock.
"""

from __future__ import annotations

from collections.abc import Mapping

from intents.errors import ExpiredError, IntentError
from intents.model import Intent, IntentKind
from keel.units import BPS


def check_shape(intent: Intent) -> None:
    """Lengths agree, no duplicate tokens, bounds ordered, the outcome's arrays as its kind needs."""
    n = len(intent.tokens)
    if n < 2:
        raise IntentError(f"tokens: an intent needs at least 2 tokens (numeraire first), got {n}", "tokens")
    seen: dict[str, int] = {}
    for j, token in enumerate(intent.tokens):
        if token in seen:
            raise IntentError(f"tokens[{j}]: {token} repeats tokens[{seen[token]}]", f"tokens[{j}]")
        seen[token] = j
    for name, values in (("minPrice", intent.min_price), ("maxPrice", intent.max_price)):
        if len(values) != n:
            raise IntentError(f"{name}: has {len(values)} entries, tokens has {n}", name)
    for j in range(1, n):
        if intent.max_price[j] == 0:
            raise IntentError(f"maxPrice[{j}]: must be > 0", f"maxPrice[{j}]")
        if intent.min_price[j] > intent.max_price[j]:
            raise IntentError(f"minPrice[{j}]: {intent.min_price[j]} is above maxPrice[{j}] {intent.max_price[j]}", f"minPrice[{j}]")
    if intent.max_fee_bps > BPS:
        raise IntentError(f"maxFeeBps: {intent.max_fee_bps} is above 10000 (100%)", "maxFeeBps")
    guard = intent.max_oracle_deviation_bps
    if guard is not None and guard > BPS:
        raise IntentError(f"maxOracleDeviationBps: {guard} is above 10000 (100%); use 1..10000 bps, or leave it out "
                          "for an unguarded intent", "maxOracleDeviationBps")
    if intent.kind is IntentKind.WEIGHTS:
        _check_weights(intent, n)
    else:
        _check_balances(intent, n)


def _check_weights(intent: Intent, n: int) -> None:
    if len(intent.target_weight_bps) != n:
        raise IntentError(f"targetWeightBps: has {len(intent.target_weight_bps)} entries, tokens has {n}", "targetWeightBps")
    total = sum(intent.target_weight_bps)
    if total != BPS:
        raise IntentError(
            f"targetWeightBps: weights sum to {total / 100:g}%, they must sum to 100% (10000 bps)", "targetWeightBps"
        )
    if intent.tolerance_bps > BPS:
        raise IntentError(f"toleranceBps: {intent.tolerance_bps} is above 10000 (100%)", "toleranceBps")
    if intent.min_balance or intent.max_balance:
        raise IntentError("minBalance: a weights intent carries no balance bounds (leave them empty)", "minBalance")


def _check_balances(intent: Intent, n: int) -> None:
    for name, values in (("minBalance", intent.min_balance), ("maxBalance", intent.max_balance)):
        if len(values) != n:
            raise IntentError(f"{name}: has {len(values)} entries, tokens has {n}", name)
    for j in range(n):
        if intent.min_balance[j] > intent.max_balance[j]:
            raise IntentError(
                f"minBalance[{j}]: {intent.min_balance[j]} is above maxBalance[{j}] {intent.max_balance[j]}", f"minBalance[{j}]"
            )
    if intent.target_weight_bps or intent.tolerance_bps:
        raise IntentError("targetWeightBps: a balances intent carries no weights (leave them empty, toleranceBps 0)", "targetWeightBps")


def check_tokens(intent: Intent, known: Mapping[str, str]) -> None:
    """Every token is one of the world's (`known`: checksummed address -> symbol)."""
    for j, token in enumerate(intent.tokens):
        if token not in known:
            names = ", ".join(sorted(known.values()))
            raise IntentError(f"tokens[{j}]: {token} is not a token of this world (known: {names})", f"tokens[{j}]")


def check_validity(intent: Intent, now_s: int) -> None:
    """`validTo` (inclusive) is not in the past."""
    if intent.valid_to < now_s:
        raise ExpiredError(f"validTo: the intent expired {now_s - intent.valid_to}s ago (validTo {intent.valid_to})", "validTo")


def check_intent(intent: Intent, known_tokens: Mapping[str, str] | None = None, now_s: int | None = None) -> None:
    """Shape, then world tokens, then the clock. Raises the first problem."""
    check_shape(intent)
    if known_tokens is not None:
        check_tokens(intent, known_tokens)
    if now_s is not None:
        check_validity(intent, now_s)

