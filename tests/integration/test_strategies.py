"""Both strategies on real auctions over the fork: solutions that settle and deliver every outcome."""

from __future__ import annotations

from contracts.artifacts import npm
from solver.strategies.baseline import Baseline
from solver.strategies.milp import Milp
from solver.translate import outcome_met
from tests.integration.auction_support import (
    auction_for,
    balances_of,
    hedge_intent,
    settle_solution,
    weights_intent,
)


def _offsetting_batch(world):
    # user 0 is ETH-heavy and wants less ETH; user 1 is cash-heavy and wants more: their flows offset
    return [
        weights_intent(world, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}),
        weights_intent(world, 1, {"USDC": 40, "WETH": 50, "WBTC": 10}),
        weights_intent(world, 3, {"USDC": 20, "WETH": 60, "DAI": 20}),
        hedge_intent(world, 4, book_delta=-8.0),  # short calls: delta -8 + 5 WETH held = -3, needs +1 WETH to reach 0±2
    ]


def test_milp_settles_an_offsetting_batch_and_every_user_ends_inside_their_outcome(chain) -> None:
    signed = _offsetting_batch(chain)
    auction = auction_for(chain, signed)
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert len(solution.executions) == len(signed)
    assert solution.stats["matched_share"] > 0.2  # a real part of the volume was netted between users
    receipt = settle_solution(chain, auction, solution)
    assert receipt["status"] == 1
    for s in signed:
        after = balances_of(chain, s.intent.owner)
        before = auction.balances[s.intent.owner]
        flows = next(e.flows for e in solution.executions if e.intent_id == s.intent.intent_id(chain.chain_id, auction.settlement))
        assert all(after[t] == before[t] + flows.get(t, 0) for t in after if t in s.intent.tokens)
        assert outcome_met(s.intent, after, {}, solution.prices)


def test_baseline_solution_is_valid_but_leaves_conflicting_intents_and_scores_lower(chain) -> None:
    signed = _offsetting_batch(chain)
    auction = auction_for(chain, signed)
    baseline = Baseline().solve(auction, chain.solvers[0].address)
    milp = Milp().solve(auction, chain.solvers[0].address)
    assert 0 < len(baseline.executions) < len(milp.executions)
    assert milp.score_e18 > baseline.score_e18
    receipt = settle_solution(chain, auction, baseline)
    assert receipt["status"] == 1


def test_batching_an_offsetting_batch_costs_users_less_than_routing_each_intent_alone(chain) -> None:
    from solver.savings import compare

    signed = _offsetting_batch(chain)
    auction = auction_for(chain, signed)
    milp = Milp().solve(auction, chain.solvers[0].address)
    savings = compare(auction, milp, chain.solvers[0].address)
    assert savings.alone_unsettled == ()
    assert savings.batch_cost_usd < savings.alone_cost_usd
    assert savings.saved_usd > 0.25 * savings.alone_cost_usd  # netting removes a real share of the cost


def test_milp_splits_a_large_residual_across_pools_and_still_nets_the_offsetting_part(chain) -> None:

    w3 = chain.web3()
    whale = chain.users[9].address
    w3.provider.make_request("anvil_setBalance", [whale, hex(6_000 * 10**18)])
    weth = w3.eth.contract(address=chain.token("WETH"), abi=npm("WETH9").abi)
    w3.eth.wait_for_transaction_receipt(weth.functions.deposit().transact({"from": whale, "value": 4_000 * 10**18}))
    signed = [
        weights_intent(chain, 9, {"USDC": 80, "WETH": 20}),  # the whale, now 5,000 WETH, sells ~$11M of it
        weights_intent(chain, 1, {"USDC": 50, "WETH": 40, "WBTC": 10}),  # cash-heavy: buys WETH
    ]
    auction = auction_for(chain, signed)
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert len(solution.executions) == 2
    weth_pools = {line.split(" via ")[1] for line in solution.stats["route"] if " WETH -> " in line}
    assert len(weth_pools) >= 2, solution.stats["route"]  # split routing, not one pool
    assert 0 < solution.stats["matched_share"] < 1
    assert settle_solution(chain, auction, solution)["status"] == 1
    for s in signed:
        assert outcome_met(s.intent, balances_of(chain, s.intent.owner), {}, solution.prices)
