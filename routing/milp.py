"""The routing integer program (PuLP; CBC by default, HiGHS selectable), in three phases.

build:   per pool direction e, input x_e, output y_e and a binary z_e that carries the
         pool's gas; y_e under `segments` tangents of the exact curve (an outer,
         piecewise-linear approximation of a concave function); x_e <= cap_e * z_e; a pool
         is used in one direction at most; flow balance at sold and intermediate tokens,
         minimums at wanted tokens; maximise value delivered minus gas.
solve:   CBC or HiGHS under a time limit; the status is checked before any value is read.
extract: the chosen edges and their flows (value fractions). The caller re-optimises the
         split on those edges with the exact curves and re-evaluates in integers.
Names are deterministic (`x_<edge>`, `cut_<edge>_<k>`, `balance_<token>`) so `writeLP`
output reads by eye. The problem is never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routing.convex import initial_points
from routing.errors import NoLiquidityError, RoutingError
from routing.problem import Edge, Problem

SOLVERS = ("cbc", "highs")
TANGENT_SLOPE_RTOL = 1e-6
MILP_KINKS = 4  # V3 range edges per pool direction, nearest the hint: more only slows the search


@dataclass(frozen=True)
class MilpSolution:
    flows: dict[int, float]
    chosen: tuple[int, ...]
    status: str  # "optimal" or "feasible" (time limit hit with an incumbent)
    objective: float  # value delivered minus gas, value fractions


def define_variables(model: Any, problem: Problem) -> dict[str, dict[int, Any]]:
    v: dict[str, dict[int, Any]] = {"x": {}, "y": {}, "z": {}}
    for e in problem.edges:
        v["x"][e.index] = model.add_variable(f"x_{e.index}", 0, e.cap)
        v["y"][e.index] = model.add_variable(f"y_{e.index}", 0)
        v["z"][e.index] = model.add_variable(f"z_{e.index}", cat="Binary")
    return v


def define_curve_cuts(model: Any, problem: Problem, v: dict[str, dict[int, Any]], segments: int,
                      hints: Mapping[int, float]) -> None:
    for e in problem.edges:
        # beside the grid, the kinks and the hint: the tangent where this pool takes the whole
        # order (value fraction 1), so a lone pool is not overstated against a split
        points = [*initial_points(e, segments, MILP_KINKS, hints.get(e.index)), min(1.0, e.cap)]
        for k, (slope, intercept) in enumerate(distinct_tangents(e, points)):
            model += v["y"][e.index] <= intercept + slope * v["x"][e.index], f"cut_{e.index}_{k}"


def distinct_tangents(edge: Edge, points: list[float]) -> list[tuple[float, float]]:
    """(slope, intercept) of the tangents at `points`, without near-duplicates.

    Where a curve is nearly straight (a small order on a deep pool) neighbouring tangents
    differ in the 8th digit; such rows are degenerate for CBC, whose presolve then declares
    the relaxation infeasible. Dropping a tangent only loosens the outer approximation,
    which stays valid; the exact polish recovers the precision afterwards."""
    kept: list[tuple[float, float]] = []
    for a in sorted(set(points)):
        f, slope = edge.at(a)
        intercept = f - slope * a
        if all(abs(slope - s) > TANGENT_SLOPE_RTOL * max(abs(s), 1e-300) for s, _ in kept):
            kept.append((slope, intercept))
    return kept


def define_gas_switches(model: Any, problem: Problem, v: dict[str, dict[int, Any]]) -> None:
    by_pool: dict[str, list[int]] = {}
    for e in problem.edges:
        model += v["x"][e.index] <= e.cap * v["z"][e.index], f"switch_{e.index}"
        by_pool.setdefault(e.pool.address, []).append(e.index)
    for address, idx in sorted(by_pool.items()):
        if len(idx) > 1:
            model += sum(v["z"][i] for i in idx) <= 1, f"one_direction_{address}"


def define_balances(model: Any, problem: Problem, v: dict[str, dict[int, Any]]) -> None:
    import pulp

    buys = set(problem.demands.buy)
    for token in sorted(problem.tokens | set(problem.supply)):
        inflow = pulp.lpSum(v["y"][e.index] for e in problem.edges if e.token_out == token)
        outflow = pulp.lpSum(v["x"][e.index] for e in problem.edges if e.token_in == token)
        if token in buys:
            if problem.minimum.get(token, 0.0) > 0:
                model += inflow >= problem.minimum[token], f"minimum_{token}"
        else:
            model += outflow - inflow == problem.supply.get(token, 0.0), f"balance_{token}"


def build(problem: Problem, segments: int = 8, hints: Mapping[int, float] | None = None,
          ) -> tuple[Any, dict[str, dict[int, Any]]]:
    import pulp

    if segments < 1:
        raise RoutingError(f"segments must be at least 1, got {segments}", "segments")
    # minimise (gas - value): CBC 2.10 misreads the sign of a MIP start's cost on maximisation
    # problems and then prunes every node, returning the start as "optimal"
    model = pulp.LpProblem("keel_route", pulp.LpMinimize)
    v = define_variables(model, problem)
    buys = set(problem.demands.buy)
    model += (
        pulp.lpSum(e.gas * v["z"][e.index] for e in problem.edges)
        - pulp.lpSum(v["y"][e.index] for e in problem.edges if e.token_out in buys)
    ), "gas_minus_value"
    define_curve_cuts(model, problem, v, segments, hints or {})
    define_gas_switches(model, problem, v)
    define_balances(model, problem, v)
    return model, v


def _warm_start(problem: Problem, v: dict[str, dict[int, Any]], hints: Mapping[int, float]) -> None:
    """Start from the continuous optimum with every pool it uses switched on: always feasible
    (its flows are within caps and under every tangent), so the search starts with an incumbent."""
    for e in problem.edges:
        x = min(max(hints.get(e.index, 0.0), 0.0), e.cap)
        v["x"][e.index].setInitialValue(x)
        v["y"][e.index].setInitialValue(max(0.0, e.at(x)[0]))
        v["z"][e.index].setInitialValue(1 if x > 0 else 0)


def solve(problem: Problem, segments: int = 8, solver: str = "cbc", time_limit_s: float = 10.0,
          hints: Mapping[int, float] | None = None) -> MilpSolution:
    """Build, solve and extract. `hints` (edge -> flow, e.g. the continuous optimum) add a
    tangent where the answer probably lies. Raises `NoLiquidityError` if infeasible, or if
    no incumbent by the time limit."""
    import pulp

    if solver not in SOLVERS:
        raise RoutingError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}", "solver")
    model, v = build(problem, segments, hints)
    if hints:
        _warm_start(problem, v, hints)
    if solver == "cbc":
        engine = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=1e-6, warmStart=bool(hints))
    else:
        engine = pulp.HiGHS(msg=False, timeLimit=time_limit_s, mip_rel_gap=1e-6)
    model.solve(engine)
    status = pulp.LpStatus[model.status]
    if status == "Infeasible":
        raise NoLiquidityError("the pools cannot deliver the wanted minimums for what is sold", "buy")
    if status != "Optimal" or model.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise NoLiquidityError(f"the integer program found no route ({status})", "pools")
    kind = "optimal" if model.sol_status == pulp.LpSolutionOptimal else "feasible"
    flows, chosen = {}, []
    for e in problem.edges:
        x = v["x"][e.index].value() or 0.0
        z = v["z"][e.index].value() or 0.0
        if round(z) == 1 and x > 1e-12:
            flows[e.index] = float(x)
            chosen.append(e.index)
    return MilpSolution(flows, tuple(chosen), kind, -float(pulp.value(model.objective) or 0.0))
