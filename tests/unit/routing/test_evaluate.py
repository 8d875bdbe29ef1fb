"""Exact evaluation of optimiser flows: a drained V3 pool is filled to its end and the rest
passes on, nothing sold is left behind, and every reported hop replays in the integer math."""

from __future__ import annotations

from routing import synthetic
from routing.evaluate import Ledger, capacity, delivered, flows_to_hops
from routing.pools import V3Pool
from routing.problem import Demands, build


def _world_problem(weth: int):
    """WETH for WBTC on the world: the 0.05% V3 pool holds liquidity only within 10% of the price
    (no full-range tail), so a large order drains it; the V2 pair never runs dry."""
    liq, prices = synthetic.world()
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    problem = build(Demands({sym["WETH"]: weth * 10**18}, {sym["WBTC"]: 0}), liq, prices, 0)
    thin = next(e for e in problem.edges if isinstance(e.pool, V3Pool) and e.pool.fee_pips == 500
                and e.token_in == sym["WETH"] and e.token_out == sym["WBTC"])
    return problem, sym, thin


def test_should_fill_a_drained_pool_to_its_last_tick_and_pass_the_rest_on() -> None:
    problem, sym, thin = _world_problem(2_000)
    deep = next(e for e in problem.edges if e.pool.kind == "v2" and e.token_in == sym["WETH"]
                and e.token_out == sym["WBTC"])
    # ask the thin pool for three times what it can take: it takes exactly its capacity
    most = capacity(thin.pool, sym["WETH"])
    assert most < 2_000 * 10**18 // 3
    flows = {thin.index: 3 * most * thin.in_scale, deep.index: 1.0 - 3 * most * thin.in_scale}
    hops = flows_to_hops(problem, flows)
    by_pool = {h.pool: h for h in hops}
    assert by_pool[thin.pool.address].amount_in == most
    assert by_pool[deep.pool.address].amount_in == 2_000 * 10**18 - most, "the rest passes on: nothing unsold"
    ledger = Ledger(problem.liquidity.pools)
    assert [ledger.apply(h.pool, h.token_in, h.amount_in) for h in hops] == hops


def test_should_refuse_only_the_part_no_pool_can_take() -> None:
    problem, sym, thin = _world_problem(2_000)
    most = capacity(thin.pool, sym["WETH"])
    # the thin pool alone cannot take 2,000 WETH: it is filled, the rest stays with the seller
    hops = flows_to_hops(problem, {thin.index: 1.0})
    assert len(hops) == 1 and hops[0].amount_in == most < 2_000 * 10**18
    assert delivered(hops, [sym["WBTC"]])[sym["WBTC"]] == hops[0].amount_out > 0


def test_should_keep_a_wanted_token_it_passes_through_beyond_what_the_flows_send_on() -> None:
    liq, prices = synthetic.liquidity(11, 60, 6)
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    problem = build(Demands({sym["WETH"]: 100 * 10**18}, {sym["USDC"]: 0, sym["DAI"]: 0}), liq, prices, 0)
    into_usdc = next(e for e in problem.edges if e.token_in == sym["WETH"] and e.token_out == sym["USDC"])
    usdc_dai = next(e for e in problem.edges if e.token_in == sym["USDC"] and e.token_out == sym["DAI"])
    hops = flows_to_hops(problem, {into_usdc.index: 1.0, usdc_dai.index: 0.25})
    got = delivered(hops, [sym["USDC"], sym["DAI"]])
    sent_on = next(h for h in hops if h.token_in == sym["USDC"]).amount_in
    assert sent_on <= int(0.25 / usdc_dai.in_scale) + 1
    assert got[sym["USDC"]] > 2 * sent_on and got[sym["DAI"]] > 0
