"""The convex upper bound: no route beats it, and it converges to what the polish delivers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routing import convex, synthetic
from routing.errors import NoLiquidityError
from routing.evaluate import delivered, flows_to_hops
from routing.problem import build
from routing.route import METHODS, route


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_should_never_be_beaten_by_any_method(seed: int) -> None:
    liq, prices = synthetic.liquidity(seed, 30, 6)
    inst = synthetic.trade(seed, liq, prices)
    try:
        problem = build(inst.demands, liq, prices, 0, 3)
    except NoLiquidityError:
        return
    sol = convex.solve(problem)
    bound = sol.upper * problem.value_sold
    for method in METHODS:
        try:
            r = route(inst.demands, liq, prices, method, 0, with_bound=False)
        except NoLiquidityError:
            continue
        assert r.value_out <= bound * (1 + 1e-6)


def test_should_converge_to_a_route_the_integer_math_pays() -> None:
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    from routing.problem import Demands

    problem = build(Demands({sym["WETH"]: 5_000 * 10**18}, {sym["USDC"]: 0}), liq, prices, 0, 3)
    sol = convex.solve(problem)
    assert sol.rounds > 1, "the tangents are refined at least once"
    hops = flows_to_hops(problem, sol.x)
    paid = delivered(hops, [sym["USDC"]])[sym["USDC"]] * prices[sym["USDC"]]
    bound = sol.upper * problem.value_sold
    assert 0 <= (bound - paid) / bound * 10_000 < 0.05  # within 0.05 bp
