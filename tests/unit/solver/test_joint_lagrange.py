"""The wash-free Lagrangian bound (`solver.joint_lagrange`): with the blocks' own rows at the
mixture program's duals it is the program's optimum (the sign conventions); with wash-free
blocks it is no looser than the program, yet still above every settlement we can build — what
the clearing settles, a net-sells solution of the fixed-price program at each point of a grid of
the box, a settlement sending a pool 100 x the batch's scale — and on a washing batch it is
below the program only because the blocks are wash-free."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from solver import joint, joint_bound, joint_branch, joint_lagrange, joint_mixture
from tests.unit.solver.test_joint_mixture import (
    DAI,
    POOLS,
    PRICES,
    WETH,
    _arbitrage_batch,
    settled_by_the_clearing,
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
    jis, settled = settled_by_the_clearing()
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
    # the master itself is held to the time: past it, it gives no multipliers (a degenerate
    # master once ran twenty minutes past its column generation's time)
    master = joint_lagrange._Master(parts)
    joint_lagrange._add_points(master, points, parts, pi, sigma)
    master.centre(pi, sigma, joint_lagrange.STEP)
    with pytest.raises(joint_lagrange.MasterStopped):
        master.duals(time.perf_counter() - 1.0)
    assert master.h.getRunTime() == 0.0
    master.duals(time.perf_counter() + 5.0)  # with time, it solves



def test_each_blocks_wash_free_minimum_is_the_least_over_every_direction_pattern() -> None:
    """The block's branch and bound against brute force: every "sells it in no copy" / "buys it in
    no copy" choice of every token, at the program's duals and at column generation's best."""
    case, parts = _split(_washing())
    pi, sigma = joint_lagrange.program_duals(case.state[0], parts)
    start, points, _ = joint_lagrange.dual_value(parts, pi, sigma, True)
    _, _, better = joint_lagrange.improve(parts, pi, sigma, points, start, time.perf_counter() + 3.0)
    washed, winners = 0, set()
    for p, s in ((pi, sigma), better):
        p = joint_lagrange._signed(parts, p)
        reduced = parts.cost - parts.coupling.T @ p
        for k, block in enumerate(parts.users):
            for tilt in (0.0, 0.5, 2.0):  # buying made cheaper, so the best part is not always the first found
                cost = np.concatenate([reduced[block.cols], -s[k]])
                for _sells, buys in block.tokens:
                    cost[buys] -= tilt * np.abs(cost[buys])
                parts_by_pattern = {
                    pattern: joint_lagrange._solve(block, cost, [c for (sells, buys), way in
                                                                 zip(block.tokens, pattern, strict=True)
                                                                 for c in (sells if way else buys)])[0]
                    for pattern in itertools.product((0, 1), repeat=len(block.tokens))}
                brute = min(parts_by_pattern.values())
                free = joint_lagrange._wash_free(block, cost)[0]
                assert free == pytest.approx(brute, abs=1e-9)
                washed += free > joint_lagrange._solve(block, cost)[0] + 1e-9
                winners.add(min(parts_by_pattern, key=lambda q: (parts_by_pattern[q], q)))
    assert washed  # some block washes: the comparison is not between two unconstrained minima


def _toy_block(costs: list[float]) -> tuple[joint_lagrange._Block, np.ndarray]:
    """A block of two tokens (sell, buy columns each, one copy) and its mu, every column in [0, 1],
    sum mu = 1, the cost of each column `costs` (then mu's, 0): its unconstrained minimum washes
    whichever token both sells and buys at a negative cost."""
    import highspy

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.addVars(5, np.zeros(5), np.ones(5))
    h.addRows(1, np.array([1.0]), np.array([1.0]), 1, np.array([0], dtype=np.int32), np.array([4], dtype=np.int32),
              np.array([1.0]))
    block = joint_lagrange._Block("toy", np.arange(4), np.arange(0), None, h, np.ones(5), [([0], [1]), ([2], [3])])
    return block, np.array([*costs, 0.0])


def test_a_blocks_wash_free_minimum_takes_whichever_direction_is_better_not_the_first_found() -> None:
    for costs in ([-1.0, -2.0, -1.0, -0.5], [-2.0, -1.0, -0.5, -1.0], [-1.0, -3.0, -3.0, -1.0]):
        block, cost = _toy_block(costs)
        # each token's better direction alone: min(sell cost, buy cost), summed over the tokens
        expected = min(costs[0], costs[1]) + min(costs[2], costs[3])
        assert joint_lagrange._solve(block, cost)[0] == pytest.approx(sum(costs))  # the program washes both
        assert joint_lagrange._wash_free(block, cost)[0] == pytest.approx(expected)


def test_the_split_prices_the_shared_weights_own_share_of_a_coupling_row() -> None:
    """A coupling row with a constant becomes, in the perspective, a coefficient on the weights mu:
    the split must still give the program's optimum at its duals (else its g is no bound)."""
    import highspy

    case, _ = _split(users(*three_tokens()))
    h, stacked, _ = case.state
    x = np.array(h.getSolution().col_value)
    ids = list(stacked.base.cols)
    sells = [stacked.col(v, s) for i in ids[:2] for v in range(stacked.copies) for s, _ in stacked.base.cols[i].values()]
    mus = [stacked.mu(v) for v in range(stacked.copies)]
    half = 0.5 * float(x[sells].sum())  # the two users sell at most half as much as they did
    h.addRow(-highspy.kHighsInf, 0.0, len(sells) + len(mus), np.array(sells + mus, dtype=np.int32),
             np.array([1.0] * len(sells) + [-half] * len(mus)))
    h.run()
    bound = joint_lagrange.lagrange_bound(h, stacked, time.perf_counter() + 2.0)
    assert bound.exact_usd == pytest.approx(bound.program_usd, rel=1e-6)
    assert bound.bound_usd <= bound.program_usd
