"""keel's joint bound as one mixture program: never above the Lagrangian at the reference duals,
never below the fixed-price program at any uniform price vector of the box, nor below what the
clearing settles; and the cases for prices that leave the box are what keep it a bound."""

from __future__ import annotations

import itertools

import pytest

from intents.model import Intent, IntentKind
from routing.pools import Liquidity
from solver import joint, joint_bound, joint_branch, joint_mixture
from solver.clearing import clear
from solver.joint_wants import joint_want
from solver.routing_port import make_route_fn
from tests.unit.solver.test_clearing import OWNERS, SETTLEMENT, USDC, WETH, liquidity
from tests.unit.solver.test_clearing import PRICES as TWO_PRICES
from tests.unit.solver.test_joint import batch, contributions_usd

DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
PRICES = {USDC: 10**30, WETH: 3000 * 10**18, DAI: 10**18}
ONE = 10**18  # a bound of 1 numeraire base unit per token base unit, x 1e18


def _pair(address: str, a: str, b: str, ra: int, rb: int) -> dict:
    return {"kind": "v2", "address": address, "token0": a, "token1": b, "reserve0": str(ra), "reserve1": str(rb)}


POOLS = Liquidity.from_json({
    "tokens": {USDC: {"symbol": "USDC", "decimals": 6}, WETH: {"symbol": "WETH", "decimals": 18},
               DAI: {"symbol": "DAI", "decimals": 18}},
    "pools": [_pair("0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc", USDC, WETH, 30_000_000 * 10**6, 10_000 * ONE),
              _pair("0xAE461cA67B15dc8dc81CE7615e0320dA1A9aB8D5", DAI, USDC, 20_000_000 * ONE, 20_000_000 * 10**6),
              _pair("0xA478c2975Ab1Ea89e8196811F51A7B7Ade33eB11", DAI, WETH, 15_000_000 * ONE, 5_000 * ONE)],
    "native": WETH, "block": 1})


def weights(owner: str, tokens: tuple[str, ...], target: tuple[int, ...],
            band: tuple[tuple[float, float], ...] | None = None) -> Intent:
    """A weights intent; `band` per non-numeraire token: its price bounds over the reference
    price in the numeraire (default ±2%)."""
    lo, hi = [ONE], [ONE]
    for j, t in enumerate(tokens[1:]):
        rel = PRICES[t] * ONE // PRICES[tokens[0]]
        a, b = band[j] if band else (0.98, 1.02)
        lo.append(int(rel * a))
        hi.append(int(rel * b))
    return Intent(owner, tokens, tuple(lo), tuple(hi), IntentKind.WEIGHTS, target_weight_bps=target,
                  tolerance_bps=50, max_fee_bps=30, valid_to=2**32, nonce=1)


def three_tokens() -> tuple[dict[str, Intent], dict[str, dict[str, int]]]:
    """Two USDC-numeraire users and one whose numeraire is DAI (outside the common group)."""
    intents = {"0xa": weights(OWNERS[0], (USDC, WETH, DAI), (4000, 4000, 2000)),
               "0xb": weights(OWNERS[1], (USDC, WETH, DAI), (5000, 3000, 2000)),
               "0xc": weights(OWNERS[2], (DAI, WETH), (5000, 5000))}
    balances = {OWNERS[0]: {USDC: 200_000 * 10**6, WETH: 0, DAI: 0},
                OWNERS[1]: {USDC: 0, WETH: 30 * ONE, DAI: 50_000 * ONE},
                OWNERS[2]: {DAI: 100_000 * ONE, WETH: 0}}
    return intents, balances


def users(intents: dict[str, Intent], balances: dict) -> list[joint.JointIntent]:
    return joint.joint_intents(list(intents), intents, balances, PRICES, lambda _: 0)


