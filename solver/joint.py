"""One joint program for a batch: every intent's volume inside its band, matching and routing at once.

A linear program in HiGHS (highspy, in-process), at the auction's reference prices (the
fixed-price relaxation; `solver.clearing` then adjusts prices and makes it integer). Values
are USD at reference prices divided by a scale S (the batch's total distance to target), so
every variable is O(1).

Variables and constraints (one `_define_*` function per family, deterministic names):
- per intent i and token j: `sell_i_j` in [0, value held], `buy_i_j` >= 0;
- the score's allowance `a_i` <= progress_i = D_i(before) - D_i(after) (D is the scoring
  distance, convex and piecewise linear in the flows at fixed prices: `e_i_j` epigraph
  variables) and `a_i` <= sum_j sell_i_j (the value given);
- per pool direction and curve segment s (`routing.curves`): gross input `u_s` in [0, width],
  output `y_s` under tangents of the segment's exact constant-product output
  (an outer approximation of a concave function, refined by cutting planes at the solution;
  `solver.joint_pools`);
- per token t, the settlement never pays out more than it takes in:
  sum y into t - sum u out of t - sum_i (buy_i_t - sell_i_t) >= 0.
Objective: maximise sum_i rate_i * a_i - sum_i,j (sell_i_j - buy_i_j), rate_i = (maxFeeBps +
band bps) / 1e4: exactly what `solver.scoring` rewards before gas (users' surplus at reference
prices minus what the pools keep).

Three modes.
- `ANY_PRICE` (keel's joint bound): plus each user's value conservation relaxed to hold at
  *some* clearing prices within its signed price bounds (`_define_value_at_any_price`). Every
  settleable solution of the batch (any uniform clearing prices inside the signed bounds, any
  route of any length, any split) maps into this program with an objective at least its
  score + gas - fees (tangents lie above the curves, segments may fill out of order, a pool
  may run both ways, `given` is relaxed to the gross sells, gas and the fee are left out, no
  outcome constraint is imposed, and each user may see its own prices where the chain imposes
  one vector), so the optimum, plus `BOUND_SLACK` for float error, bounds any solution's score.
- `FIXED_PRICE`: per-user value conservation at one given uniform price vector (default: the
  reference prices). The fixed-price relaxation: it bounds solutions clearing at exactly those
  prices, *not* solutions at other clearing prices (a sampled uniform price vector inside the
  bands can score a few dollars more; bench/auction.py prints both).
- `SETTLE`: what the strategy clears. Value received <= value given less the fee at the
  clearing prices `relative` to the reference (default: the reference), each token traded only
  toward the target (`_one_way`: the score's `given` is the value of the *net* sells, so a
  program that could buy and sell one token at once would plan an allowance no settlement
  earns), and each outcome inside the band the solver aims at (weights valued at the clearing
  prices, within `INNER_BAND` of the signed tolerance; balances: inside [min, max]), missing it
  only at a penalty far above any allowance (an intent nothing can bring into its band is
  reported in `missed`). Its per-intent flows are the volumes the strategy clears;
  `solver.clearing` then adjusts the prices so the pools can pay (the price-adjustment pass)
  and makes everything integer; the strategy re-solves at the prices the clearing found
  (`solver.strategies.reprice`).

Floats only inside; `volumes` converts to base units (sells rounded up, never past the
balance; buys rounded down). Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from intents.model import Intent, IntentKind
from keel.units import BPS, USD_PRICE_SCALE, bound_price
from routing.pools import Liquidity
from solver.joint_pools import (
    CUT_ROUNDS,
    MAX_INPUT,
    Model,
    Segment,
    add_cuts,
    define_pools,
    segments,
    set_time_limit,
    to_highs,
)
from solver.scoring import UNBOUNDED, band_bps
from solver.translate import INNER_BAND

SETTLE, FIXED_PRICE, ANY_PRICE, PRICED = "settle", "fixed-price", "any-price", "priced"
MODES = (SETTLE, FIXED_PRICE, ANY_PRICE, PRICED)
BOUND_SLACK = 1e-7  # float error of the LP (HiGHS' feasibility tolerance on O(1) columns), in units of S
MISS_PENALTY = 100.0  # per unit of S an outcome misses its band by (settle mode): far above any allowance rate
MISSED = 1e-9  # a miss column above this (units of S): the intent cannot reach its band
REACH = 2.0  # settle mode: a band centre counts at most twice the intent's holding (`_centre_usd`)


@dataclass(frozen=True)
class JointIntent:
    """What the program needs of one intent: values held at reference prices (USD), rate, band."""

    id: str
    intent: Intent
    held_usd: dict[str, float]  # token -> value held
    rate: float  # (maxFeeBps + band bps) / 1e4: the score's allowance per unit of progress
    fee: float  # the solver's fee, a share of the value given (settle mode)


@dataclass(frozen=True)
class JointResult:
    objective_usd: float  # the program's optimum, USD before gas
    bound_usd: float  # objective inflated by BOUND_SLACK (meaningful as a bound in `bound` mode)
    flows_usd: dict[str, dict[str, float]]  # intent id -> token -> signed value (buy > 0), reference prices
    pool_flows_usd: dict[str, tuple[str, str, float, float]]  # pool:token_in -> (in, out, value in, value out)
    rounds: int
    stats: dict[str, Any] = field(default_factory=dict)
    missed: tuple[str, ...] = ()  # settle mode: intents whose band nothing reaches (their flows mean nothing)
    multipliers: dict[str, float] = field(default_factory=dict)  # fixed-price mode: each user's value row's dual


def joint_intents(ids: list[str], intents: Mapping[str, Intent], balances: Mapping[str, Mapping[str, int]],
                  prices: Mapping[str, int], fee_bps: Callable[[str], int]) -> list[JointIntent]:
    out = []
    for i in ids:
        intent = intents[i]
        held = balances.get(intent.owner, {})
        out.append(JointIntent(i, intent, {t: max(0, held.get(t, 0)) * prices[t] / USD_PRICE_SCALE for t in intent.tokens},
                               (intent.max_fee_bps + band_bps(intent, dict(prices))) / BPS, fee_bps(i) / BPS))
    return out


def distance_usd(ji: JointIntent, prices: Mapping[str, int], reach: bool = False) -> float:
    """The scoring distance D before any trade, USD (`solver.scoring.distance_e18` in floats);
    with `reach`, each band centre capped at what the intent can hold (`_centre_usd`)."""
    intent = ji.intent
    if intent.kind == IntentKind.WEIGHTS:
        total = sum(ji.held_usd.values())
        return sum(max(0.0, ji.held_usd[t] - total * w / BPS) for t, w in zip(intent.tokens, intent.target_weight_bps,
                                                                                 strict=True))
    return sum(abs(ji.held_usd[t] - _centre_usd(ji, j, prices, reach)) for j, t in enumerate(intent.tokens)
               if intent.max_balance[j] < UNBOUNDED)


def _centre_usd(ji: JointIntent, j: int, prices: Mapping[str, int], reach: bool = False) -> float:
    """A balances band's centre, USD. With `reach` (settle mode) it is capped at REACH x the
    intent's whole holding: settle mode conserves each intent's value at fixed prices, so no
    token of it can end above its holding, and below the cap |after - centre| differs from
    |after - cap| by a constant — the same progress, while a finite but huge cap (1e30 wei) no
    longer makes the batch's scale S so large that the program loses everyone else's trades
    (a review's finding). The bound modes keep the true centre: a bound must not assume value
    conservation at prices it does not fix."""
    intent = ji.intent
    centre = (intent.min_balance[j] + intent.max_balance[j]) // 2 * prices[intent.tokens[j]] / USD_PRICE_SCALE
    return min(centre, REACH * sum(ji.held_usd.values())) if reach else centre


def _define_intents(m: Model, intents: list[JointIntent], prices: Mapping[str, int], scale: float,
                    mode: str, relative: Mapping[str, float], misses: dict[str, int],
                    multipliers: Mapping[str, float], value_rows: dict[str, int],
                    ) -> dict[str, dict[str, tuple[int, int]]]:
    """sell/buy columns, the allowance and the distance epigraph of every intent; in `settle`
    mode also its value conservation and its band. Returns intent -> token -> (sell, buy)."""
    cols: dict[str, dict[str, tuple[int, int]]] = {}
    for k, ji in enumerate(intents):
        intent = ji.intent
        per: dict[str, tuple[int, int]] = {}
        for j, t in enumerate(intent.tokens):
            sell = m.col(f"sell_{k}_{j}", 0.0, ji.held_usd[t] / scale, 1.0)  # cost: value given
            buy = m.col(f"buy_{k}_{j}", 0.0, math.inf, -1.0)
            per[t] = (sell, buy)
        if mode == SETTLE:
            _one_way(m, ji, per, prices)
        cols[ji.id] = per
        after = {t: ({per[t][1]: 1.0, per[t][0]: -1.0}, ji.held_usd[t] / scale) for t in intent.tokens}
        allowance = m.col(f"a_{k}", 0.0, math.inf, -ji.rate)  # minimised objective: - rate * a
        m.row(f"given_{k}", 0.0, math.inf, {**{per[t][0]: 1.0 for t in intent.tokens}, allowance: -1.0})
        epi = _define_distance(m, k, ji, after, prices, scale, mode == SETTLE)
        # a + D(after) <= D(before)
        m.row(f"progress_{k}", -math.inf, distance_usd(ji, prices, mode == SETTLE) / scale,
              {allowance: 1.0, **{e: 1.0 for e in epi}})
        if mode == SETTLE:
            value_rows[ji.id] = len(m.rows)  # its value row comes first
            misses[ji.id] = _define_settleable(m, k, ji, per, after, prices, scale, relative)
        elif mode == PRICED and ji.id in multipliers:
            price_value(m, per, relative, multipliers[ji.id])
        elif mode in (ANY_PRICE, PRICED):
            _define_value_at_any_price(m, k, ji, per, prices)
        else:
            value_rows[ji.id] = len(m.rows)
            _define_value_at(m, k, per, relative)
    return cols


def _one_way(m: Model, ji: JointIntent, per: dict[str, tuple[int, int]], prices: Mapping[str, int]) -> None:
    """Each token only toward the target (settle mode): a weights intent sells what it holds above
    its target weight and buys what it holds below; a balances intent moves each banded token
    toward its band's centre, and its unbanded tokens the other way when the banded ones agree.
    The score's `given` is the value of the *net* sells, where the program counts gross sells:
    buying and selling one token at once would claim an allowance no settlement earns."""
    intent = ji.intent
    toward: dict[str, int] = {}  # +1 buy only, -1 sell only, 0 neither
    if intent.kind == IntentKind.WEIGHTS:
        total = sum(ji.held_usd.values())
        for t, w in zip(intent.tokens, intent.target_weight_bps, strict=True):
            gap = total * w / BPS - ji.held_usd[t]
            toward[t] = 1 if gap > 0 else -1 if gap < 0 else 0
    else:
        for j, t in enumerate(intent.tokens):
            if intent.max_balance[j] < UNBOUNDED:
                gap = _centre_usd(ji, j, prices) - ji.held_usd[t]
                toward[t] = 1 if gap > 0 else -1 if gap < 0 else 0
        ways = {d for d in toward.values() if d}
        if len(ways) == 1:
            toward.update({t: -ways.pop() for t in intent.tokens if t not in toward})
    for t, d in toward.items():
        sell, buy = per[t]
        if d >= 0:
            m.upper[sell] = 0.0
        if d <= 0:
            m.upper[buy] = 0.0


def _define_value_at(m: Model, k: int, per: dict[str, tuple[int, int]], relative: Mapping[str, float]) -> None:
    """The contract's per-user value conservation at one uniform clearing price vector, given as
    each token's clearing price relative to its reference price (1 = the reference)."""
    row: dict[int, float] = {}
    for t, (sell, buy) in per.items():
        r = relative.get(t, 1.0)
        row[buy] = r
        row[sell] = -r
    m.row(f"value_{k}", -math.inf, 0.0, row)


def price_value(m: Model, per: dict[str, tuple[int, int]], relative: Mapping[str, float], multiplier: float) -> None:
    """The user's value conservation at `relative` prices moved into the objective with a
    multiplier >= 0 (Lagrangian relaxation): the program may break it, at that price per unit."""
    for t, (sell, buy) in per.items():
        r = relative.get(t, 1.0)
        m.cost[buy] += multiplier * r
        m.cost[sell] -= multiplier * r


def _define_value_at_any_price(m: Model, k: int, ji: JointIntent, per: dict[str, tuple[int, int]],
                               prices: Mapping[str, int]) -> None:
    """The contract's per-user value conservation, relaxed to hold at *some* clearing prices
    inside the signed bounds: with prices rescaled so the numeraire keeps its reference price,
    each token's clearing price lies within [lo_j, hi_j] times its reference price, so
    sum_j buy_j lo_j <= value received at P <= value given at P <= sum_j sell_j hi_j."""
    intent = ji.intent
    numeraire = prices[intent.tokens[0]]
    row: dict[int, float] = {}
    for j, t in enumerate(intent.tokens):
        lo = hi = 1.0
        if j:
            ref = bound_price(prices[t], numeraire)
            lo, hi = (intent.min_price[j] / ref, intent.max_price[j] / ref) if ref > 0 else (0.0, math.inf)
        sell, buy = per[t]
        row[buy] = min(lo, 1.0)
        row[sell] = -max(hi, 1.0) if math.isfinite(hi) else -1e6
    m.row(f"value_{k}", -math.inf, 0.0, row)


def _define_distance(m: Model, k: int, ji: JointIntent, after: dict[str, tuple[dict[int, float], float]],
                     prices: Mapping[str, int], scale: float, reach: bool = False) -> list[int]:
    """Epigraph columns e_k_j >= each term of D(after) (weights: value above target; balances:
    |value - centre|)."""
    intent = ji.intent
    epi = []
    if intent.kind == IntentKind.WEIGHTS:
        total_coefs: dict[int, float] = {}
        total_const = 0.0
        for coefs, const in after.values():
            for c, v in coefs.items():
                total_coefs[c] = total_coefs.get(c, 0.0) + v
            total_const += const
        for j, (t, w) in enumerate(zip(intent.tokens, intent.target_weight_bps, strict=True)):
            e = m.col(f"e_{k}_{j}")
            coefs, const = after[t]
            # e - v'_j + t_j V' >= 0, i.e. e - (coefs - t_j total) >= const - t_j total_const
            row = {c: -v for c, v in coefs.items()}
            for c, v in total_coefs.items():
                row[c] = row.get(c, 0.0) + w / BPS * v
            row[e] = 1.0
            m.row(f"dist_{k}_{j}", const - w / BPS * total_const, math.inf, row)
            epi.append(e)
        return epi
    for j, t in enumerate(intent.tokens):
        if intent.max_balance[j] >= UNBOUNDED:
            continue
        centre = _centre_usd(ji, j, prices, reach) / scale
        coefs, const = after[t]
        e = m.col(f"e_{k}_{j}")
        m.row(f"above_{k}_{j}", const - centre, math.inf, {e: 1.0, **{c: -v for c, v in coefs.items()}})
        m.row(f"below_{k}_{j}", centre - const, math.inf, {e: 1.0, **coefs})
        epi.append(e)
    return epi


def _define_settleable(m: Model, k: int, ji: JointIntent, per: dict[str, tuple[int, int]],
                       after: dict[str, tuple[dict[int, float], float]], prices: Mapping[str, int],
                       scale: float, relative: Mapping[str, float]) -> int:
    """Value received <= value given less the fee, at the clearing prices `relative` to the
    reference (default: the reference); the outcome inside the band the solver aims at (weights
    valued at those clearing prices, as the contract values them), or missing it by the returned
    column's value."""
    intent = ji.intent
    # how far the outcome is from the band (0 when it lands inside): priced far above any
    # allowance, so it is positive only for an intent nothing can bring into its band
    miss = m.col(f"miss_{k}", 0.0, math.inf, MISS_PENALTY)
    row = {}
    for t, (sell, buy) in per.items():
        price = relative.get(t, 1.0)
        row[buy] = price
        row[sell] = -(1.0 - ji.fee) * price
    m.row(f"value_{k}", -math.inf, 0.0, row)
    if intent.kind == IntentKind.WEIGHTS:
        margin = intent.tolerance_bps * INNER_BAND / BPS
        # values at the clearing prices: each token's reference value times its relative price
        at = {t: ({c: v * relative.get(t, 1.0) for c, v in coefs.items()}, const * relative.get(t, 1.0))
              for t, (coefs, const) in after.items()}
        total_coefs: dict[int, float] = {}
        total_const = sum(const for _, const in at.values())
        for coefs, _ in at.values():
            for c, v in coefs.items():
                total_coefs[c] = total_coefs.get(c, 0.0) + v
        for j, (t, w) in enumerate(zip(intent.tokens, intent.target_weight_bps, strict=True)):
            coefs, const = at[t]
            for sign, name in ((1.0, "hi"), (-1.0, "lo")):
                # sign * (v'_j - t_j V') <= margin V'
                shift = sign * w / BPS + margin
                r = {c: sign * v for c, v in coefs.items()}
                for c, v in total_coefs.items():
                    r[c] = r.get(c, 0.0) - shift * v
                r[miss] = -1.0
                m.row(f"band_{name}_{k}_{j}", -math.inf, shift * total_const - sign * const, r)
        return miss
    for j, t in enumerate(intent.tokens):
        coefs, const = after[t]
        lo = intent.min_balance[j] * prices[t] / USD_PRICE_SCALE / scale
        if intent.max_balance[j] < UNBOUNDED:
            hi = intent.max_balance[j] * prices[t] / USD_PRICE_SCALE / scale
            m.row(f"balance_hi_{k}_{j}", -math.inf, hi - const, {**coefs, miss: -1.0})
        m.row(f"balance_lo_{k}_{j}", lo - const, math.inf, {**coefs, miss: 1.0})
    return miss


def _define_balances(m: Model, intents: list[JointIntent], cols: dict[str, dict[str, tuple[int, int]]],
                     segs: list[Segment], pool_cols: list[tuple[int, int]]) -> None:
    """Per token: what the pools pay in, less what they take, less the users' net buys, >= 0."""
    rows: dict[str, dict[int, float]] = {}
    for s, (u, y) in zip(segs, pool_cols, strict=True):
        rows.setdefault(s.token_out, {})[y] = 1.0
        rows.setdefault(s.token_in, {})[u] = -1.0
    for ji in intents:
        for t, (sell, buy) in cols[ji.id].items():
            row = rows.setdefault(t, {})
            row[buy] = -1.0
            row[sell] = 1.0
    for t in sorted(rows):
        m.row(f"conserve_{t}", 0.0, math.inf, rows[t])


def solve(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], mode: str,
          relative: Mapping[str, float] | None = None, time_limit_s: float = math.inf,
          multipliers: Mapping[str, float] | None = None) -> JointResult:
    """Build, solve (with cutting-plane rounds) and extract. `mode`: `SETTLE`, `FIXED_PRICE`
    (per-user value conservation at `relative` clearing prices, default the reference),
    `ANY_PRICE`, or `PRICED` (the users in `multipliers` pay for breaking their value
    conservation at `relative` prices instead; see `priced_bound`). Raises `JointInfeasible` if
    HiGHS finds no optimum within `time_limit_s`."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    built = build_model(intents, liquidity, prices, mode, relative or {}, multipliers or {}, time_limit_s)
    values, objective, rounds = run_model(built)
    missed = tuple(i for i, c in built.misses.items() if values[c] > MISSED)
    # the penalty is no value
    objective += MISS_PENALTY * built.scale * sum(values[c] for c in built.misses.values())
    result = _extract(intents, built.cols, built.segs, built.pool_cols, values, built.scale, objective, rounds)
    duals = list(built.h.getSolution().row_dual) if built.value_rows else []
    return replace(result, missed=missed, multipliers={i: abs(duals[r]) for i, r in built.value_rows.items()})


@dataclass
class Built:
    h: Any
    model: Model
    scale: float
    cols: dict[str, dict[str, tuple[int, int]]]
    segs: list[Segment]
    pool_cols: list[tuple[int, int]]
    misses: dict[str, int]
    value_rows: dict[str, int]


def define_model(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], mode: str,
                 relative: Mapping[str, float], multipliers: Mapping[str, float]) -> Built:
    """The program as plain columns and rows (`Built.h` is None): build without solving."""
    scale = max(1.0, sum(distance_usd(ji, prices, mode == SETTLE) for ji in intents))
    m = Model()
    misses: dict[str, int] = {}
    value_rows: dict[str, int] = {}
    cols = _define_intents(m, intents, prices, scale, mode, relative, misses, multipliers, value_rows)
    segs = segments(liquidity, prices, scale, MAX_INPUT if mode == SETTLE else math.inf)
    pool_cols = define_pools(m, segs)
    _define_balances(m, intents, cols, segs, pool_cols)
    return Built(None, m, scale, cols, segs, pool_cols, misses, value_rows)


def build_model(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], mode: str,
                relative: Mapping[str, float], multipliers: Mapping[str, float], time_limit_s: float) -> Built:
    """`define_model`, handed to HiGHS with the time limit."""
    built = define_model(intents, liquidity, prices, mode, relative, multipliers)
    built.h = to_highs(built.model)
    set_time_limit(built.h, time_limit_s)
    return built


def run_model(built: Built) -> tuple[list[float], float, int]:
    """Solve, adding tangent cuts where the flows overshoot a curve; (values, objective USD, rounds)."""
    import highspy

    h = built.h
    rounds = 0
    objective = 0.0
    values: list[float] = []
    for rounds in range(1, CUT_ROUNDS + 2):
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise JointInfeasible(f"the joint program is {h.modelStatusToString(status)}")
        values = list(h.getSolution().col_value)
        # read before any cut is added: the cuts change the model and HiGHS forgets the solve
        objective = -float(h.getInfo().objective_function_value) * built.scale
        if rounds > CUT_ROUNDS or not add_cuts(h, built.segs, built.pool_cols, values):
            break
        h.setOptionValue("solver", "simplex")  # a few cuts more: simplex restarts from the crossover's basis
    return values, objective, rounds


class JointInfeasible(ValueError):
    """The joint program has no solution (in settle mode: an intent cannot reach its band)."""


def _extract(intents: list[JointIntent], cols: dict[str, dict[str, tuple[int, int]]], segs: list[Segment],
             pool_cols: list[tuple[int, int]], values: list[float], scale: float, objective: float,
             rounds: int) -> JointResult:
    flows = {ji.id: {t: (values[b] - values[s]) * scale for t, (s, b) in cols[ji.id].items()} for ji in intents}
    pools: dict[str, tuple[str, str, float, float]] = {}
    for s, (u, _) in zip(segs, pool_cols, strict=True):
        if values[u] <= 0:
            continue
        key = f"{s.pool}:{s.token_in}"
        _, _, vin, vout = pools.get(key, (s.token_in, s.token_out, 0.0, 0.0))
        pools[key] = (s.token_in, s.token_out, vin + values[u] * scale, vout + s.output(values[u]) * scale)
    return JointResult(objective, objective + BOUND_SLACK * scale, flows, pools, rounds,
                       {"segments": len(segs), "scale_usd": scale})

