"""keel's joint bound at one uniform price vector, tight over the multipliers: the mixture program.

`solver.joint_bound.priced_bound` moves each user's value conservation into the objective
with a multiplier lambda_i fixed at a dual of the reference-price program; any lambda >= 0
gives a bound, so the best one is min over lambda of max over the price box's vertices v of
L(lambda, v). By LP duality that min-max is one linear program, written here in its primal
form: one copy x_v of `solver.joint`'s program per vertex, scaled by a weight mu_v >= 0 with
sum_v mu_v = 1 (the perspective: every constant of copy v's rows and column bounds is
multiplied by mu_v, every tangent of a pool curve becomes y <= f(p) mu_v + f'(p) (u - p mu_v)),
and each user i of the common-numeraire group G keeps one value row across the copies,
    sum_v sum_t rho_{v,t} (buy_{v,i,t} - sell_{v,i,t}) <= 0,
whose duals are the optimal lambda. Users with a token the box does not price (no G user holds
it) keep the any-price relaxation in every copy (homogeneous: unchanged by the scaling).

Why it bounds every settleable solution (docs/scoring.md): a solution clearing at uniform
prices rho inside the box writes rho = sum_v mu_v v (a convex combination of vertices) and
maps to the copies z_v = mu_v x. Every copy's rows hold (they are the program's rows times
mu_v), the objective is sum_v mu_v f(x) = f(x), and each G user's value row becomes
sum_v mu_v (v . q_i) = rho . q_i <= 0, its value conservation at rho. So the optimum, plus
`joint.BOUND_SLACK`, is at least the solution's score. That is the case where every price
(the numeraire fixed) lies in the box; a solution whose prices leave it at the tokens O
(`mixture_case(out=O)`) trades none of O for a G user (their bounds forbid it), and the users
touching O keep the any-price relaxation; the bound is the largest case (`mixture_bound`). It is
never above `priced_bound`'s (its dual is the min over lambda that `priced_bound` evaluates at
one lambda) up to the cutting planes each adds. Refining it (`refine_s`: branch and bound over
the box's halves and over each paying wash's two directions, `solver.joint_branch`) keeps it a
bound: the parts cover the settlements. With `lagrange_s`, the prices-inside case's value is
also bounded by the wash-free Lagrangian decomposition of its program (`solver.joint_lagrange`);
the smaller bound stands. A balances intent settles only inside its band
(`solver.joint_bands`). Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from routing.pools import Liquidity
from solver.joint import (
    ANY_PRICE,
    BOUND_SLACK,
    PRICED,
    Built,
    JointInfeasible,
    JointIntent,
    define_model,
    run_model,
)
from solver.joint_bands import add_balance_bands
from solver.joint_bound import common_group, price_box, vertices_of
from solver.joint_branch import Box, Leaf, Ways, fix_ways, refine, split_box, washes
from solver.joint_lagrange import LagrangeBound, lagrange_bound
from solver.joint_pools import CUT_ROUNDS, CUT_TOLERANCE, Segment, set_time_limit, to_highs

# the whole box's column generation converges in ~30 s on the 100-user bench batch, ~3x that under
# load: cut short it was $13 looser, while the halves help only on small batches ($0.26 on 10 users)
WHOLE_SHARE = 2 / 3
MU_FLOOR = 1e-12  # a copy weighted less than this carries no flow worth a cut


@dataclass(frozen=True)
class MixtureBound:
    bound_usd: float  # the optimum plus BOUND_SLACK, USD: bounds every settleable solution's score
    objective_usd: float
    vertices: tuple[dict[str, float], ...]  # each vertex: token -> clearing price over its reference
    weights: tuple[float, ...]  # mu_v at the optimum
    multipliers: dict[str, float]  # lambda_i: each G user's value row's dual (USD per USD of value)
    rounds: int
    time_s: float
    out: frozenset[str] = frozenset()  # the case: tokens whose clearing price leaves the box
    boxes: int = 1  # leaves of the prices-inside case's branch and bound (`_refine`: boxes and washes)
    washes: tuple[tuple[str, str, float], ...] = ()  # (intent id, token, USD) sold and bought at once (`joint_branch`)
    state: Any = field(default=None, compare=False, repr=False)  # with `keep`: (HiGHS, stacked, mixed) for warm starts
    lagrange: LagrangeBound | None = None  # with `lagrange_s`: the prices-inside case's wash-free Lagrangian bound
    halves: tuple[float, ...] = ()  # with `halves`: each half box's bound (its program's or its decomposition's, the smaller)

    def centre(self) -> dict[str, float]:
        """sum_v mu_v v: the price vector the optimal mixture averages to (a hint, not a solution)."""
        out: dict[str, float] = {}
        for mu, vertex in zip(self.weights, self.vertices, strict=True):
            for t, r in vertex.items():
                out[t] = out.get(t, 0.0) + mu * r
        return out


def mixture_bound(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int],
                  time_limit_s: float = math.inf, refine_s: float = 0.0, lagrange_s: float = 0.0,
                  halves: bool = False) -> MixtureBound:
    """keel's joint bound: the largest of the cases' mixture programs (the module docstring says
    why it bounds), the case with every price inside the box first. That case's value is the
    smallest of its valid bounds: the program's; with `lagrange_s`, the wash-free Lagrangian bound
    (`solver.joint_lagrange`, its column generation given about that long; with `halves`, also the
    larger of the two halves' of the box, each its own program and decomposition); with `refine_s`, the
    branch and bound over the box and the washes given about that long (`_refine`). Raises
    `JointInfeasible` if HiGHS finds no optimum within `time_limit_s` (shared by the cases)."""
    started = time.perf_counter()
    group = common_group(intents)
    box = price_box([ji for ji in intents if ji.id in group], prices)
    best = mixture_case(intents, liquidity, prices, group, box, frozenset(), time_limit_s,
                        keep=refine_s > 0 or lagrange_s > 0)
    if lagrange_s > 0:
        best = _decompose(intents, liquidity, prices, group, box, best, started + min(lagrange_s, time_limit_s),
                          halves, keep=refine_s > 0)
    if refine_s > 0:
        best = _refine(intents, liquidity, prices, group, box, best, started + min(refine_s, time_limit_s))
    for out in _subsets(sorted(box))[1:]:
        left = time_limit_s - (time.perf_counter() - started)
        if left <= 0:
            raise JointInfeasible("the mixture program ran out of time")
        if _any_price_case(intents, liquidity, prices, group, out, left) <= best.bound_usd:
            continue  # a looser bound of this case is already under the best: the case cannot win
        case = mixture_case(intents, liquidity, prices, group, box, out, left)
        if case.bound_usd > best.bound_usd:
            best = case
    return replace(best, time_s=time.perf_counter() - started)


def _decompose(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], group: list[str],
               box: Mapping[str, tuple[float, float]], whole: MixtureBound, until: float, halves: bool,
               keep: bool) -> MixtureBound:
    """The prices-inside case bounded also by its wash-free Lagrangian decomposition until `until`
    (perf_counter); with `halves`, up to `WHOLE_SHARE` of the time on the whole box (its column
    generation stops sooner once it converges) and what is left shared by the two halves of its
    widest side (the halves cover the box, so the larger half's bound bounds the case too). The
    smallest of the valid bounds stands; `keep` keeps `whole`'s solved program for `_refine`."""
    parts = split_box(dict(box)) if halves else []
    started = time.perf_counter()
    lagrange = _lagrangian(whole, started + (until - started) * (WHOLE_SHARE if parts else 1.0))
    bound = min(whole.bound_usd, lagrange.bound_usd)
    values: list[float] = []
    for n, part in enumerate(parts):
        share = time.perf_counter() + (until - time.perf_counter()) / (len(parts) - n)
        try:
            case = mixture_case(intents, liquidity, prices, group, part, frozenset(),
                                max(0.01, share - time.perf_counter()), keep=True)
        except JointInfeasible:
            values = []
            break  # no bound for this half: the halves do not count
        values.append(min(case.bound_usd, _lagrangian(case, share).bound_usd))
    if values:
        bound = min(bound, max(values))
    tighter = bound - whole.bound_usd
    return replace(whole, bound_usd=bound, objective_usd=whole.objective_usd + tighter, lagrange=lagrange,
                   halves=tuple(values), state=whole.state if keep else None)


def _lagrangian(case: MixtureBound, until: float) -> LagrangeBound:
    h, stacked, _ = case.state
    try:
        return lagrange_bound(h, stacked, until)
    except ValueError:  # a program it cannot split (a column of no user and no pool): the program's bound
        return LagrangeBound(case.bound_usd, case.bound_usd, math.nan, math.nan, 0, 0)


def _refine(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], group: list[str],
            box: Mapping[str, tuple[float, float]], whole: MixtureBound, until: float) -> MixtureBound:
    """Branch and bound for the prices-inside case (`solver.joint_branch`: each leaf's settlements
    are covered by its children — a wash's two directions, or the box's halves — so the largest
    leaf bounds them all), until `until` (perf_counter); never looser than `whole`. A child starts
    from its parent's solved program where it has one (`_warm`), else is built afresh."""

    def solve(parent: Leaf, part: Box, ways: Ways, left: float) -> Leaf:
        if parent.state is not None:
            try:
                return _warm(parent, part, ways, left)
            except JointInfeasible:
                pass  # the warm start stalled: build this one afresh
        case = mixture_case(intents, liquidity, prices, group, part, frozenset(), left, ways, keep=True)
        return Leaf(case.bound_usd, part, ways, case.washes, case.state)

    root = Leaf(whole.bound_usd, dict(box), {}, whole.washes, whole.state)
    best, leaves = refine(root, solve, until)
    whole = replace(whole, state=None)
    if best.bound_usd >= whole.bound_usd:
        return whole  # both bound: where the leaves' own cutting planes leave them a hair above, keep the whole
    return replace(whole, bound_usd=best.bound_usd, objective_usd=best.bound_usd - (whole.bound_usd - whole.objective_usd),
                   boxes=leaves, washes=best.washes)


def _warm(parent: Leaf, part: Box, ways: Ways, left: float) -> Leaf:
    """The child (`part`, `ways`) of a solved leaf from a copy of its program and optimal basis:
    the same rows and columns (its tangents too: they hold everywhere), with the value rows'
    coefficients at the child's vertices and the newly fixed directions' columns at 0 in every
    copy; simplex from the parent's basis (a few hundred pivots where a fresh build costs seconds)."""
    import highspy
    import numpy as np

    h, stacked, mixed = parent.state
    child = highspy.Highs()  # type: ignore[no-untyped-call]
    child.setOptionValue("output_flag", False)
    child.passModel(h.getModel())
    child.setBasis(h.getBasis())
    child.setOptionValue("solver", "simplex")
    set_time_limit(child, left)
    vertices = vertices_of(part)
    if len(vertices) != stacked.copies:
        raise JointInfeasible("the box lost a side: build afresh")
    if part != parent.box:
        for i in mixed:
            row = stacked.value_rows[i]
            for v, vertex in enumerate(vertices):
                for t, (sell, buy) in stacked.base.cols[i].items():
                    r = vertex.get(t, 1.0)
                    child.changeCoeff(row, stacked.col(v, buy), r)
                    child.changeCoeff(row, stacked.col(v, sell), -r)
    fixed = [stacked.col(v, stacked.base.cols[i][t][1 if way < 0 else 0])
             for (i, t), way in ways.items() if (i, t) not in parent.ways for v in range(stacked.copies)]
    if fixed:
        child.changeColsBounds(len(fixed), np.array(fixed, dtype=np.int32), np.zeros(len(fixed)), np.zeros(len(fixed)))
    values, objective, _ = _run(child, stacked)
    scale = stacked.base.scale
    return Leaf((objective + BOUND_SLACK) * scale, part, ways,
                washes(stacked.base.cols, _allowances(stacked.base), stacked.copies, stacked.col, values, scale),
                (child, stacked, mixed))


def _subsets(tokens: list[str]) -> list[frozenset[str]]:
    """Every subset of `tokens`, the empty one first, then by size."""
    out: list[frozenset[str]] = [frozenset()]
    for t in tokens:
        out += [s | {t} for s in out]
    return sorted(out, key=len)


def _without_out(base: Built, intents: list[JointIntent], group: list[str], out: frozenset[str]) -> None:
    """No G user trades a token whose price left the box: its bounds, relative to the common
    numeraire, lie inside the box (in place)."""
    members = set(group)
    for ji in intents:
        if ji.id in members:
            for t in out & set(ji.intent.tokens):
                sell, buy = base.cols[ji.id][t]
                base.model.upper[sell] = base.model.upper[buy] = 0.0


def _any_price_case(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], group: list[str],
                    out: frozenset[str], time_limit_s: float) -> float:
    """A looser bound of the case `out`, from one copy: every user's value at any prices inside
    its own signed bounds (`joint.ANY_PRICE`), the G users kept off the tokens in `out`."""
    base = define_model(intents, liquidity, prices, ANY_PRICE, {}, {})
    add_balance_bands(base, intents, prices)
    _without_out(base, intents, group, out)
    base.h = to_highs(base.model)
    set_time_limit(base.h, time_limit_s)
    _, objective, _ = run_model(base)
    return objective + BOUND_SLACK * base.scale