def test_should_be_no_looser_than_the_lagrangian_at_the_reference_duals_and_tighter_here() -> None:
    jis = users(*three_tokens())
    old, _ = joint_bound.priced_bound(jis, POOLS, PRICES)
    mixture = joint_mixture.mixture_bound(jis, POOLS, PRICES)
    assert mixture.bound_usd <= old * (1 + 1e-9)
    assert mixture.bound_usd < old - 0.1  # the multipliers chosen, and the DAI user priced with the others
    # two tokens, three USDC users: the multipliers alone make the difference
    intents, balances = batch([(200_000, 0, 6000), (50_000, 10, 3000), (0, 40, 5000)])
    two = joint.joint_intents(list(intents), intents, balances, TWO_PRICES, lambda _: 0)
    pools = Liquidity.from_json(liquidity())
    old, _ = joint_bound.priced_bound(two, pools, TWO_PRICES)
    assert joint_mixture.mixture_bound(two, pools, TWO_PRICES).bound_usd < old - 0.5
    assert len(mixture.vertices) == 4 and sum(mixture.weights) == pytest.approx(1.0)


def test_should_lie_above_the_fixed_price_program_at_every_uniform_price_vector_of_the_box() -> None:
    jis = users(*three_tokens())
    bound = joint_mixture.mixture_bound(jis, POOLS, PRICES).bound_usd
    grid = (0.98, 0.99, 1.0, 1.01, 1.02)  # the signed bounds of the USDC users: the box
    best = 0.0
    for weth, dai in itertools.product(grid, grid):
        at = joint.solve(jis, POOLS, PRICES, joint.FIXED_PRICE, {WETH: weth, DAI: dai}).objective_usd
        assert at <= bound
        best = max(best, at)
    assert bound <= best * 1.02  # and not vacuous: within 2% of the best price on the grid


def test_should_stay_a_bound_when_the_box_is_split_and_be_no_looser() -> None:
    # the USDC users signed WETH within ±5%: a box wide enough that halving it pays
    intents, balances = three_tokens()
    for i in ("0xa", "0xb"):
        intents[i] = weights(intents[i].owner, intents[i].tokens, intents[i].target_weight_bps,
                             ((0.95, 1.05), (0.98, 1.02)))
    jis = users(intents, balances)
    whole = joint_mixture.mixture_bound(jis, POOLS, PRICES)
    split = joint_mixture.mixture_bound(jis, POOLS, PRICES, refine_s=1.5)
    assert split.bound_usd <= whole.bound_usd
    # refined, the bound also branches on washes (`joint_branch`): it bounds net-sells solutions, so
    # the comparison is a net-sells solution of the fixed-price program at each price (the gross
    # program's own optimum counts sells no settlement makes: see the next test)
    for weth, dai in itertools.product((0.95, 0.975, 1.0, 1.025, 1.05), (0.98, 1.0, 1.02)):
        assert joint_branch.net_fixed_price(jis, POOLS, PRICES, {WETH: weth, DAI: dai}) <= split.bound_usd


def test_branching_on_washes_takes_the_gross_sells_gain_out_of_the_bound() -> None:
    # WETH within ±20%, DAI ±10%: far from the reference, a user can receive more reference value
    # than it gives, and a program counting gross sells as `given` claims allowance on it by
    # selling and buying one token at once; no settlement does (its flows are net)
    intents, balances = three_tokens()
    for i in ("0xa", "0xb"):
        intents[i] = weights(intents[i].owner, intents[i].tokens, intents[i].target_weight_bps,
                             ((0.8, 1.2), (0.9, 1.1)))
    jis = users(intents, balances)
    whole = joint_mixture.mixture_bound(jis, POOLS, PRICES)
    assert whole.washes  # the unsplit program washes
    split = joint_mixture.mixture_bound(jis, POOLS, PRICES, refine_s=4.0)
    grid = list(itertools.product((0.8, 0.9, 1.0, 1.1, 1.2), (0.9, 0.95, 1.0, 1.05, 1.1)))
    gross = max(joint.solve(jis, POOLS, PRICES, joint.FIXED_PRICE, {WETH: w, DAI: d}).objective_usd for w, d in grid)
    net = max(joint_branch.net_fixed_price(jis, POOLS, PRICES, {WETH: w, DAI: d}) for w, d in grid)
    # splitting the box alone can never go under the gross program at a price of the box
    assert split.bound_usd < gross - 0.3
    assert net <= split.bound_usd <= net + 0.25


