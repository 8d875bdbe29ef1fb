"""The rounding-aware re-split (`routing.route._resplit`): on a small order through a coarse
token the exact value of a split is a sawtooth around the relaxation's curve, and moving the
sold token's split finds a route that rounds away less."""

from __future__ import annotations

from routing import synthetic
from routing.evaluate import delivered
from routing.problem import build
from routing.route import _hops, _net_value, _resplit, route, upper_bound


def _small_order_through_a_coarse_token() -> synthetic.Instance:
    """bench/routing.py's 100-pool instance #3: $12.49 of an 18-decimal token, the optimum a third
    of it through an 8-decimal one (a unit of which is 0.5 bp of the order)."""
    return synthetic.routable(1, 20, 100, 20)[3]


def test_moving_the_split_finds_a_route_that_rounds_away_less() -> None:
    inst = _small_order_through_a_coarse_token()
    problem = build(inst.demands, inst.liquidity, inst.prices, 0, 3)
    bound, free = upper_bound(problem)
    exact = _hops(problem, free.x)
    assert exact is not None
    resplit = _resplit(problem, free.x, exact)
    # the optimum's own split, executed, is 0.15 bp under the bound; re-split, under 0.05 bp
    assert (bound - _net_value(problem, exact)) / bound > 0.1e-4
    assert (bound - _net_value(problem, resplit)) / bound < 0.05e-4
    (sold, amount), = inst.demands.sell.items()
    assert -delivered(resplit, [sold])[sold] == amount  # it sells exactly the order, no more
    result = route(inst.demands, inst.liquidity, inst.prices, "milp", 0)
    assert result.gap_bps is not None and result.gap_bps < 0.05


def test_a_route_whose_rounding_cannot_matter_is_left_alone() -> None:
    inst = synthetic.routable(1, 20, 100, 20)[0]
    problem = build(inst.demands, inst.liquidity, inst.prices, 0, 3)
    _, free = upper_bound(problem)
    exact = _hops(problem, free.x)
    assert exact is not None
    if sum(problem.prices[h.token_in] + problem.prices[h.token_out] for h in exact) / problem.value_sold < 1e-6:
        assert _resplit(problem, free.x, exact) is exact
