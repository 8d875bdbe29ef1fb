"""The continuous routing problem over exact concave curves, solved by Kelley's cutting planes.

maximise   sum of value delivered into wanted tokens
subject to flow balance at every sold/intermediate token, minimums on wanted tokens,
           y_e <= f_e(x_e) (each pool direction's exact real-valued curve), 0 <= x_e <= cap_e.

f_e is concave, so the tangents at any points are an *outer* approximation: every LP
solved along the way is a relaxation, and its optimum is a valid upper bound on what any
route over these pools can deliver (`upper`). Each round adds the tangent at the LP's own
flows wherever the LP promised more than the curve gives; the bound falls to the true
optimum, and the LP's flows become the optimal split (`x`). Used for the bound (all edges,
no gas) and for the polish (only the edges a router chose). Floats only; amounts are
converted back by `routing.evaluate`, rounding down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from routing.errors import NoLiquidityError
from routing.problem import Edge, Problem

INITIAL_POINTS = 6
# value fractions: 0.002 bp of the value sold. It must stay above the LP solver's own
# feasibility tolerance (1e-7), or rounds add cuts that change nothing.
TOLERANCE = 2e-7


@dataclass(frozen=True)
class ConvexSolution:
    x: dict[int, float]  # edge index -> normalised input
    upper: float  # normalised upper bound on value delivered
    rounds: int


MAX_KINKS = 12


def initial_points(edge: Edge, count: int) -> list[float]:
    """0, a geometric grid up to the edge's cap (tiny trades and pool-moving ones both get a
    tangent), and the V3 range edges inside the cap, where the curve bends hardest and a
    tangent grid alone overstates the output most."""
    hi = edge.cap
    points = [0.0] + [hi * 10 ** (-4 * k / max(1, count - 1)) for k in range(count)]
    c = edge.curve
    kinks = [x / c.gamma * edge.in_scale for x in c.seg_x[1:]]
    points += [k for k in kinks if 0 < k < hi][:MAX_KINKS]
    return points


def solve(problem: Problem, edges: Sequence[Edge] | None = None, max_rounds: int = 60,
          tolerance: float = TOLERANCE) -> ConvexSolution:
    """Optimal continuous flows over `edges` (default: all of the problem's edges)."""
    active = list(problem.edges if edges is None else edges)
    m = len(active)
    if m == 0:
        raise NoLiquidityError("no pool can carry the demand", "pools")
    buys = set(problem.demands.buy)
    cuts: list[tuple[int, float, float]] = []  # (local edge, slope, intercept): y <= intercept + slope*x
    for i, e in enumerate(active):
        for a in initial_points(e, INITIAL_POINTS):
            cuts.append(_tangent(i, e, a))

    # equalities: for each non-wanted token, outflow - inflow = supply
    tokens = sorted({e.token_in for e in active} | {e.token_out for e in active if e.token_out not in buys})
    row = {t: k for k, t in enumerate(tokens)}
    eq_r, eq_c, eq_v = [], [], []
    for i, e in enumerate(active):
        if e.token_in in row:
            eq_r.append(row[e.token_in])
            eq_c.append(i)
            eq_v.append(1.0)
        if e.token_out in row:
            eq_r.append(row[e.token_out])
            eq_c.append(m + i)
            eq_v.append(-1.0)
    a_eq = coo_matrix((eq_v, (eq_r, eq_c)), shape=(len(tokens), 2 * m)).tocsr()
    b_eq = np.array([problem.supply.get(t, 0.0) for t in tokens])
    c = np.zeros(2 * m)
    for i, e in enumerate(active):
        if e.token_out in buys:
            c[m + i] = -1.0
    bounds = [(0.0, e.cap) for e in active] + [(0.0, None)] * m
    mins = [(t, v) for t, v in problem.minimum.items() if v > 0]

    upper, x = 0.0, np.zeros(m)
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        a_ub, b_ub = _inequalities(active, cuts, mins, m)
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status == 2:
            raise NoLiquidityError("the pools cannot deliver the wanted minimums for what is sold", "buy")
        if res.status != 0:
            raise NoLiquidityError(f"the continuous routing problem failed: {res.message}", "pools")
        upper = -float(res.fun)
        x = res.x[:m]
        envelope = _envelope(cuts, x, m)
        added = 0
        for i, e in enumerate(active):
            f, _ = e.at(float(x[i]))
            # compare the curve with the cuts themselves, not with the LP's y (which carries solver slack)
            if envelope[i] > f + tolerance:
                cuts.append(_tangent(i, e, float(x[i])))
                added += 1
        if added == 0:
            break
    return ConvexSolution({active[i].index: float(x[i]) for i in range(m) if x[i] > 0}, upper, rounds)


def _envelope(cuts: list[tuple[int, float, float]], x: np.ndarray, m: int) -> np.ndarray:
    env = np.full(m, np.inf)
    for i, slope, intercept in cuts:
        env[i] = min(env[i], intercept + slope * float(x[i]))
    return env


def _tangent(i: int, edge: Edge, at: float) -> tuple[int, float, float]:
    f, slope = edge.at(at)
    return i, slope, f - slope * at


def _inequalities(active: Sequence[Edge], cuts: list[tuple[int, float, float]],
                  mins: list[tuple[str, float]], m: int) -> tuple[object, np.ndarray]:
    r, cidx, v, b = [], [], [], []
    for k, (i, slope, intercept) in enumerate(cuts):
        r += [k, k]
        cidx += [m + i, i]
        v += [1.0, -slope]
        b.append(intercept)
    base = len(cuts)
    for j, (token, minimum) in enumerate(mins):
        for i, e in enumerate(active):
            if e.token_out == token:
                r.append(base + j)
                cidx.append(m + i)
                v.append(-1.0)
        b.append(-minimum)
    return coo_matrix((v, (r, cidx)), shape=(len(b), 2 * m)).tocsr(), np.array(b)