def test_a_wash_splits_into_its_two_directions_and_a_box_into_halves() -> None:
    leaf = joint_branch.Leaf(1.0, {WETH: (0.9, 1.1), DAI: (0.95, 1.05)}, {("0xa", DAI): 1}, (("0xb", WETH, 2.0),))
    assert joint_branch.children(leaf) == [(leaf.box, {("0xa", DAI): 1, ("0xb", WETH): -1}),
                                           (leaf.box, {("0xa", DAI): 1, ("0xb", WETH): 1})]
    halves = joint_branch.children(joint_branch.Leaf(1.0, leaf.box, leaf.ways))
    assert halves == [({WETH: (0.9, 1.0), DAI: (0.95, 1.05)}, leaf.ways),
                      ({WETH: (1.0, 1.1), DAI: (0.95, 1.05)}, leaf.ways)]
    # few washes: the wash first, whatever the box; many, and a box as wide as the root's: the box first
    assert joint_branch.children(leaf, root=leaf.box)[0] == (leaf.box, {("0xa", DAI): 1, ("0xb", WETH): -1})
    many = tuple(("0xb", f"0x{k}", 1.0) for k in range(joint_branch.MANY_WASHES + 1))
    crowded = joint_branch.Leaf(1.0, leaf.box, leaf.ways, many)
    assert joint_branch.children(crowded, root=leaf.box) == halves
    narrow = joint_branch.Leaf(1.0, {WETH: (0.9, 1.0), DAI: (0.95, 1.0)}, leaf.ways, many)
    assert joint_branch.children(narrow, root=leaf.box)[0] == (narrow.box, {("0xa", DAI): 1, ("0xb", "0x0"): -1})


def test_splitting_a_wide_box_tightens_the_bound() -> None:
    intents, balances = three_tokens()
    for i in ("0xa", "0xb"):  # WETH within ±20%: one mixture over the whole box is loose
        intents[i] = weights(intents[i].owner, intents[i].tokens, intents[i].target_weight_bps,
                             ((0.8, 1.2), (0.98, 1.02)))
    jis = users(intents, balances)
    whole = joint_mixture.mixture_bound(jis, POOLS, PRICES)
    split = joint_mixture.mixture_bound(jis, POOLS, PRICES, refine_s=3.0)
    assert split.bound_usd < whole.bound_usd - 0.01


def settled_by_the_clearing() -> tuple[list[joint.JointIntent], float]:
    """The three-token batch, and the score (before gas) of what the settle program and the
    clearing settle for it: all three intents."""
    intents, balances = three_tokens()
    jis = users(intents, balances)
    result = joint.solve(jis, POOLS, PRICES, joint.SETTLE)
    wants = {i: joint_want(i, it, result.flows_usd[i], balances[it.owner], PRICES) for i, it in intents.items()}
    route = make_route_fn("milp", POOLS, PRICES, 0, SETTLEMENT, 2**32)
    cleared = clear(wants, intents, balances, PRICES, route, lambda _i: 0)
    assert len(cleared.flows) == 3
    return jis, contributions_usd_at(intents, balances, cleared.flows)


def test_should_lie_above_the_score_of_what_the_clearing_settles() -> None:
    jis, settled = settled_by_the_clearing()
    assert 0 < settled <= joint_mixture.mixture_bound(jis, POOLS, PRICES).bound_usd


def contributions_usd_at(intents: dict[str, Intent], balances: dict, flows: dict) -> float:
    import tests.unit.solver.test_joint as tj

    saved = tj.PRICES
    tj.PRICES = PRICES  # the three-token prices for the shared helper
    try:
        return contributions_usd(intents, balances, flows)
    finally:
        tj.PRICES = saved


