"""Choosing the batch's uniform clearing prices: a pattern search inside the prices every intent allows.

Pure. The joint program (`solver.joint`, settle mode) picks volumes at one given uniform price
vector; which vector is best is not linear in it (each user's value row is priced by it). This
searches around a start: relative prices (each token's clearing price over its reference, the
anchor token fixed at 1) moved one token at a time by a step, kept when the program's value
rises, the step halved when no move does, until the step is below `MIN_STEP` or the time or
evaluation budget runs out. A candidate is tried only if every intent's signed (and oracle-
guarded) bounds admit it (`allowed`), so no intent would be dropped for its price. The value
is the caller's (`value(relative) -> USD`, raising `ValueError` when the program has no
optimum); the search never returns a vector worse than its start. `room` is the range one token's relative price
may take alone inside every intent's bounds (the repricer's grid, `solver.strategies.reprice`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from intents.model import Intent
from keel.units import bound_price

FIRST_STEP = 0.004  # 40 bps: a fraction of the bench's ±150 bps band
MIN_STEP = 0.0005  # 5 bps: below it the program's value moves by less than the clearing loses
EDGE = 1e-6  # stay this far inside a signed bound: the contract compares exact integers


@dataclass(frozen=True)
class Searched:
    relative: dict[str, float]  # token -> clearing price over its reference
    value_usd: float
    start_value_usd: float
    evaluations: int


def allowed(intents: Mapping[str, Intent], prices: Mapping[str, int], relative: Mapping[str, float]) -> bool:
    """Every intent token's clearing price (`relative` x the reference, in the intent's numeraire)
    inside its signed bounds, `EDGE` in from either end."""
    for intent in intents.values():
        n = intent.tokens[0]
        for j, t in enumerate(intent.tokens[1:], start=1):
            ref = bound_price(prices[t], prices[n])
            if ref <= 0:
                return False
            at = relative.get(t, 1.0) / relative.get(n, 1.0)
            if not intent.min_price[j] / ref + EDGE <= at <= intent.max_price[j] / ref - EDGE:
                return False
    return True


def room(intents: Mapping[str, Intent], prices: Mapping[str, int], token: str) -> tuple[float, float]:
    """The lowest and highest relative price of `token` alone (every other token at its reference)
    that `allowed` admits: every intent's signed bounds on it, and as a numeraire on the others'."""
    lo, hi = 0.0, math.inf
    for intent in intents.values():
        n = intent.tokens[0]
        for j, t in enumerate(intent.tokens[1:], start=1):
            if token not in (t, n):
                continue
            ref = bound_price(prices[t], prices[n])
            if ref <= 0:
                return 1.0, 1.0
            low, high = intent.min_price[j] / ref + EDGE, intent.max_price[j] / ref - EDGE
            if token == t:
                lo, hi = max(lo, low), min(hi, high)
            elif low > 0:  # the numeraire at x: the token's ratio is 1/x
                lo, hi = max(lo, 1 / high if high > 0 else math.inf), min(hi, 1 / low)
    return (lo, hi) if 0 < lo <= 1.0 <= hi < math.inf else (1.0, 1.0)


def search(value: Callable[[dict[str, float]], float], start: Mapping[str, float], tokens: list[str],
           ok: Callable[[dict[str, float]], bool], deadline_s: float, max_evaluations: int = 40,
           first_step: float = FIRST_STEP, start_value: float | None = None) -> Searched:
    """Pattern search from `start` over `tokens` (the others stay where `start` has them);
    `ok` says whether a candidate is admissible; stops at `deadline_s` (time.time()).
    `start_value`, when the caller knows it, saves valuing the start."""
    best = dict(start)
    best_value = value(best) if start_value is None else start_value
    first = best_value
    evaluations = 1 if start_value is None else 0
    step = first_step
    while step >= MIN_STEP and evaluations < max_evaluations and time.time() < deadline_s:
        moved = False
        for t in tokens:
            for sign in (1.0, -1.0):
                candidate = {**best, t: best.get(t, 1.0) * (1 + sign * step)}
                if not ok(candidate) or evaluations >= max_evaluations or time.time() >= deadline_s:
                    continue
                try:
                    v = value(candidate)
                except ValueError:
                    continue
                finally:
                    evaluations += 1
                if v > best_value + 1e-9 * max(1.0, abs(best_value)):
                    best, best_value, moved = candidate, v, True
                    break
        if not moved:
            step /= 2
    return Searched(best, best_value if math.isfinite(best_value) else first, first, evaluations)
