"""Pools pushed far from the oracle before a round, on the fork.

keel's users sign price bounds taken from the oracle (± their slippage), and the
settlement refuses any clearing price outside them. So a manipulated pool can only be
avoided: the solver routes through pools that are still honest, or skips the intent and
says why; a solution that trades at the manipulated price is refused on-chain with
`PriceOutOfBounds` before any token moves.
"""

from __future__ import annotations

import pytest

from contracts.interaction import Interaction
from contracts.revert import SettlementReverted
from contracts.settlement import Settlement, make_batch
from routing.math.v2 import get_amount_out
from solver.errors import NoSolution
from solver.strategies.milp import Milp
from solver.translate import outcome_met
from tests.adversarial.chain_support import (
    Swap,
    approve,
    attacker,
    balance,
    fund_weth,
    push_v2,
    push_v3,
    swaps_in,
    v2_reserves,
)
from tests.integration.auction_support import (
    auction_for,
    balances_of,
    settle_solution,
    weights_intent,
)

SELLER = 9  # the whale, ETH-heavy: its intent sells WETH for USDC
STABLES = 6  # USDC and DAI only: its intent never touches WETH
PUSH = 0.7  # pools moved to 70% of the oracle's WETH price


@pytest.fixture()
def manipulator(chain, w3):
    bot = attacker(chain).address
    fund_weth(w3, chain, bot, 500_000 * 10**18)
    for router in (chain.deployment.uniswap.v2_router, chain.deployment.uniswap.swap_router):
        approve(w3, bot, chain.token("WETH"), router)
    return bot


def _sell_weth_intent(chain):
    return weights_intent(chain, SELLER, {"USDC": 20, "WETH": 80})


def _hops(solution, chain) -> set[tuple[str, int, str, str]]:
    """(kind, fee, token in, token out) of every pool swap in the solution."""
    return {(h.kind, h.fee_pips, h.token_in, h.token_out) for h in swaps_in(solution.interactions, chain)}


def test_should_route_around_the_manipulated_pool_and_settle_at_oracle_prices(chain, w3, manipulator) -> None:
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    signed = _sell_weth_intent(chain)
    honest = Milp().solve(auction_for(chain, [signed]), chain.solvers[0].address)
    assert ("v3", 500, weth, usdc) in _hops(honest, chain), "unmanipulated, the deep 0.05% pool carries the trade"

    push_v3(w3, chain, manipulator, weth, usdc, 500, PUSH)
    auction = auction_for(chain, [signed], auction_id=2)
    solution = Milp().solve(auction, chain.solvers[0].address)

    assert ("v3", 500, weth, usdc) not in _hops(solution, chain), "\n".join(solution.stats["route"])
    assert _hops(solution, chain), "the other USDC/WETH pools carry it instead"
    assert settle_solution(chain, auction, solution)["status"] == 1
    ref = auction.reference_prices()
    # the clearing price of WETH is the oracle's (within the user's 1%), not the pushed pool's 70%
    ratio = solution.prices[weth] * ref[usdc] / (solution.prices[usdc] * ref[weth])
    assert 0.99 <= ratio <= 1.01, ratio
    assert outcome_met(signed.intent, balances_of(chain, signed.intent.owner), {}, solution.prices)


def test_reverts_with_price_out_of_bounds_when_a_solution_trades_at_the_manipulated_price(chain, w3, manipulator) -> None:
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    signed = _sell_weth_intent(chain)
    push_v2(w3, chain, manipulator, weth, usdc, PUSH)
    auction = auction_for(chain, [signed])
    owner = signed.intent.owner
    before = balances_of(chain, owner)

    # a solver that dumps the user's WETH into the pushed pair and pays what it returns
    sold = 50 * 10**18
    got = get_amount_out(sold, *v2_reserves(w3, chain, weth, usdc))
    router = chain.deployment.uniswap.v2_router
    swap = Swap("v2", weth, usdc, sold, got)  # the settlement's standing allowance pays the router
    interactions = [Interaction(router, 0, swap.calldata(auction.settlement))]
    p_usdc = auction.reference_prices()[usdc]
    prices = {usdc: p_usdc, weth: p_usdc * got // sold}  # the manipulated pool's price, one uniform price
    batch = make_batch(prices, [(signed.intent.as_tuple(), int(signed.scheme), signed.signature,
                                 {weth: -sold, usdc: got})], interactions)
    settlement = Settlement(w3, auction.settlement)
    with pytest.raises(SettlementReverted) as refused:
        settlement.call(chain.solvers[0].address, batch)
    assert refused.value.name == "PriceOutOfBounds"
    assert refused.value.revert.args["execution"] == 0
    receipt = settlement.send(chain.solvers[0].address, batch, gas=3_000_000)
    assert receipt["status"] == 0
    assert balances_of(chain, owner) == before

    # the acceptance twin: the same auction solved by keel settles, inside the user's bounds
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert settle_solution(chain, auction, solution)["status"] == 1
    assert balance(w3, usdc, owner) > before[usdc]


def _push_every_weth_pool(chain, w3, manipulator) -> None:
    """Every pool WETH trades in, V2 and V3, pushed to 70% of the oracle price of WETH."""
    weth = chain.token("WETH")
    for other in ("USDC", "DAI", "WBTC"):
        push_v2(w3, chain, manipulator, weth, chain.token(other), PUSH)
    for other, fee in (("USDC", 500), ("USDC", 3000), ("USDC", 10000), ("WBTC", 3000), ("WBTC", 500), ("DAI", 3000)):
        push_v3(w3, chain, manipulator, weth, chain.token(other), fee, PUSH)


def test_should_skip_an_intent_every_pool_of_which_is_manipulated_and_say_why(chain, w3, manipulator) -> None:
    seller = _sell_weth_intent(chain)
    _push_every_weth_pool(chain, w3, manipulator)
    with pytest.raises(NoSolution) as skipped:
        Milp().solve(auction_for(chain, [seller]), chain.solvers[0].address)
    # the solver's pool-deviation breaker leaves every pushed pool out, and says so
    assert "left out by the breaker" in str(skipped.value) and "pool-deviation" in str(skipped.value)


def test_should_settle_the_intents_the_manipulation_does_not_touch_in_the_same_round(chain, w3, manipulator) -> None:
    seller = _sell_weth_intent(chain)
    stables = weights_intent(chain, STABLES, {"USDC": 70, "DAI": 30})
    _push_every_weth_pool(chain, w3, manipulator)

    auction = auction_for(chain, [seller, stables])
    solution = Milp().solve(auction, chain.solvers[0].address)
    seller_id = seller.intent.intent_id(chain.chain_id, auction.settlement)
    stables_id = stables.intent.intent_id(chain.chain_id, auction.settlement)
    assert solution.intent_ids == (stables_id,)
    assert "pool-deviation" in solution.stats["dropped"][seller_id]
    assert len(solution.stats["pools_left_out"]) >= 6  # every pushed WETH pool
    before = balances_of(chain, seller.intent.owner)
    assert settle_solution(chain, auction, solution)["status"] == 1
    assert balances_of(chain, seller.intent.owner) == before
    assert outcome_met(stables.intent, balances_of(chain, stables.intent.owner), {}, solution.prices)
