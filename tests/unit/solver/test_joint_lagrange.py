"""The wash-free Lagrangian bound (`solver.joint_lagrange`): with the blocks' own rows at the
mixture program's duals it is the program's optimum (the sign conventions); with wash-free
blocks it is no looser than the program, yet still above every settlement we can build — what
the clearing settles, a net-sells solution of the fixed-price program at each point of a grid of
the box, a settlement sending a pool 100 x the batch's scale — and on a washing batch it is
below the program only because the blocks are wash-free."""

from __future__ import annotations

import itertools
import time

import pytest

from solver import joint, joint_bound, joint_branch, joint_lagrange, joint_mixture
from solver.clearing import clear
from solver.joint_wants import joint_want
from solver.routing_port import make_route_fn
from tests.unit.solver.test_clearing import SETTLEMENT
from tests.unit.solver.test_joint_mixture import (
    DAI,
    POOLS,
    PRICES,
    WETH,
    _arbitrage_batch,
    contributions_usd_at,
    three_tokens,
    users,
    weights,
)


def _washing() -> list[joint.JointIntent]:
    """WETH within ±20%, DAI ±10% for the USDC users: the mixture program washes here
    (test_joint_mixture's `test_branching_on_washes_takes_the_gross_sells_gain_out_of_the_bound`)."""
    intents, balances = three_tokens()
    for i in ("0xa", "0xb"):
        intents[i] = weights(intents[i].owner, intents[i].tokens, intents[i].target_weight_bps,
                             ((0.8, 1.2), (0.9, 1.1)))
    return users(intents, balances)


def _split(jis: list[joint.JointIntent]) -> tuple[joint_mixture.MixtureBound, joint_lagrange._Split]:
    group = joint_bound.common_group(jis)
    box = joint_bound.price_box([ji for ji in jis if ji.id in group], PRICES)
    case = joint_mixture.mixture_case(jis, POOLS, PRICES, group, box, frozenset(), keep=True)
    h, stacked, _ = case.state
    return case, joint_lagrange.split(h, stacked)


def test_with_the_blocks_own_rows_at_the_programs_duals_it_is_the_programs_optimum() -> None:
    for jis in (users(*three_tokens()), _washing()):
        case, parts = _split(jis)
        pi, sigma = joint_lagrange.program_duals(case.state[0], parts)
        g, _, _ = joint_lagrange.dual_value(parts, pi, sigma, False)
        assert -g * parts.scale == pytest.approx(case.objective_usd, rel=1e-6)
        # the other sign convention is far off: the check pins HiGHS' down
        wrong, _, _ = joint_lagrange.dual_value(parts, -pi, -sigma, False)
        assert abs(-wrong * parts.scale - case.objective_usd) > 1.0
        assert len(parts.users) == 3 and parts.copies == 4


def test_dropping_the_wash_free_restriction_gives_the_program_back() -> None:
    jis = _washing()
    case, parts = _split(jis)
    pi, sigma = joint_lagrange.program_duals(case.state[0], parts)
    start, points, _ = joint_lagrange.dual_value(parts, pi, sigma, True)
    assert -start * parts.scale <= case.objective_usd * (1 + 1e-9)
    best, _, (pi, sigma) = joint_lagrange.improve(parts, pi, sigma, points, start, time.perf_counter() + 5.0)
    free, _, _ = joint_lagrange.dual_value(parts, pi, sigma, True)
    gross, _, _ = joint_lagrange.dual_value(parts, pi, sigma, False)
    assert free == pytest.approx(best, abs=1e-9)
    # at the multipliers column generation found, the blocks' own rows give at least the
    # program's optimum (weak duality of the program itself); the wash-free blocks a dollar less
    assert -gross * parts.scale >= case.objective_usd * (1 - 1e-9)
    assert -free * parts.scale < case.objective_usd - 1.0
    bound = joint_mixture.mixture_bound(jis, POOLS, PRICES, lagrange_s=5.0).lagrange
    assert bound is not None
    assert bound.exact_usd == pytest.approx(bound.program_usd, rel=1e-6)
    assert bound.bound_usd <= bound.at_duals_usd and bound.bound_usd < bound.program_usd - 1.0


