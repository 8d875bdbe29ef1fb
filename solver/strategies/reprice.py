"""Choosing a batch's volumes again at better uniform prices, and keeping the best-scoring clearing.

The settle program (`solver.joint`, settle mode) picks volumes at one given uniform price vector;
at those prices its value rows are inequalities, so it may let any user carry the pools' cost,
where the clearing (`solver.clearing`) makes the buyers of a routed token pay it through that
token's price. Volumes chosen at prices P are therefore cleared at other prices P' (the
price-adjustment pass moves a routed token's price by its pool cost, ~0.5% for WBTC on the
100-user bench batch), and the program's value at P overstates what clearing there realises. A
price vector the clearing leaves where it is — a *fixed point*: solve at P, clear from P, the
clearing stays at P — realises the program's value up to integer rounding and the pools' exact
curves. So every candidate here is followed to its fixed point (`FIXED_POINT_STEPS` at most):

1. the prices the first clearing found;
2. `SEEDS` points of a coarse grid over the prices every intent allows (each token at its
   reference or half-way to either edge of what the intents allow it alone, one token moved
   before two), best first by the program's value (`Repricer.value`, which leaves out the intents
   the program misses): the fixed points reached from different starts differ by tens of dollars
   on the 100-user bench batch (the best from the grid point with WBTC and DAI up);
3. a bounded pattern search (`solver.price_search`) from the best clearing's prices, inside every
   intent's signed bounds, each candidate start followed to its fixed point and valued by the
   score it reaches — the program's value at a start is a poor guide, since the clearing moves
   off it — moving only the tokens the clearing left where they started (a routed token's price
   goes back to carrying its pool cost from any start near it). On the 100-user bench batch it
   found the best clearing $6 above the grid's (WETH +0.6% with DAI +0.75%).

Each clearing is scored by `solver.scoring` (the auctioneer's definition) and kept only if it
scores more. Each step runs only if, after it, `RESERVE` times the first round's time is still
left before the deadline, its own cost taken as the longest attempt (settle program and
clearing) or valuation measured so far — not as multiples of the first round, which on a loaded
machine (~1 s at 100 users) left a 10 s round no room for a search whose steps take 0.2 s. A
program that runs out of time ends the search with the best so far.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

from intents.model import Intent
from solver import joint, price_search
from solver.breakers import healthy_pools
from solver.clearing import Cleared
from solver.domain import Auction
from solver.translate import Want

JOINT_SHARE = 0.45  # of the time left before the deadline, the most one settle program may take
# every step runs only if, after it, this many times the first round's time is still left: the
# answer must be built and sent, and on a loaded machine everything takes longer
RESERVE = 2.0
SEARCH_SHARE = 0.5  # of the time left, the most the price search may take
SEARCH_EVALUATIONS = 16  # starts the price search may follow to their fixed points
SEARCH_STEP = 0.003  # the price search's first move (relative), 30 bps of a ±150 bps band
SEED_SHARE = 0.4  # of the time left, the most valuing the grid may take
SEEDS = 2  # grid points followed to their fixed points
GRID_TOKENS = 4  # past this many priced tokens (besides the anchor) the grid is only the axes
FIXED_POINT_STEPS = 3  # solve at the clearing's prices, clear again, at most this many times per start
FIXED_POINT_TOLERANCE = 2e-5  # a clearing whose prices moved less than this (relative) is at its fixed point

Settle = Callable[[dict[str, Want], dict[str, float], float], dict[str, Want]]
Clear = Callable[[dict[str, Want], dict[str, int]], tuple[Cleared, list[str]]]
Score = Callable[[Cleared], int]


class Repricer:
    """The best clearing so far, and the steps that try to beat it (`reprice`)."""

    def __init__(self, auction: Auction, least: dict[str, Want], fee: Callable[[str], int],
                 intents: dict[str, Intent], settle: Settle, clear: Clear, score: Score,
                 first: tuple[Cleared, list[str]], round_s: float) -> None:
        self.auction, self.least, self.fee, self.intents = auction, least, fee, intents
        self.settle, self.clear, self.score = settle, clear, score
        self.prices = auction.reference_prices()
        self.best, self.best_trimmed = first
        self.best_score = score(self.best)
        self.round_s = round_s
        # the longest attempt (a settle program and a clearing) and valuation (a settle program)
        # measured so far: a step runs only with room for it (`room`)
        self._attempt_s: float | None = None
        self._value_s: float | None = None
        self.won = ""
        self.best_start = self.relative(self.best)  # the start whose fixed-point path found `best`
        self._program: tuple[list[joint.JointIntent], Any] | None = None
        self._missed: set[str] = set()

    def left_s(self) -> float:
        return self.auction.deadline_ms / 1000 - time.time()

    @property
    def attempt_s(self) -> float:
        """What one attempt takes; the first round's time until one is measured (it did both and routed)."""
        return self.round_s if self._attempt_s is None else self._attempt_s

    @property
    def value_s(self) -> float:
        """What one valuation takes; the first round's time until one is measured."""
        return self.round_s if self._value_s is None else self._value_s

    def room(self, cost_s: float) -> bool:
        """Whether a step taking `cost_s` leaves `RESERVE` times the first round's time before the deadline."""
        return self.left_s() > RESERVE * self.round_s + cost_s

    def attempt(self, relative: dict[str, float], step: str) -> tuple[Cleared, int]:
        """Solve the settle program at `relative` prices, clear from there, keep it if it scores
        more. Returns the clearing and its score."""
        started = time.time()
        wants = self.settle(self.least, relative, JOINT_SHARE * self.left_s())
        start = {t: max(1, round(p * relative.get(t, 1.0))) for t, p in self.prices.items()}
        cleared, trimmed = self.clear(wants, start)
        score = self.score(cleared)
        self._attempt_s = max(self._attempt_s or 0.0, time.time() - started)
        if score > self.best_score:
            self.best, self.best_trimmed, self.best_score, self.won = cleared, trimmed, score, step
        return cleared, score

    def to_fixed_point(self, relative: dict[str, float], step: str) -> int:
        """`attempt` from `relative`, then again from the prices each clearing found, until they
        stay (`FIXED_POINT_TOLERANCE`), `FIXED_POINT_STEPS` are spent or the time is short.
        Returns the best score on the way (score × 1e18 USD)."""
        start, reached = relative, -(2**255)
        for _ in range(FIXED_POINT_STEPS):
            if not self.room(self.attempt_s):
                break
            before = self.best_score
            cleared, score = self.attempt(relative, step)
            reached = max(reached, score)
            if self.best_score > before:
                self.best_start = start
            found = self.relative(cleared)
            if all(abs(found.get(t, 1.0) / relative.get(t, 1.0) - 1) <= FIXED_POINT_TOLERANCE for t in found):
                break
            relative = found
        return reached

    def relative(self, cleared: Cleared) -> dict[str, float]:
        return {t: p / self.prices[t] for t, p in cleared.prices.items() if t in self.prices}

    def value(self, relative: dict[str, float]) -> float:
        """The settle program's value at `relative` prices (USD), the guide of the search and the
        grid, over `least`'s intents less those it misses (found on the first call: a missed
        intent's relaxed trades would skew it); `ValueError` when it has no optimum in time."""
        if self._program is None:
            usable, _ = healthy_pools(self.auction.liquidity, self.prices, 0)
            self._program = (joint.joint_intents(list(self.least), self.intents, self.auction.balances, self.prices,
                                                 self.fee), usable)
        jis, usable = self._program
        started = time.time()
        try:
            result = joint.solve([ji for ji in jis if ji.id not in self._missed], usable, self.prices, joint.SETTLE,
                                 relative, time_limit_s=JOINT_SHARE * self.left_s())
        except joint.JointInfeasible as exc:
            raise ValueError(str(exc)) from exc
        self._value_s = max(self._value_s or 0.0, time.time() - started)
        if result.missed and not self._missed:
            self._missed.update(result.missed)
            return self.value(relative)
        return result.objective_usd