def test_should_still_bound_a_solution_whose_prices_leave_the_box() -> None:
    # the USDC users (the common group) signed WETH at 15-20% above today's price (signed before a drop): the box
    # holds no price the DAI user can settle at. Settling the DAI user alone, at reference
    # prices, is a valid solution (the USDC user is left out), and the box's case alone misses it.
    stale = ((1.15, 1.20), (0.999, 1.001))
    intents = {"0xa": weights(OWNERS[0], (USDC, WETH, DAI), (4000, 4000, 2000), stale),
               "0xb": weights(OWNERS[1], (USDC, WETH, DAI), (4000, 4000, 2000), stale),
               "0xc": weights(OWNERS[2], (DAI, WETH), (5000, 5000))}
    balances = {OWNERS[0]: {USDC: 10**6, WETH: 0, DAI: 0}, OWNERS[1]: {USDC: 10**6, WETH: 0, DAI: 0},
                OWNERS[2]: {DAI: 100_000 * ONE, WETH: 0}}
    jis = users(intents, balances)
    alone = joint.solve([ji for ji in jis if ji.id == "0xc"], POOLS, PRICES, joint.FIXED_PRICE).objective_usd
    group = joint_bound.common_group(jis)
    assert sorted(group) == ["0xa", "0xb"]
    box = joint_bound.price_box([ji for ji in jis if ji.id in group], PRICES)
    inside_only = joint_mixture.mixture_case(jis, POOLS, PRICES, group, box, frozenset()).bound_usd
    assert inside_only < alone  # prices inside the box make the DAI user pay 15% more for WETH
    assert joint_mixture.mixture_bound(jis, POOLS, PRICES).bound_usd >= alone


