"""Tightening keel's joint bound by branch and bound: over the price box, and over each washed token's direction.

`solver.joint_mixture` bounds every settlement whose uniform clearing prices lie in a box by one
mixture program. Two things leave that program above the best settlement, and each is removed
by splitting the set of settlements into parts that cover it, each part with its own, tighter
program; the largest bound over the parts (the *leaves*) bounds every settlement.

- **The box.** The mixture convexifies over the box's vertices; halving the box along its
  widest side gives two boxes that cover it (a settlement's prices lie in one of them).
- **Washes: the net-sells gap.** The score's `given` is the value of a user's *net* sells, but
  the program counts gross sells (`a <= sum_t sell_t`), so where it sells and buys one token of
  one user at once (summed over the mixture's copies: a *wash*) it raises `given` at no cost.
  At reference prices that gains nothing (value received <= value given keeps progress near the
  net given); at clearing prices away from the reference a user can receive more reference value
  than it gives, and the wash claims allowance on that excess that no settlement earns (on the
  10-user bench batch ~$10 of the bound's $12 gap). A settlement's flow of one token for one user
  is net: it either sells it or buys it, never both. So the leaf that washes user i's token t
  splits into "i only sells t" (its buy columns fixed at 0 in every copy) and "i only buys t"
  (its sell columns fixed at 0), which cover every settlement; every other constraint is
  unchanged, so each child is the same construction as the parent with columns fixed at 0.

`refine` expands the leaf with the largest bound: on its largest wash, else on its box (with many
washes, the box first while it is wide); until the time is up. A split is kept only once both children are solved. Pure: no web3,
aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from routing.pools import Liquidity
from solver.joint import FIXED_PRICE, JointIntent, define_model, run_model
from solver.joint_bands import add_balance_bands
from solver.joint_pools import to_highs

BOX_FIRST = 0.5  # a leaf with many washes whose box has a side wider than this share of the root's: box first
MANY_WASHES = 40  # paying washes past which a wide box is split first
WARM_LEAVES = 24  # the open leaves with the largest bounds keep their solved program (memory: one program each)
WASH = 1e-6  # units of S: a token both sold and bought above this is a wash worth a branch (below: float noise)

Box = dict[str, tuple[float, float]]
Ways = dict[tuple[str, str], int]  # (intent id, token) -> -1: only sells it, +1: only buys it


@dataclass(frozen=True)
class Leaf:
    bound_usd: float
    box: Box
    ways: Ways = field(default_factory=dict)
    washes: tuple[tuple[str, str, float], ...] = ()  # (intent id, token, USD of allowance past net sells)
    state: Any = field(default=None, compare=False, repr=False)  # the solved program, for its children's warm start


def fix_ways(cols: Mapping[str, Mapping[str, tuple[int, int]]], upper: list[float], ways: Ways) -> None:
    """Restrict a program (`cols`: intent -> token -> (sell, buy) column; `upper`: the column
    upper bounds, in place) to `ways`: the buy column of a token only sold, the sell column of a
    token only bought, fixed at 0."""
    for (i, t), way in ways.items():
        sell, buy = cols[i][t]
        upper[buy if way < 0 else sell] = 0.0


def net_fixed_price(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int],
                    relative: Mapping[str, float]) -> float:
    """A net-sells solution of the fixed-price program at `relative` clearing prices, USD: the
    program (with the balances bands the bound keeps, `joint_bands`) solved, then again with each
    user's tokens fixed to the directions of its optimum's net flows (a token it did not trade, to
    none). Every token then moves one way, so gross sells are net sells: no wash. A *lower*
    estimate of the best net-sells value at those prices, which keel's refined bound must lie
    above when the prices are in its box (tests and bench check it). Without the bands it is not
    one: an intent no settlement can bring into its band (a hedger short of the numeraire its
    band needs) would still earn allowance for moving part of the way, which no settlement earns
    — $35 on the 100-user bench batch, enough to put it above the bound."""

    def run(ways: Ways | None) -> tuple[float, dict[str, dict[str, float]]]:
        built = define_model(intents, liquidity, prices, FIXED_PRICE, dict(relative), {})
        add_balance_bands(built, intents, prices)
        if ways is not None:
            fix_ways(built.cols, built.model.upper, ways)
        built.h = to_highs(built.model)
        values, objective, _ = run_model(built)
        return objective, {i: {t: values[b] - values[s] for t, (s, b) in per.items()} for i, per in built.cols.items()}

    _, flows = run(None)
    return run({(i, t): -1 if q < 0 else 1 for i, per in flows.items() for t, q in per.items()})[0]


def washes(cols: Mapping[str, Mapping[str, tuple[int, int]]], allowances: Mapping[str, int], copies: int,
           col: Callable[[int, int], int], values: list[float], scale: float) -> tuple[tuple[str, str, float], ...]:
    """The washes that pay: each (intent, token) that `values` both sells and buys, summed over the
    copies (`col(v, j)`: copy v's column j), of an intent whose allowance (`allowances`: its
    column) exceeds its net sells by more than `WASH` — the others gain nothing from theirs.
    Each with that excess in USD, largest first; ties to the larger wash."""
    out = []
    for i, per in cols.items():
        sold = {t: sum(values[col(v, s)] for v in range(copies)) for t, (s, _) in per.items()}
        bought = {t: sum(values[col(v, b)] for v in range(copies)) for t, (_, b) in per.items()}
        net_given = sum(max(0.0, sold[t] - bought[t]) for t in per)
        excess = sum(values[col(v, allowances[i])] for v in range(copies)) - net_given
        if excess <= WASH:
            continue
        out += [(i, t, excess * scale, min(sold[t], bought[t])) for t in per if min(sold[t], bought[t]) > WASH]
    return tuple((i, t, e) for i, t, e, _ in sorted(out, key=lambda w: (-w[2], -w[3])))


def children(leaf: Leaf, root: Box | None = None) -> list[tuple[Box, Ways]]:
    """The two parts that cover `leaf`'s settlements: its largest wash's two directions, else its
    box's halves along the widest side (no split if the box is a point). With `root` (the box the
    branch and bound started from), a leaf with more than `MANY_WASHES` paying washes whose box
    has a side wider than `BOX_FIRST` of the root's is halved first: there one wash at a time
    takes little off and the box's splits more (100-user bench batch, 144 washes, one minute each:
    box splits $126, alternating box and wash $68); with few (10 users, 19) the washes are most of
    the gap and box splits first multiply them (60 s: $2 off against $11)."""
    if root is not None and len(leaf.washes) > MANY_WASHES and \
            any(hi - lo > BOX_FIRST * (root[t][1] - root[t][0]) for t, (lo, hi) in leaf.box.items()):
        return _halves(leaf)
    if leaf.washes:
        i, t, _ = leaf.washes[0]
        return [(leaf.box, {**leaf.ways, (i, t): -1}), (leaf.box, {**leaf.ways, (i, t): 1})]
    return _halves(leaf)


def split_box(box: Box) -> list[Box]:
    """The box's two halves along its widest side (none if it is a point): they cover it."""
    return [part for part, _ in _halves(Leaf(0.0, dict(box)))]