def reprice(r: Repricer) -> tuple[Cleared, list[str], str]:
    """Run the steps (module docstring) that the time allows. Returns the best clearing (the
    first one included), its trimmed intents, and which step won ("" if none)."""
    try:
        r.to_fixed_point(r.relative(r.best), "clearing prices")
        # the grid is valued only as long as following its best seeds still fits after it
        valued_by = min(time.time() + SEED_SHARE * r.left_s(),
                        r.auction.deadline_ms / 1000 - RESERVE * r.round_s - SEEDS * FIXED_POINT_STEPS * r.attempt_s)
        for seed in seeds(r, valued_by):
            r.to_fixed_point(seed, "box point")
        if r.room(FIXED_POINT_STEPS * r.attempt_s):
            _search(r)
    except joint.JointInfeasible:
        pass  # out of time: keep the best so far
    return r.best, r.best_trimmed, r.won


def anchor_and_tokens(intents: dict[str, Intent]) -> tuple[str, list[str]]:
    """The most common numeraire (its price stays at the reference) and the other tokens, sorted."""
    numeraires = [it.tokens[0] for it in intents.values()]
    anchor = max(sorted(set(numeraires)), key=numeraires.count)
    return anchor, sorted({t for it in intents.values() for t in it.tokens} - {anchor})