def mixture_case(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int], group: list[str],
                 box: Mapping[str, tuple[float, float]], out: frozenset[str],
                 time_limit_s: float = math.inf, ways: Ways | None = None, keep: bool = False) -> MixtureBound:
    """The mixture program for the solutions whose clearing prices (numeraire fixed) leave the
    box at exactly the tokens in `out`: no G user trades those (its price bounds forbid it),
    users with a token in `out` or outside the box keep the any-price relaxation, every other
    user shares the value rows over the vertices of the box without `out`. `ways` restricts it
    to the settlements in which each (intent, token) listed only sells (-1) or only buys (+1) it
    (`solver.joint_branch`). With `keep`, the result holds the solved program (`state`) for
    `_refine`'s warm starts."""
    started = time.perf_counter()
    inside = {t: b for t, b in box.items() if t not in out}
    vertices = vertices_of(inside)
    members = set(group)
    # the common numeraire (price 1 at every vertex) and the tokens whose price stays in the box
    priced = set(inside) | {ji.intent.tokens[0] for ji in intents if ji.id in members}
    mixed = [ji.id for ji in intents if ji.id in members or set(ji.intent.tokens) <= priced]
    base = define_model(intents, liquidity, prices, PRICED, {}, dict.fromkeys(mixed, 0.0))
    add_balance_bands(base, intents, prices)
    _without_out(base, intents, group, out)
    fix_ways(base.cols, base.model.upper, ways or {})
    stacked = _Stacked(base, len(vertices))
    h = stacked.to_highs(vertices, mixed)
    set_time_limit(h, time_limit_s)
    values, objective, rounds = _run(h, stacked)
    duals = list(h.getSolution().row_dual)
    multipliers = {i: abs(duals[r]) for i, r in stacked.value_rows.items()}
    weights = tuple(values[stacked.mu(v)] for v in range(len(vertices)))
    return MixtureBound((objective + BOUND_SLACK) * base.scale, objective * base.scale, tuple(vertices), weights,
                        multipliers, rounds, time.perf_counter() - started, out,
                        washes=washes(base.cols, _allowances(base), stacked.copies, stacked.col, values, base.scale),
                        state=(h, stacked, mixed) if keep else None)


