"""The integer program's three phases: readable names, two engines that agree, refusals."""

from __future__ import annotations

import pytest

from routing import milp, synthetic
from routing.errors import RoutingError
from routing.problem import build


@pytest.fixture(scope="module")
def problem():
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    from routing.problem import Demands

    return build(Demands({sym["WETH"]: 3_000 * 10**18}, {sym["USDC"]: 0}), liq, prices, 20 * 10**9, 3)


def test_should_name_every_variable_and_constraint_deterministically(problem, tmp_path) -> None:
    model = milp.build(problem, segments=4)
    path = tmp_path / "route.lp"
    milp.to_highs(model).writeModel(str(path))
    text = path.read_text()
    first = problem.edges[0]
    assert f"x_{first.index}" in text and f"z_{first.index}" in text and f"cut_{first.index}_0" in text
    assert f"balance_{first.token_in}" in text
    again = milp.build(problem, segments=4)
    assert again.row_names == model.row_names and again.col_names == model.col_names


def test_should_reach_the_same_optimum_with_cbc_and_highs() -> None:
    from routing.problem import Demands

    liq, prices = synthetic.liquidity(11, 16, 4)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    small = build(Demands({sym["WETH"]: 3_000 * 10**18}, {sym["USDC"]: 0}), liq, prices, 20 * 10**9, 2)
    cbc = milp.solve(small, 6, "cbc", 20)
    highs = milp.solve(small, 6, "highs", 20)
    assert cbc.status == highs.status == "optimal"
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-5)
    assert len(cbc.chosen) > 1 and len(highs.chosen) > 1  # near-ties may pick different pools of equal worth


def test_should_pay_gas_only_for_pools_it_uses(problem) -> None:
    sol = milp.solve(problem, 6)
    assert sol.chosen and all(sol.flows[i] > 0 for i in sol.chosen)
    gas = sum(problem.edges[i].gas for i in sol.chosen)
    delivered = sum(sol.flows[i] for i in sol.chosen if problem.edges[i].token_out in problem.demands.buy)
    assert sol.objective <= delivered * 1.01 - gas + 1e-6  # the objective is value minus that gas


def test_rejects_zero_segments_and_an_unknown_solver(problem) -> None:
    with pytest.raises(RoutingError, match="segments") as err:
        milp.solve(problem, 0)
    assert err.value.field == "segments"
    with pytest.raises(RoutingError, match="unknown solver") as err:
        milp.solve(problem, 4, "gurobi")
    assert err.value.field == "solver"
