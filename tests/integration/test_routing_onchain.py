"""Routing against the real Uniswap contracts on the fork: the integer math equals the
V2 router and QuoterV2 to the wei, and a MILP route pays exactly what it reported."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contracts import world_spec
from contracts.artifacts import keel, npm
from contracts.world import World
from routing.chain import snapshot
from routing.discovery import discover
from routing.execute import interactions, routers
from routing.pools import Liquidity, V2Pool, V3Pool
from routing.problem import Demands, build
from routing.route import route

QUOTE_GAS = 200_000_000
SWEEP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _discover(world: World) -> Liquidity:
    return snapshot(world.web3(), world.deployment)


def _prices(liq: Liquidity) -> dict[str, int]:
    return {a: round(1e18 * world_spec.USD_PRICE[t.symbol] / 10**t.decimals) for a, t in liq.tokens.items()}


def _crowd_usdc_weth_pool(world: World, fee: int, positions: int, seed: int) -> None:
    """Mint many narrow positions around the price so that swaps cross many initialized ticks."""
    w3 = world.web3()
    pool_addr = world.deployment.v3_pool("USDC", "WETH", fee)
    pool = w3.eth.contract(address=pool_addr, abi=npm("UniswapV3Pool").abi)
    seeder = w3.eth.contract(address=world.deployment.v3_seeder, abi=keel("V3LiquiditySeeder").abi)
    spacing = world_spec.TICK_SPACING[fee]
    tick = pool.functions.slot0().call()[1]
    base_liquidity = pool.functions.liquidity().call()
    rnd = random.Random(seed)
    for _ in range(positions):
        lower = (tick // spacing + rnd.randint(-60, 60)) * spacing
        upper = lower + spacing * rnd.randint(1, 8)
        liquidity = int(base_liquidity * rnd.uniform(0.01, 0.2))
        tx = seeder.functions.mint(pool_addr, lower, upper, liquidity).transact({"from": world.deployer.address})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


@pytest.fixture()
def crowded(chain: World) -> Liquidity:
    _crowd_usdc_weth_pool(chain, 500, 40, seed=1)
    _crowd_usdc_weth_pool(chain, 3000, 25, seed=2)
    return _discover(chain)


def test_should_discover_every_world_pair_and_pool_at_its_address_in_few_requests(chain: World) -> None:
    d = chain.deployment
    stats: dict[str, int] = {}
    liq = discover(chain.web3(), d.token_addresses(), d.uniswap.v2_factory, d.uniswap.v3_factory,
                   native=d.native_token.address, stats=stats)
    # thousands of reads (every bitmap word of 13 pools), in a handful of HTTP round trips
    assert stats["calls"] > 5_000 and stats["requests"] <= 8, stats
    assert len(d.pool_addresses()) == len(world_spec.V2_PAIRS) + len(world_spec.V3_POOLS) == 13
    assert {p.address for p in liq.pools} == d.pool_addresses()
    assert liq.native == d.native_token.address
    for key, addr in d.v3_pools.items():
        pool = liq.pool(addr)
        assert isinstance(pool, V3Pool) and pool.fee_pips == key.fee_pips
        assert {liq.symbol(pool.token0), liq.symbol(pool.token1)} == {key.pair.token0, key.pair.token1}
        assert pool.ticks, "every world pool has initialized ticks"
    assert Liquidity.loads(liq.dumps()).to_json() == liq.to_json()


@SWEEP
@given(data=st.data())
def test_should_equal_the_v2_router_to_the_wei_in_both_directions(chain: World, data: Any) -> None:
    liq = _cached(chain)
    w3 = chain.web3()
    router = w3.eth.contract(address=chain.deployment.uniswap.v2_router, abi=npm("UniswapV2Router02").abi)
    pool = data.draw(st.sampled_from([p for p in liq.pools if isinstance(p, V2Pool)]))
    token_in = data.draw(st.sampled_from([pool.token0, pool.token1]))
    reserve_in = pool.reserve0 if token_in == pool.token0 else pool.reserve1
    reserve_out = pool.reserve1 if token_in == pool.token0 else pool.reserve0
    amount_in = max(1, int(reserve_in * 10 ** data.draw(st.floats(-9, 0.5))))
    out = pool.amount_out(token_in, amount_in)
    path = [token_in, pool.other(token_in)]
    assert router.functions.getAmountsOut(amount_in, path).call()[-1] == out
    want = max(1, int(reserve_out * 10 ** data.draw(st.floats(-9, -0.05))))
    assert router.functions.getAmountsIn(want, path).call()[0] == pool.amount_in(token_in, want)


_CACHE: dict[str, Liquidity] = {}


def _cached(world: World) -> Liquidity:
    # the world does not change between examples (quotes are eth_calls): read it once
    if world.rpc_url not in _CACHE:
        _CACHE[world.rpc_url] = _discover(world)
    return _CACHE[world.rpc_url]


def test_should_hold_the_same_pools_and_prices_as_the_in_memory_world(chain: World) -> None:
    from routing import chain as routing_chain
    from routing import synthetic

    liq = _cached(chain)
    memory, prices = synthetic.world()  # what bench/routing.py and the unit tests route over
    assert {p.address: p.to_json() for p in liq.pools} == {p.address: p.to_json() for p in memory.pools}
    assert routing_chain.oracle_prices(chain.web3(), chain.deployment, liq) == prices


def test_should_equal_quoter_v2_to_the_wei_across_many_ticks_in_both_directions(crowded: Liquidity, chain: World) -> None:
    w3 = chain.web3()
    quoter = w3.eth.contract(address=chain.deployment.uniswap.quoter, abi=npm("QuoterV2").abi)
    crowded_pools = [crowded.pool(chain.deployment.v3_pool("USDC", "WETH", fee)) for fee in (500, 3000)]
    assert all(isinstance(p, V3Pool) and len(p.ticks) >= 30 for p in crowded_pools)
    # the crowded pools twice as often, and every other world pool (fee tiers 100 .. 10000)
    pools = crowded_pools * 2 + [p for p in crowded.pools if isinstance(p, V3Pool) and p not in crowded_pools]
    assert {p.fee_pips for p in pools} == {100, 500, 3000, 10000}
    tightest = next(i for i, p in enumerate(pools) if p.fee_pips == 100)
    crossings: list[int] = []

    @settings(max_examples=60, deadline=None, database=None)
    @given(pool_index=st.integers(0, len(pools) - 1), zero_for_one=st.booleans(), log_size=st.floats(-4.0, 1.0))
    # pool-moving sizes on both crowded pools in both directions, whatever the draw
    @example(pool_index=0, zero_for_one=True, log_size=1.0)
    @example(pool_index=0, zero_for_one=False, log_size=1.0)
    @example(pool_index=1, zero_for_one=True, log_size=1.0)
    @example(pool_index=1, zero_for_one=False, log_size=1.0)
    @example(pool_index=tightest, zero_for_one=False, log_size=1.0)  # drains a tick-spacing-1 pool
    @example(pool_index=tightest, zero_for_one=True, log_size=1.0)
    def sweep(pool_index: int, zero_for_one: bool, log_size: float) -> None:
        pool = pools[pool_index]
        token_in = pool.token0 if zero_for_one else pool.token1
        whole = 10 ** crowded.tokens[token_in].decimals
        usd = world_spec.USD_PRICE[crowded.tokens[token_in].symbol]
        amount_in = int(whole * 1_000_000 / usd * 10**log_size)  # $100 .. $10M
        # past a pool's last position the pool (and the quoter) fill what they can: so do we
        mine = pool.swap(token_in, amount_in, allow_partial=True)
        # draining a tick-spacing-1 pool walks ~3,500 empty bitmap words (~34M gas): lift eth_call's cap
        theirs = quoter.functions.quoteExactInputSingle(
            (token_in, pool.other(token_in), amount_in, pool.fee_pips, 0)).call({"gas": QUOTE_GAS})
        assert theirs[0] == mine.amount_out
        assert theirs[1] == mine.sqrt_price_x96
        crossings.append(mine.ticks_crossed)
        if mine.amount_out < 3:
            return
        want = mine.amount_out // 3 + 1
        needed = quoter.functions.quoteExactOutputSingle(
            (token_in, pool.other(token_in), want, pool.fee_pips, 0)).call({"gas": QUOTE_GAS})[0]
        assert needed == pool.amount_in(token_in, want)

    sweep()
    assert max(crossings) >= 20, f"the sweep must cross many ticks, crossed at most {max(crossings)}"


def _erc20(w3: Any, address: str) -> Any:
    return w3.eth.contract(address=address, abi=keel("WorldToken").abi)


def test_should_pay_exactly_what_the_milp_route_reported_when_executed(chain: World) -> None:
    w3 = chain.web3()
    liq = _discover(chain)
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    trader = chain.users[9].address  # the whale: 1000 WETH
    sell = 4_000 * 10**18
    w3.provider.make_request("anvil_setBalance", [trader, hex(10_000 * 10**18)])
    deposit = w3.eth.contract(address=weth, abi=npm("WETH9").abi).functions.deposit()
    w3.eth.wait_for_transaction_receipt(deposit.transact({"from": trader, "value": sell}))
    result = route(Demands({weth: sell}, {usdc: 0}), liq, _prices(liq), "milp", gas_price_wei=10**9)
    assert len({h.pool for h in result.hops}) >= 2, "a pool-moving trade is split"
    assert result.sold[weth] == sell
    before = {t: _erc20(w3, t).functions.balanceOf(trader).call() for t in (weth, usdc)}
    gas_used = 0
    for ix in interactions(result.hops, routers(chain.deployment.uniswap), trader):
        tx = w3.eth.send_transaction({"from": trader, "to": ix.target, "data": "0x" + ix.call_data.hex()})
        receipt = w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        gas_used += receipt["gasUsed"] - 21_000
    after = {t: _erc20(w3, t).functions.balanceOf(trader).call() for t in (weth, usdc)}
    assert after[usdc] - before[usdc] == result.delivered[usdc]
    assert before[weth] - after[weth] == sell
    # the gas model (per hop: approve + swap) is an estimate; it stays within 20% of what was measured
    assert 0.8 * gas_used <= result.gas_units <= 1.2 * gas_used, (gas_used, result.gas_units)


def test_should_pay_exactly_what_a_pool_filled_to_its_last_tick_reported(chain: World) -> None:
    from routing.evaluate import capacity, flows_to_hops

    w3 = chain.web3()
    liq = _discover(chain)
    weth, wbtc = chain.token("WETH"), chain.token("WBTC")
    trader = chain.users[9].address
    sell = 2_000 * 10**18
    w3.provider.make_request("anvil_setBalance", [trader, hex(10_000 * 10**18)])
    deposit = w3.eth.contract(address=weth, abi=npm("WETH9").abi).functions.deposit()
    w3.eth.wait_for_transaction_receipt(deposit.transact({"from": trader, "value": sell}))
    problem = build(Demands({weth: sell}, {wbtc: 0}), liq, _prices(liq), 0)
    # the 0.05% WBTC/WETH pool holds liquidity only within 10% of its price: ask it for three
    # times what it can take, so the exact evaluation fills it to its last tick (a partial fill)
    thin = next(e for e in problem.edges if e.pool.address == chain.deployment.v3_pool("WBTC", "WETH", 500)
                and e.token_in == weth)
    deep = next(e for e in problem.edges if e.pool.address == chain.deployment.v2_pair("WBTC", "WETH") and e.token_in == weth)
    most = capacity(thin.pool, weth)
    hops = flows_to_hops(problem, {thin.index: 3 * most * thin.in_scale, deep.index: 1.0 - 3 * most * thin.in_scale})
    assert [h.amount_in for h in hops if h.pool == thin.pool.address] == [most]
    before = {t: _erc20(w3, t).functions.balanceOf(trader).call() for t in (weth, wbtc)}
    for ix in interactions(hops, routers(chain.deployment.uniswap), trader):
        tx = w3.eth.send_transaction({"from": trader, "to": ix.target, "data": "0x" + ix.call_data.hex()})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    after = {t: _erc20(w3, t).functions.balanceOf(trader).call() for t in (weth, wbtc)}
    assert before[weth] - after[weth] == sell
    assert after[wbtc] - before[wbtc] == sum(h.amount_out for h in hops)
    # WETH is the pool's token1: the price went up to the last initialized tick and no further
    pool = w3.eth.contract(address=thin.pool.address, abi=npm("UniswapV3Pool").abi)
    assert pool.functions.slot0().call()[1] == max(t for t, _ in thin.pool.ticks)
    assert pool.functions.liquidity().call() == 0, "drained: no liquidity left in range"


def test_should_route_on_the_live_chain_from_the_command_line(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tests.helpers import run_cli

    monkeypatch.setenv("KEEL_HOME", str(tmp_path / ".keel"))
    up = run_cli(capsys, "chain", "up", "--json")
    assert up.code == 0, up.err
    try:
        saved = tmp_path / "liquidity.json"
        res = run_cli(capsys, "route", "--sell", "WETH=500", "--buy", "USDC", "--json", "--save-snapshot", str(saved))
        assert res.code == 0, res.err
        data = json.loads(res.out)
        assert data["hops"] and data["gap_bps"] is not None and data["gap_bps"] < 1.0
        assert int(data["sold"]["WETH"]) == 500 * 10**18 and int(data["delivered"]["USDC"]) > 1_400_000 * 10**6
        assert Liquidity.loads(saved.read_text()).pools
        table = run_cli(capsys, "route", "--sell", "WETH=500", "--buy", "USDC", "--method", "single-pool")
        assert table.code == 0 and "gap to the bound" in table.out
        bad = run_cli(capsys, "route", "--sell", "WETH=0", "--buy", "USDC")
        assert bad.code == 2 and bad.err.count("\n") == 1 and "--sell" in bad.err
    finally:
        assert run_cli(capsys, "chain", "down").code == 0


def test_should_price_tokens_from_the_oracle_feeds_or_from_the_pools_without_them(chain: World) -> None:
    import dataclasses

    from keel.units import USD_PRICE_SCALE
    from routing import chain as routing_chain

    w3 = chain.web3()
    liq = _cached(chain)
    with_feeds = routing_chain.oracle_prices(w3, chain.deployment, liq)
    bare = dataclasses.replace(chain.deployment, feeds={})
    from_pools = routing_chain.oracle_prices(w3, bare, liq)
    for address, info in liq.tokens.items():
        usd = world_spec.USD_PRICE[info.symbol]
        assert abs(with_feeds[address] / (usd * USD_PRICE_SCALE / 10**info.decimals) - 1) < 1e-12
        assert abs(from_pools[address] / with_feeds[address] - 1) < 0.005