def _arbitrage_batch() -> tuple[Intent, dict[str, dict[str, int]], Liquidity]:
    """One hedger who wants 0-2,000 DAI (S = $1,000) and holds 5M USDC, with a USDC/WETH pair
    whose WETH sits 1% under the feed: an arbitrage far larger than 20 x S pays the user."""
    weth_reserve = int(10_000 * ONE / 0.99)
    pools = Liquidity.from_json({
        "tokens": {USDC: {"symbol": "USDC", "decimals": 6}, WETH: {"symbol": "WETH", "decimals": 18},
                   DAI: {"symbol": "DAI", "decimals": 18}},
        "pools": [_pair("0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc", USDC, WETH, 30_000_000 * 10**6, weth_reserve),
                  _pair("0xAE461cA67B15dc8dc81CE7615e0320dA1A9aB8D5", DAI, USDC, 20_000_000 * ONE, 20_000_000 * 10**6)],
        "native": WETH, "block": 1})
    rel = {t: PRICES[t] * ONE // PRICES[USDC] for t in (WETH, DAI)}
    top = 2**256 - 1
    intent = Intent(OWNERS[0], (USDC, WETH, DAI), (ONE, rel[WETH] * 98 // 100, rel[DAI] * 98 // 100),
                    (ONE, rel[WETH] * 102 // 100, rel[DAI] * 102 // 100), IntentKind.BALANCES,
                    min_balance=(0, 0, 0), max_balance=(top, top, 2_000 * ONE), max_fee_bps=30, valid_to=2**32,
                    nonce=1)
    return intent, {OWNERS[0]: {USDC: 5_000_000 * 10**6, WETH: 0, DAI: 0}}, pools


def test_should_bound_a_settlement_that_sends_a_pool_far_more_than_the_batch_scale() -> None:
    """Found by a review: the bound capped every pool's input at 20 x S, so a settlement that
    arbitrages a mispriced pool for the user scored 2.7x above it. Here an executable solution
    (exact integer V2 swaps, clearing prices that conserve value inside the signed bounds, the
    outcome in its band) sends $100k (100 x S) through the pair; the bound must stay above its score."""
    from keel.units import BPS
    from solver import scoring

    intent, balances, pools = _arbitrage_batch()
    jis = joint.joint_intents(["0xa"], {"0xa": intent}, balances, PRICES, lambda _: 0)
    bound = joint_mixture.mixture_bound(jis, pools, PRICES).bound_usd
    usdc_weth, dai_usdc = pools.pools
    x, y = 100_000 * 10**6, 1_000 * 10**6 * 1004 // 1000
    weth_out, dai_out = usdc_weth.amount_out(USDC, x), dai_usdc.amount_out(USDC, y)
    flows = {USDC: -(x + y), WETH: weth_out, DAI: dai_out}
    clearing = {USDC: PRICES[USDC], WETH: x * PRICES[USDC] // weth_out, DAI: y * PRICES[USDC] // dai_out}
    assert sum(q * clearing[t] for t, q in flows.items()) <= 0  # value conserved at the clearing prices
    assert all(intent.min_price[j] <= clearing[t] * ONE // clearing[USDC] <= intent.max_price[j]
               for j, t in enumerate(intent.tokens))
    before = balances[OWNERS[0]]
    after = {t: before[t] + flows[t] for t in intent.tokens}
    assert 0 <= after[DAI] <= 2_000 * ONE
    progress = scoring.distance_e18(intent, before, PRICES) - scoring.distance_e18(intent, after, PRICES)
    useful = min(scoring.given_e18(flows, PRICES), progress)
    score = (useful * (intent.max_fee_bps + scoring.band_bps(intent, PRICES)) // BPS
             - scoring.cost_e18(flows, PRICES)) / 1e18
    assert score > 20 * 1_000 * 0.0075  # far above what 20 x S of the mispricing pays
    assert bound >= score


def _with_hedger(usdc: int) -> tuple[dict[str, Intent], dict]:
    """Two weights users and a hedger with `usdc` dollars and no WETH who signed 1.0-1.2 WETH."""
    intents, balances = batch([(200_000, 0, 6000), (50_000, 30, 3000)])
    base = intents["0x0"]
    balances[OWNERS[2]] = {USDC: usdc * 10**6, WETH: 0}
    intents["0xh"] = Intent(OWNERS[2], base.tokens, base.min_price, base.max_price, IntentKind.BALANCES,
                            min_balance=(0, 10**18), max_balance=(2**256 - 1, 12 * 10**17), max_fee_bps=30,
                            valid_to=2**32, nonce=1)
    return intents, balances


def _two(intents: dict[str, Intent], balances: dict) -> list[joint.JointIntent]:
    return joint.joint_intents(list(intents), intents, balances, TWO_PRICES, lambda _: 0)


def test_an_intent_no_settlement_brings_into_its_balances_band_adds_nothing_to_the_bound() -> None:
    pools = Liquidity.from_json(liquidity())
    stuck = _two(*_with_hedger(2_000))  # 1 WETH costs ~$3,000 at any price it signed: never in its band
    others = [ji for ji in stuck if ji.id != "0xh"]
    without = joint_mixture.mixture_bound(others, pools, TWO_PRICES).bound_usd
    assert joint_mixture.mixture_bound(stuck, pools, TWO_PRICES).bound_usd == pytest.approx(without, abs=0.01)
    # without the band the program trades its $2,000 anyway and claims allowance on it
    assert joint.solve(stuck, pools, TWO_PRICES, joint.ANY_PRICE).bound_usd > \
        joint.solve(others, pools, TWO_PRICES, joint.ANY_PRICE).bound_usd + 20
    # funded, it settles, and the bound counts it and lies above what the clearing settles
    intents, balances = _with_hedger(5_000)
    bound = joint_mixture.mixture_bound(_two(intents, balances), pools, TWO_PRICES).bound_usd
    assert bound > without + 20
    result = joint.solve(_two(intents, balances), pools, TWO_PRICES, joint.SETTLE)
    wants = {i: joint_want(i, it, result.flows_usd[i], balances[it.owner], TWO_PRICES) for i, it in intents.items()}
    route = make_route_fn("milp", pools, TWO_PRICES, 0, SETTLEMENT, 2**32)
    cleared = clear(wants, intents, balances, TWO_PRICES, route, lambda _i: 0)
    assert "0xh" in cleared.flows
    assert 0 < contributions_usd(intents, balances, cleared.flows) <= bound


def test_a_net_sells_solution_keeps_the_balances_bands_so_a_hedger_short_of_its_band_earns_nothing() -> None:
    """The evidence the bench holds the bound against: a net-sells solution of the fixed-price
    program. Without the balances bands the hedger who cannot afford its band would still trade
    part of the way and earn allowance no settlement earns, and lie above the bound."""
    pools = Liquidity.from_json(liquidity())
    stuck = _two(*_with_hedger(2_000))
    bound = joint_mixture.mixture_bound(stuck, pools, TWO_PRICES).bound_usd
    for weth in (0.99, 1.0, 1.01):  # without the bands: $3,504 at one of them, $28 above the bound
        assert joint_branch.net_fixed_price(stuck, pools, TWO_PRICES, {WETH: weth}) <= bound


def test_a_child_started_from_its_parents_program_matches_one_built_afresh() -> None:
    intents, balances = three_tokens()
    for i in ("0xa", "0xb"):
        intents[i] = weights(intents[i].owner, intents[i].tokens, intents[i].target_weight_bps,
                             ((0.8, 1.2), (0.9, 1.1)))
    jis = users(intents, balances)
    group = joint_bound.common_group(jis)
    box = joint_bound.price_box([ji for ji in jis if ji.id in group], PRICES)
    root = joint_mixture.mixture_case(jis, POOLS, PRICES, group, box, frozenset(), keep=True)
    parent = joint_branch.Leaf(root.bound_usd, dict(box), {}, root.washes, root.state)
    wash = joint_branch.children(parent)  # the wash's two directions
    halves = joint_branch.children(joint_branch.Leaf(root.bound_usd, dict(box), {}, (), root.state))
    for part, ways in wash + halves:
        warm = joint_mixture._warm(parent, part, ways, 60.0)
        cold = joint_mixture.mixture_case(jis, POOLS, PRICES, group, part, frozenset(), ways=ways)
        assert warm.bound_usd == pytest.approx(cold.bound_usd, abs=0.05)
        assert warm.bound_usd <= root.bound_usd + 0.01
    # the wash's "only buys" side is a different program: its bound moved
    assert min(joint_mixture._warm(parent, p, w, 60.0).bound_usd for p, w in wash) < root.bound_usd - 0.1


def test_a_hedger_with_a_huge_finite_cap_does_not_crowd_the_others_out_of_the_batch() -> None:
    """A balances cap of 1e30 wei is finite, so its band's centre (~5e11 WETH) enters the
    distance; the settle program caps the centre at what the intent can hold, so the batch's
    scale stays the batch's and the two weights users still settle what they settle beside a
    sane hedger (a review's finding: before, 1e27 settled one of them and 1e30 none)."""
    pools = Liquidity.from_json(liquidity())

    def settled(cap: int) -> tuple[list[str], float]:
        intents, balances = _with_hedger(5_000)
        hedger = intents["0xh"]
        intents["0xh"] = Intent(hedger.owner, hedger.tokens, hedger.min_price, hedger.max_price, hedger.kind,
                                min_balance=hedger.min_balance, max_balance=(hedger.max_balance[0], cap),
                                max_fee_bps=hedger.max_fee_bps, valid_to=hedger.valid_to, nonce=hedger.nonce)
        result = joint.solve(_two(intents, balances), pools, TWO_PRICES, joint.SETTLE)
        wants = {i: joint_want(i, it, result.flows_usd[i], balances[it.owner], TWO_PRICES) for i, it in intents.items()}
        cleared = clear(wants, intents, balances, TWO_PRICES,
                        make_route_fn("milp", pools, TWO_PRICES, 0, SETTLEMENT, 2**32), lambda _i: 0)
        others = {i: f for i, f in cleared.flows.items() if i != "0xh"}
        assert "0xh" in cleared.flows  # it settles too (its buy trimmed to what its USDC pays: clearing.fit_to_holdings)
        return sorted(others), contributions_usd(intents, balances, others), contributions_usd(intents, balances,
                                                                                            cleared.flows)

    sane, sane_usd, sane_batch_usd = settled(12 * 10**17)
    assert sane == ["0x0", "0x1"]
    for cap in (10**27, 10**30):
        who, usd, batch_usd = settled(cap)
        # the others settle what they settle beside the sane hedger, less the price impact of the
        # hedger's larger buy (1.66 WETH against 1.1: $4 of their $3,465), and the batch scores more
        assert who == sane and usd >= sane_usd * 0.998 and batch_usd > sane_batch_usd
