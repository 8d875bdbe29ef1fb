"""The routing integer program: the fallback of the gas-aware selection, in three phases.

build:   per pool direction e, input x_e, output y_e and a binary z_e that carries the
         pool's gas; y_e under `segments` tangents of the exact curve (an outer,
         piecewise-linear approximation of a concave function); x_e <= cap_e * z_e; a pool
         is used in one direction at most; flow balance at every token that is not wanted
         (walks may pass through sold tokens too: any path length), minimums at wanted
         tokens; minimise gas minus value delivered. The model is plain arrays with
         deterministic names (`x_<edge>`, `cut_<edge>_<k>`, `balance_<token>`), so a written
         model (`to_highs(model).writeModel("route.lp")`) reads by eye.
solve:   HiGHS in-process (highspy) by default, started from the continuous optimum when
         given; CBC through PuLP on request (a subprocess, so never on the hot path). The
         status is checked before any value is read.
extract: the chosen edges and their flows (value fractions). The caller re-optimises the
         split on those edges with the exact curves and re-evaluates in integers.
The problem is never mutated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.errors import NoLiquidityError, RoutingError
from routing.problem import Edge, Problem

SOLVERS = ("highs", "cbc")
TANGENT_SLOPE_RTOL = 1e-6
MILP_KINKS = 4  # V3 range edges per pool direction, nearest the hint: more only slows the search
FLOW_CAP = 2.0  # no edge carries more than twice the value sold (the big-M of the gas switch)


@dataclass(frozen=True)
class MilpSolution:
    flows: dict[int, float]
    chosen: tuple[int, ...]
    status: str  # "optimal" or "feasible" (time limit hit with an incumbent)
    objective: float  # value delivered minus gas, value fractions


@dataclass
class Model:
    """A mixed-integer program as arrays: columns, then rows (index lists and coefficients)."""

    col_names: list[str] = field(default_factory=list)
    col_lower: list[float] = field(default_factory=list)
    col_upper: list[float] = field(default_factory=list)
    col_cost: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)  # column indices that are binary
    row_names: list[str] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    row_index: list[list[int]] = field(default_factory=list)
    row_value: list[list[float]] = field(default_factory=list)
    columns: dict[str, dict[int, int]] = field(default_factory=lambda: {"x": {}, "y": {}, "z": {}})

    def column(self, name: str, lower: float, upper: float, cost: float = 0.0, binary: bool = False) -> int:
        self.col_names.append(name)
        self.col_lower.append(lower)
        self.col_upper.append(upper)
        self.col_cost.append(cost)
        if binary:
            self.integer.append(len(self.col_names) - 1)
        return len(self.col_names) - 1

    def row(self, name: str, lower: float, upper: float, terms: Mapping[int, float]) -> None:
        self.row_names.append(name)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.row_index.append(list(terms))
        self.row_value.append(list(terms.values()))


def tangent_points(edge: Edge, count: int, kinks: int = MILP_KINKS, around: float | None = None) -> list[float]:
    """0, a geometric grid up to the edge's cap (tiny trades and pool-moving ones both get a
    tangent), up to `kinks` V3 range edges inside it (nearest `around` first), where the
    curve bends hardest, and `around` itself."""
    hi = min(edge.cap, FLOW_CAP)
    points = [0.0] + [hi * 10 ** (-4 * k / max(1, count - 1)) for k in range(count)]
    inside = [k for k in (x * edge.in_scale for x in edge.curve.seg_x[1:]) if 0 < k < hi]
    if around is not None:
        points.append(min(max(around, 0.0), hi))
        inside.sort(key=lambda k: abs(k - around))
    return [*points, *inside[:kinks], min(1.0, hi)]


def distinct_tangents(edge: Edge, points: list[float]) -> list[tuple[float, float]]:
    """(slope, intercept) of the tangents at `points`, without near-duplicates.

    Where a curve is nearly straight (a small order on a deep pool) neighbouring tangents
    differ in the 8th digit; such rows are degenerate for a MILP presolve, which may then
    declare the relaxation infeasible. Dropping a tangent only loosens the outer
    approximation, which stays valid; the exact polish recovers the precision afterwards."""
    kept: list[tuple[float, float]] = []
    for a in sorted(set(points)):
        f, slope = edge.at(a)
        intercept = f - slope * a
        if all(abs(slope - s) > TANGENT_SLOPE_RTOL * max(abs(s), 1e-300) for s, _ in kept):
            kept.append((slope, intercept))
    return kept


def define_variables(model: Model, problem: Problem) -> None:
    buys = set(problem.demands.buy)
    for e in problem.edges:
        model.columns["x"][e.index] = model.column(f"x_{e.index}", 0.0, min(e.cap, FLOW_CAP),
                                                   1.0 if e.token_in in buys else 0.0)
        model.columns["y"][e.index] = model.column(f"y_{e.index}", 0.0, math.inf,
                                                   -1.0 if e.token_out in buys else 0.0)
        model.columns["z"][e.index] = model.column(f"z_{e.index}", 0.0, 1.0, e.gas, binary=True)


def define_curve_cuts(model: Model, problem: Problem, segments: int, hints: Mapping[int, float]) -> None:
    x, y = model.columns["x"], model.columns["y"]
    for e in problem.edges:
        points = tangent_points(e, segments, around=hints.get(e.index))
        for k, (slope, intercept) in enumerate(distinct_tangents(e, points)):
            model.row(f"cut_{e.index}_{k}", -math.inf, intercept, {y[e.index]: 1.0, x[e.index]: -slope})


def define_gas_switches(model: Model, problem: Problem) -> None:
    x, z = model.columns["x"], model.columns["z"]
    by_pool: dict[str, list[int]] = {}
    for e in problem.edges:
        model.row(f"switch_{e.index}", -math.inf, 0.0, {x[e.index]: 1.0, z[e.index]: -min(e.cap, FLOW_CAP)})
        by_pool.setdefault(e.pool.address, []).append(e.index)
    for address, idx in sorted(by_pool.items()):
        if len(idx) > 1:
            model.row(f"one_direction_{address}", -math.inf, 1.0, {z[i]: 1.0 for i in idx})


def define_balances(model: Model, problem: Problem) -> None:
    x, y = model.columns["x"], model.columns["y"]
    buys = set(problem.demands.buy)
    for token in sorted(problem.tokens | set(problem.supply)):
        terms: dict[int, float] = {x[e.index]: 1.0 for e in problem.edges if e.token_in == token}
        terms.update({y[e.index]: -1.0 for e in problem.edges if e.token_out == token})
        if token in buys:
            if problem.minimum.get(token, 0.0) > 0:
                model.row(f"minimum_{token}", -math.inf, -problem.minimum[token], terms)
        else:
            supply = problem.supply.get(token, 0.0)
            model.row(f"balance_{token}", supply, supply, terms)


def build(problem: Problem, segments: int = 8, hints: Mapping[int, float] | None = None) -> Model:
    if segments < 1:
        raise RoutingError(f"segments must be at least 1, got {segments}", "segments")
    model = Model()
    define_variables(model, problem)
    define_curve_cuts(model, problem, segments, hints or {})
    define_gas_switches(model, problem)
    define_balances(model, problem)
    return model


def to_highs(model: Model) -> Any:
    """The model as a `highspy.Highs` instance, names included, ready to run."""
    import highspy
    import numpy as np

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    n = len(model.col_names)
    inf = highspy.kHighsInf
    h.addVars(n, np.array(model.col_lower), np.minimum(np.array(model.col_upper), inf))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(model.col_cost))
    if model.integer:
        kind = np.array([highspy.HighsVarType.kInteger] * len(model.integer))
        h.changeColsIntegrality(len(model.integer), np.array(model.integer, dtype=np.int32), kind)
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for idx, val in zip(model.row_index, model.row_value, strict=True):
        starts.append(len(index))
        index += idx
        value += val
    h.addRows(len(model.row_names), np.maximum(np.array(model.row_lower), -inf),
              np.minimum(np.array(model.row_upper), inf), len(index), np.array(starts, dtype=np.int32),
              np.array(index, dtype=np.int32), np.array(value))
    for i, name in enumerate(model.col_names):
        h.passColName(i, name)
    for i, name in enumerate(model.row_names):
        h.passRowName(i, name)
    return h


def start_values(problem: Problem, model: Model, hints: Mapping[int, float]) -> list[float]:
    """The continuous optimum with every pool it uses switched on: feasible up to the
    optimum's own tolerance (its flows are within caps and under every tangent)."""
    values = [0.0] * len(model.col_names)
    for e in problem.edges:
        x = min(max(hints.get(e.index, 0.0), 0.0), min(e.cap, FLOW_CAP))
        values[model.columns["x"][e.index]] = x
        values[model.columns["y"][e.index]] = max(0.0, e.at(x)[0])
        values[model.columns["z"][e.index]] = 1.0 if x > 0 else 0.0
    return values


