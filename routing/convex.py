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
from typing import Any

import numpy as np

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


def initial_points(edge: Edge, count: int, kinks: int = MAX_KINKS, around: float | None = None) -> list[float]:
    """0, a geometric grid up to the edge's cap (tiny trades and pool-moving ones both get a
    tangent), and up to `kinks` V3 range edges inside the cap (nearest to `around` first),
    where the curve bends hardest and a tangent grid alone overstates the output most."""
    hi = edge.cap
    points = [0.0] + [hi * 10 ** (-4 * k / max(1, count - 1)) for k in range(count)]
    c = edge.curve
    inside = [x / c.gamma * edge.in_scale for x in c.seg_x[1:]]
    inside = [k for k in inside if 0 < k < hi]
    if around is not None:
        points.append(min(max(around, 0.0), hi))
        inside.sort(key=lambda k: abs(k - around))
    return points + inside[:kinks]


def solve(problem: Problem, edges: Sequence[Edge] | None = None, max_rounds: int = 60,
          tolerance: float = TOLERANCE) -> ConvexSolution:
    """Optimal continuous flows over `edges` (default: all of the problem's edges).

    One HiGHS model is kept across rounds and cuts are appended as rows, so every round
    after the first is a warm-started dual simplex of a few pivots.
    """
    import highspy

    active = list(problem.edges if edges is None else edges)
    m = len(active)
    if m == 0:
        raise NoLiquidityError("no pool can carry the demand", "pools")
    buys = set(problem.demands.buy)
    inf = highspy.kHighsInf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # columns: x_0..x_{m-1}, y_0..y_{m-1}; minimise -(value delivered)
    h.addVars(2 * m, np.zeros(2 * m), np.array([e.cap for e in active] + [inf] * m))
    cost = np.array([0.0] * m + [-1.0 if e.token_out in buys else 0.0 for e in active])
    h.changeColsCost(2 * m, np.arange(2 * m, dtype=np.int32), cost)
    # balance: for each sold or intermediate token, outflow - inflow = supply
    # every sold token gets its row even without an edge left: then nothing can sell it (infeasible)
    tokens = sorted({e.token_in for e in active} | {e.token_out for e in active if e.token_out not in buys}
                    | set(problem.supply))
    for t in tokens:
        idx = [i for i, e in enumerate(active) if e.token_in == t] + [m + i for i, e in enumerate(active) if e.token_out == t]
        val = [1.0 if k < m else -1.0 for k in idx]
        rhs = problem.supply.get(t, 0.0)
        _add_row(h, rhs, rhs, idx, val)
    for t, minimum in problem.minimum.items():
        idx = [m + i for i, e in enumerate(active) if e.token_out == t]
        if minimum > 0 and idx:
            _add_row(h, minimum, inf, idx, [1.0] * len(idx))
    slopes: list[list[float]] = [[] for _ in range(m)]
    intercepts: list[list[float]] = [[] for _ in range(m)]
    rows: list[tuple[int, float, float]] = []
    for i, e in enumerate(active):
        for a in initial_points(e, INITIAL_POINTS):
            f, slope = e.at(a)
            slopes[i].append(slope)
            intercepts[i].append(f - slope * a)
            rows.append((i, slope, f - slope * a))
    _add_cuts(h, m, rows)

    upper, x = 0.0, np.zeros(m)
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise NoLiquidityError("the pools cannot deliver the wanted minimums for what is sold", "buy")
        if status != highspy.HighsModelStatus.kOptimal:
            raise NoLiquidityError(f"the continuous routing problem failed: {h.modelStatusToString(status)}", "pools")
        upper = -float(h.getInfo().objective_function_value)
        x = np.array(h.getSolution().col_value[:m])
        new_rows: list[tuple[int, float, float]] = []
        for i, e in enumerate(active):
            xi = float(x[i])
            f, _ = e.at(xi)
            # compare the curve with the cuts themselves, not with the LP's y (which carries solver slack)
            envelope = min(b + s * xi for s, b in zip(slopes[i], intercepts[i], strict=True))
            if envelope > f + tolerance:
                _, slope = e.at(xi)
                slopes[i].append(slope)
                intercepts[i].append(f - slope * xi)
                new_rows.append((i, slope, f - slope * xi))
        if not new_rows:
            break
        _add_cuts(h, m, new_rows)
    return ConvexSolution({active[i].index: float(x[i]) for i in range(m) if x[i] > 0}, upper, rounds)


def _add_row(h: Any, lower: float, upper: float, idx: Sequence[int], val: Sequence[float]) -> None:
    h.addRows(1, np.array([lower]), np.array([upper]), len(idx), np.array([0], dtype=np.int32),
              np.array(idx, dtype=np.int32), np.array(val))


def _add_cuts(h: Any, m: int, rows: Sequence[tuple[int, float, float]]) -> None:
    """y_i - slope * x_i <= intercept for each (i, slope, intercept): tangents, in one call."""
    import highspy

    n = len(rows)
    idx = np.empty(2 * n, dtype=np.int32)
    val = np.empty(2 * n)
    for k, (i, slope, _) in enumerate(rows):
        idx[2 * k], idx[2 * k + 1] = m + i, i
        val[2 * k], val[2 * k + 1] = 1.0, -slope
    h.addRows(n, np.full(n, -highspy.kHighsInf), np.array([b for _, _, b in rows]), 2 * n,
              np.arange(0, 2 * n, 2, dtype=np.int32), idx, val)