def test_should_stay_above_a_net_sells_solution_at_every_point_of_a_grid_of_the_box() -> None:
    jis = _washing()
    whole = joint_mixture.mixture_bound(jis, POOLS, PRICES)
    lagrange = joint_mixture.mixture_bound(jis, POOLS, PRICES, lagrange_s=5.0)
    assert lagrange.lagrange is not None
    assert lagrange.bound_usd <= whole.bound_usd
    bound = lagrange.lagrange.bound_usd  # the prices-inside case alone: every grid point is inside the box
    grid = list(itertools.product((0.8, 0.9, 1.0, 1.1, 1.2), (0.9, 0.95, 1.0, 1.05, 1.1)))
    net = max(joint_branch.net_fixed_price(jis, POOLS, PRICES, {WETH: w, DAI: d}) for w, d in grid)
    assert net <= bound
    assert bound <= net + 1.5  # and not vacuous: within $1.50 of the best net-sells point of the grid (the ±20% box)
    # the box's halves, each its own program and decomposition, cover it: the larger still bounds
    halved = joint_mixture.mixture_bound(jis, POOLS, PRICES, lagrange_s=9.0, halves=True)
    assert len(halved.halves) == 2
    assert net <= max(halved.halves) and halved.bound_usd <= whole.bound_usd


def test_should_lie_above_the_score_of_what_the_clearing_settles() -> None:
    intents, balances = three_tokens()
    jis = users(intents, balances)
    result = joint.solve(jis, POOLS, PRICES, joint.SETTLE)
    wants = {i: joint_want(i, it, result.flows_usd[i], balances[it.owner], PRICES) for i, it in intents.items()}
    route = make_route_fn("milp", POOLS, PRICES, 0, SETTLEMENT, 2**32)
    cleared = clear(wants, intents, balances, PRICES, route, lambda _i: 0)
    assert len(cleared.flows) == 3
    settled = contributions_usd_at(intents, balances, cleared.flows)
    bound = joint_mixture.mixture_bound(jis, POOLS, PRICES, lagrange_s=3.0).lagrange
    assert bound is not None
    assert 0 < settled <= bound.bound_usd <= bound.program_usd


def test_should_bound_a_settlement_that_sends_a_pool_far_more_than_the_batch_scale() -> None:
    """Mirrors test_joint_mixture's case: a settlement sending $100k (100 x S) through a mispriced
    pair for one hedger; the wash-free Lagrangian bound of the prices-inside case stays above it."""
    from keel.units import BPS
    from solver import scoring

    intent, balances, pools = _arbitrage_batch()
    jis = joint.joint_intents(["0xa"], {"0xa": intent}, balances, PRICES, lambda _: 0)
    mixture = joint_mixture.mixture_bound(jis, pools, PRICES, lagrange_s=3.0)
    assert mixture.lagrange is not None
    usdc_weth, dai_usdc = pools.pools
    usdc = intent.tokens[0]
    x, y = 100_000 * 10**6, 1_000 * 10**6 * 1004 // 1000
    weth_out, dai_out = usdc_weth.amount_out(usdc, x), dai_usdc.amount_out(usdc, y)
    flows = {usdc: -(x + y), WETH: weth_out, DAI: dai_out}
    before = balances[intent.owner]
    after = {t: before[t] + flows[t] for t in intent.tokens}
    progress = scoring.distance_e18(intent, before, PRICES) - scoring.distance_e18(intent, after, PRICES)
    useful = min(scoring.given_e18(flows, PRICES), progress)
    score = (useful * (intent.max_fee_bps + scoring.band_bps(intent, PRICES)) // BPS
             - scoring.cost_e18(flows, PRICES)) / 1e18
    assert score > 150
    assert mixture.lagrange.bound_usd >= score


def test_column_generation_stops_at_its_time_and_keeps_the_best() -> None:
    jis = _washing()
    case, parts = _split(jis)
    pi, sigma = joint_lagrange.program_duals(case.state[0], parts)
    start, points, _ = joint_lagrange.dual_value(parts, pi, sigma, True)
    began = time.perf_counter()
    best, history, _ = joint_lagrange.improve(parts, pi, sigma, points, start, began + 0.5)
    assert time.perf_counter() - began < 5.0
    assert best >= start and best >= max(history, default=start)