def solve(problem: Problem, segments: int = 8, solver: str = "highs", time_limit_s: float = 10.0,
          hints: Mapping[int, float] | None = None) -> MilpSolution:
    """Build, solve and extract. `hints` (edge -> flow, e.g. the continuous optimum) add a
    tangent where the answer probably lies and start the search. Raises `NoLiquidityError` if
    infeasible, or if no incumbent by the time limit."""
    if solver not in SOLVERS:
        raise RoutingError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}", "solver")
    model = build(problem, segments, hints)
    start = start_values(problem, model, hints) if hints else None
    engine = _solve_highs if solver == "highs" else _solve_cbc
    values, status, objective = engine(model, time_limit_s, start)
    flows, chosen = {}, []
    for e in problem.edges:
        x = values[model.columns["x"][e.index]]
        if round(values[model.columns["z"][e.index]]) == 1 and x > 1e-12:
            flows[e.index] = float(x)
            chosen.append(e.index)
    return MilpSolution(flows, tuple(chosen), status, -objective)


def _solve_highs(model: Model, time_limit_s: float, start: list[float] | None) -> tuple[list[float], str, float]:
    import highspy

    h = to_highs(model)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 1e-6)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = start
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise NoLiquidityError("the pools cannot deliver the wanted minimums for what is sold", "buy")
    info = h.getInfo()
    has_incumbent = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kOptimal:
        kind = "optimal"
    elif status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt) and has_incumbent:
        kind = "feasible"
    else:
        raise NoLiquidityError(f"the integer program found no route ({h.modelStatusToString(status)})", "pools")
    return list(h.getSolution().col_value), kind, float(info.objective_function_value)