def _halves(leaf: Leaf) -> list[tuple[Box, Ways]]:
    box = leaf.box
    if not box:
        return []
    side = max(sorted(box), key=lambda t: box[t][1] - box[t][0])
    lo, hi = box[side]
    if hi <= lo:
        return []
    mid = (lo + hi) / 2
    return [({**box, side: (lo, mid)}, leaf.ways), ({**box, side: (mid, hi)}, leaf.ways)]


def refine(root: Leaf, solve: Callable[[Leaf, Box, Ways, float], Leaf], until: float) -> tuple[Leaf, int]:
    """Best-first branch and bound from `root` until `until` (perf_counter): `solve(parent, box,
    ways, seconds_left)` is the leaf's program (it may start from `parent.state`; raising
    `ValueError`, e.g. `JointInfeasible`, when it runs out of time). Returns the leaf with the
    largest bound (a bound of every settlement `root` covers) and the number of leaves."""
    leaves = [root]
    while time.perf_counter() < until:
        leaves.sort(key=lambda leaf: leaf.bound_usd)
        parent = leaves[-1]
        parts = children(parent, root.box)
        if not parts:
            break
        try:
            solved = [solve(parent, box, ways, until - time.perf_counter()) for box, ways in parts]
        except ValueError:
            break  # out of time mid-split: the leaves so far stand
        leaves[-1:] = solved
        leaves.sort(key=lambda leaf: leaf.bound_usd)
        leaves[:-WARM_LEAVES] = [replace(leaf, state=None) for leaf in leaves[:-WARM_LEAVES]]
    return max(leaves, key=lambda leaf: leaf.bound_usd), len(leaves)