def _allowances(base: Built) -> dict[str, int]:
    """Each intent's allowance column (`a_k`, k its place in the program)."""
    index = {name: j for j, name in enumerate(base.model.names) if name.startswith("a_")}
    return {i: index[f"a_{k}"] for k, i in enumerate(base.cols)}


class _Stacked:
    """One copy of `base`'s columns per vertex, then one weight column mu_v per vertex."""

    def __init__(self, base: Built, copies: int) -> None:
        self.base = base
        self.copies = copies
        self.n = len(base.model.names)
        self.value_rows: dict[str, int] = {}
        self.rows = 0

    def col(self, v: int, j: int) -> int:
        return v * self.n + j

    def mu(self, v: int) -> int:
        return self.copies * self.n + v

    def to_highs(self, vertices: list[dict[str, float]], group: list[str]) -> Any:
        import highspy
        import numpy as np

        m = self.base.model
        if any(lo != 0.0 for lo in m.lower):
            raise ValueError("the perspective needs every column of the program to start at 0")
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "ipm")
        total = self.copies * self.n + self.copies
        h.addVars(total, np.zeros(total), np.full(total, highspy.kHighsInf))
        cost = np.concatenate([np.tile(np.array(m.cost), self.copies), np.zeros(self.copies)])
        h.changeColsCost(total, np.arange(total, dtype=np.int32), cost)
        rows = _Rows()
        for v in range(self.copies):
            self._copy_rows(rows, v)
        rows.add({self.mu(v): 1.0 for v in range(self.copies)}, 1.0, 1.0)
        for ji_id in sorted(group):
            self.value_rows[ji_id] = len(rows.lower)
            rows.add(self._value_row(ji_id, vertices), -math.inf, 0.0)
        rows.send(h)
        self.rows = len(rows.lower)
        return h

    def _copy_rows(self, rows: _Rows, v: int) -> None:
        """The program's rows and column bounds with every constant times mu_v."""
        m = self.base.model
        mu = self.mu(v)
        off = v * self.n
        for _, lo, hi, coefs in m.rows:
            shifted = {off + c: x for c, x in coefs.items()}
            if math.isfinite(hi):
                rows.add({**shifted, mu: -hi}, -math.inf, 0.0)
            if math.isfinite(lo):
                rows.add({**shifted, mu: -lo}, 0.0, math.inf)
        for j, up in enumerate(m.upper):
            if math.isfinite(up):
                rows.add({off + j: 1.0, mu: -up}, -math.inf, 0.0)

    def _value_row(self, ji_id: str, vertices: list[dict[str, float]]) -> dict[int, float]:
        row: dict[int, float] = {}
        for v, vertex in enumerate(vertices):
            for t, (sell, buy) in self.base.cols[ji_id].items():
                r = vertex.get(t, 1.0)
                row[self.col(v, buy)] = r
                row[self.col(v, sell)] = -r
        return row