def _search(r: Repricer) -> None:
    """`price_search.search` from the best clearing's prices (the anchor's scaled back to its
    reference), each candidate start followed to its fixed point and valued by the best score on
    the way; only the tokens the clearing left where their start put them move."""
    deadline_s = time.time() + SEARCH_SHARE * r.left_s()
    anchor, tokens = anchor_and_tokens(r.intents)
    at = r.relative(r.best)
    start = {t: x / at.get(anchor, 1.0) for t, x in at.items()}
    # a token the clearing moved (a routed token's price carries its pool cost) goes back to
    # where the clearing puts it from any start near it: only the others are worth moving
    free = [t for t in tokens if abs(at.get(t, 1.0) / r.best_start.get(t, 1.0) - 1) <= FIXED_POINT_TOLERANCE]
    tokens = free or tokens

    def score_usd(relative: dict[str, float]) -> float:
        if time.time() >= deadline_s or not r.room(FIXED_POINT_STEPS * r.attempt_s):
            raise ValueError("out of time")
        return r.to_fixed_point(relative, "price search") / 1e18

    price_search.search(score_usd, start, tokens, _ok(r), deadline_s, SEARCH_EVALUATIONS, first_step=SEARCH_STEP,
                        start_value=r.best_score / 1e18)


def seeds(r: Repricer, deadline_s: float) -> list[dict[str, float]]:
    """The `SEEDS` best points of the grid (module docstring) by the settle program's value, as many
    valued as fit before `deadline_s`; the reference itself left out (the first clearing started there)."""
    _, tokens = anchor_and_tokens(r.intents)
    ok = _ok(r)
    valued: list[tuple[float, int, dict[str, float]]] = []
    for n, point in enumerate(grid(tokens, {t: price_search.room(r.intents, r.prices, t) for t in tokens})):
        if time.time() + r.value_s > deadline_s:
            break
        if not ok(point):
            continue
        try:
            valued.append((r.value(point), n, point))
        except ValueError:
            continue
    valued.sort(key=lambda v: (-v[0], v[1]))
    return [point for _, _, point in valued[:SEEDS]]


def grid(tokens: list[str], room: dict[str, tuple[float, float]]) -> Iterator[dict[str, float]]:
    """Each token at 1 or half-way to either edge of its `room` (lowest, highest relative price the
    intents allow it alone); every combination when there are at most `GRID_TOKENS` tokens, else
    one token moved at a time. The all-reference point is left out."""
    levels = {t: sorted({1.0, (1.0 + lo) / 2, (1.0 + hi) / 2}) for t, (lo, hi) in room.items()}
    if len(tokens) <= GRID_TOKENS:
        # fewest tokens moved first: a grid cut short by the time has tried every direction once
        points = sorted(itertools.product(*(levels[t] for t in tokens)), key=lambda p: sum(x != 1.0 for x in p))
        for point in points:
            if any(x != 1.0 for x in point):
                yield dict(zip(tokens, point, strict=True))
        return
    for t in tokens:
        for x in levels[t]:
            if x != 1.0:
                yield {t: x}


def _ok(r: Repricer) -> Callable[[dict[str, float]], bool]:
    return lambda relative: price_search.allowed(r.intents, r.prices, relative)


def _until(value: Callable[[dict[str, float]], float], deadline_s: float) -> Callable[[dict[str, float]], float]:
    def bounded(relative: dict[str, float]) -> float:
        if time.time() >= deadline_s:
            raise ValueError("out of time")
        return value(relative)

    return bounded
