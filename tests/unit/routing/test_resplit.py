"""The rounding-aware re-split (`routing.route._resplit`): on a small order through a coarse
token the exact value of a split is a sawtooth around the relaxation's curve, and moving the
sold token's split finds a route that rounds away less."""

from __future__ import annotations

import dataclasses
import math

from routing import synthetic
from routing.evaluate import delivered
from routing.problem import build
from routing.route import _hops, _net_value, _resplit, route, upper_bound


def _small_order_through_a_coarse_token() -> synthetic.Instance:
    """bench/routing.py's 100-pool instance #3: $12.49 of an 18-decimal token, the optimum a third
    of it through an 8-decimal one (a unit of which is 0.5 bp of the order)."""
    return synthetic.routable(1, 4, 100, 20)[3]


def test_moving_the_split_finds_a_route_that_rounds_away_less() -> None:
    inst = _small_order_through_a_coarse_token()
    problem = build(inst.demands, inst.liquidity, inst.prices, 0, 3)
    bound, free = upper_bound(problem)
    exact = _hops(problem, free.x)
    assert exact is not None
    resplit = _resplit(problem, free.x, exact, math.inf)
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
        assert _resplit(problem, free.x, exact, math.inf) is exact


def test_a_fee_period_is_the_least_input_whose_v3_fee_is_whole() -> None:
    from routing.evaluate import _fee_period

    for fee, period in ((100, 10_000), (500, 2_000), (3_000, 1_000), (10_000, 100)):
        assert _fee_period(fee) == period and period * fee % 1_000_000 == 0
        assert all(p * fee % 1_000_000 for p in range(1, period))


def test_shares_of_a_coarse_token_at_whole_fee_periods_round_away_less_on_a_many_path_order() -> None:
    """bench/routing.py's 1,000-pool instance #0: $97 over 17 hops, most through 8-decimal tokens
    into 0.01% pools, whose fee rounds up a whole unit on every hop."""
    inst = synthetic.routable(1, 1, 1000, 50)[0]
    problem = build(inst.demands, inst.liquidity, inst.prices, 0, 3)
    _, free = upper_bound(problem)
    plain, at_periods = _hops(problem, free.x), _hops(problem, free.x, fee_exact=True)
    assert plain is not None and at_periods is not None
    assert _net_value(problem, at_periods) > _net_value(problem, plain)
    (sold, amount), = inst.demands.sell.items()
    assert -delivered(at_periods, [sold])[sold] == amount
    result = route(inst.demands, inst.liquidity, inst.prices, "milp", 0)
    assert result.gap_bps is not None and result.gap_bps < 0.1


def test_a_one_pool_route_through_a_coarse_token_lets_a_second_pool_take_what_its_least_input_leaves() -> None:
    """bench/routing.py's 10-pool instance #6: $54 of WETH, all of it into one pool that pays out
    WBTC and on through two more. A second pool from WETH into a token the route passes on takes
    the wei past the least input that buys whole satoshis."""
    inst = synthetic.routable(1, 7, 10, 5)[6]
    problem = build(inst.demands, inst.liquidity, inst.prices, 0, 3)
    _, free = upper_bound(problem)
    exact = _hops(problem, free.x)
    assert exact is not None
    sold = next(iter(inst.demands.sell))
    assert len({h.pool for h in exact if h.token_in == sold}) == 1  # the optimum: one pool takes it all
    better = _resplit(problem, free.x, exact, math.inf)
    assert _net_value(problem, better) > _net_value(problem, exact)
    assert len({h.pool for h in better if h.token_in == sold}) == 2
    assert -delivered(better, [sold])[sold] == inst.demands.sell[sold]
    result = route(inst.demands, inst.liquidity, inst.prices, "milp", 0)
    assert result.gap_bps is not None and result.gap_bps < 0.1


def test_a_candidate_that_strands_a_token_in_the_settlement_is_not_taken() -> None:
    from routing.evaluate import Hop
    from routing.route import _better, _stranded

    inst = _small_order_through_a_coarse_token()
    problem = build(inst.demands, inst.liquidity, inst.prices, 0, 3)
    _, free = upper_bound(problem)
    exact = _hops(problem, free.x)
    assert exact is not None and _stranded(problem, exact) == 0
    # the same route, but one hop into the coarse token passes on one unit less than it bought
    middle = next(h for h in exact if h.token_out not in problem.demands.buy)
    onward = next(h for h in exact if h.token_in == middle.token_out)
    short = [dataclasses.replace(h, amount_in=h.amount_in - 1) if h is onward else h for h in exact]
    assert _stranded(problem, short) == problem.prices[middle.token_out]
    assert not _better(problem, short, -math.inf, exact)
    assert _better(problem, exact, -math.inf, exact)
    assert isinstance(middle, Hop)