class _Rows:
    """Rows gathered as CSR arrays for one `addRows` call."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.starts: list[int] = []
        self.index: list[int] = []
        self.value: list[float] = []

    def add(self, coefs: dict[int, float], lower: float, upper: float) -> None:
        self.starts.append(len(self.index))
        self.index += list(coefs)
        self.value += list(coefs.values())
        self.lower.append(lower)
        self.upper.append(upper)

    def send(self, h: Any) -> None:
        import highspy
        import numpy as np

        inf = highspy.kHighsInf
        h.addRows(len(self.lower), np.maximum(np.array(self.lower), -inf), np.minimum(np.array(self.upper), inf),
                  len(self.index), np.array(self.starts, dtype=np.int32), np.array(self.index, dtype=np.int32),
                  np.array(self.value))


def _run(h: Any, stacked: _Stacked) -> tuple[list[float], float, int]:
    """Solve, adding perspective tangents where a copy's flows overshoot a curve."""
    import highspy

    rounds = 0
    objective = 0.0
    values: list[float] = []
    for rounds in range(1, CUT_ROUNDS + 2):
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnknown:
            # the interior point can stall on these stacked copies: simplex from where it stopped
            h.setOptionValue("solver", "simplex")
            h.run()
            status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise JointInfeasible(f"the mixture program is {h.modelStatusToString(status)}")
        values = list(h.getSolution().col_value)
        objective = -float(h.getInfo().objective_function_value)
        cuts = _Rows()
        for v in range(stacked.copies):
            _cuts_of_copy(stacked, v, values, cuts)
        if rounds > CUT_ROUNDS or not cuts.lower:
            break
        cuts.send(h)
        h.setOptionValue("solver", "simplex")
    return values, objective, rounds


def _cuts_of_copy(stacked: _Stacked, v: int, values: list[float], cuts: _Rows) -> None:
    mu_col = stacked.mu(v)
    mu = values[mu_col]
    if mu <= MU_FLOOR:
        return
    for s, (u, y) in zip(stacked.base.segs, stacked.base.pool_cols, strict=True):
        uu, yy = values[stacked.col(v, u)], values[stacked.col(v, y)]
        if uu <= 0 or yy - mu * s.output(uu / mu) <= CUT_TOLERANCE:
            continue
        cuts.add(_tangent(s, stacked.col(v, u), stacked.col(v, y), mu_col, uu / mu), -math.inf, 0.0)


def _tangent(s: Segment, u: int, y: int, mu: int, point: float) -> dict[int, float]:
    """y <= f(p) mu + f'(p) (u - p mu): the perspective of the tangent at p."""
    slope = s.slope(point)
    return {y: 1.0, u: -slope, mu: -(s.output(point) - slope * point)}