def _solve_cbc(model: Model, time_limit_s: float, start: list[float] | None) -> tuple[list[float], str, float]:
    """The same model through PuLP's bundled CBC (a subprocess), for a second opinion."""
    import pulp

    lp = pulp.LpProblem("keel_route", pulp.LpMinimize)
    binary = set(model.integer)
    cols = [lp.add_variable(name, lo, None if math.isinf(hi) else hi, cat="Binary" if i in binary else "Continuous")
            for i, (name, lo, hi) in enumerate(zip(model.col_names, model.col_lower, model.col_upper, strict=True))]
    lp += pulp.lpSum(c * v for c, v in zip(model.col_cost, cols, strict=True) if c), "gas_minus_value"
    for name, lo, hi, idx, val in zip(model.row_names, model.row_lower, model.row_upper, model.row_index,
                                      model.row_value, strict=True):
        expr = pulp.lpSum(v * cols[i] for i, v in zip(idx, val, strict=True))
        if lo == hi:
            lp += expr == lo, name
        elif math.isinf(lo):
            lp += expr <= hi, name
        else:
            lp += expr >= lo, name
    if start is not None:
        for v, s in zip(cols, start, strict=True):
            v.setInitialValue(s)
    lp.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=1e-6, warmStart=start is not None))
    status = pulp.LpStatus[lp.status]
    if status == "Infeasible":
        raise NoLiquidityError("the pools cannot deliver the wanted minimums for what is sold", "buy")
    if status != "Optimal" or lp.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise NoLiquidityError(f"the integer program found no route ({status})", "pools")
    kind = "optimal" if lp.sol_status == pulp.LpSolutionOptimal else "feasible"
    return [v.value() or 0.0 for v in cols], kind, float(pulp.value(lp.objective) or 0.0)
