"""The mainnet-shaped world on the fork: addresses, real swaps, restarts."""

from __future__ import annotations

from contracts import chain as chain_mod
from contracts import mainnet, world_spec
from contracts.artifacts import keel, npm
from contracts.world import World


def _erc20(w3, address):
    return w3.eth.contract(address=address, abi=keel("WorldToken").abi)


def test_pair_and_pool_addresses_equal_mainnet_create2_addresses(chain: World) -> None:
    w3 = chain.web3()
    v2 = w3.eth.contract(address=chain.deployment.uniswap.v2_factory, abi=npm("UniswapV2Factory").abi)
    v3 = w3.eth.contract(address=chain.deployment.uniswap.v3_factory, abi=npm("UniswapV3Factory").abi)
    for pair in world_spec.V2_PAIRS:
        a, b = chain.token(pair.a), chain.token(pair.b)
        assert v2.functions.getPair(a, b).call() == mainnet.v2_pair_address(a, b) == chain.deployment.v2_pair(pair.a, pair.b)
    for pool in world_spec.V3_POOLS:
        a, b = chain.token(pool.a), chain.token(pool.b)
        assert (v3.functions.getPool(a, b, pool.fee).call() == mainnet.v3_pool_address(a, b, pool.fee)
                == chain.deployment.v3_pool(pool.b, pool.a, pool.fee))  # either token order names the pool
    for (a, b), address in mainnet.KNOWN_V2_PAIRS.items():
        assert v2.functions.getPair(chain.token(a), chain.token(b)).call() == address
    for (a, b, fee), address in mainnet.KNOWN_V3_POOLS.items():
        assert v3.functions.getPool(chain.token(a), chain.token(b), fee).call() == address


def test_tokens_and_feeds_sit_at_mainnet_addresses_with_mainnet_decimals(chain: World) -> None:
    w3 = chain.web3()
    for symbol, address in mainnet.TOKENS.items():
        token = _erc20(w3, address)
        assert token.functions.decimals().call() == world_spec.DECIMALS[symbol]
        assert token.functions.symbol().call() == symbol
    feed_abi = keel("PriceFeed").abi
    latest = w3.eth.get_block("latest")["timestamp"]
    for symbol, address in mainnet.FEEDS.items():
        feed = w3.eth.contract(address=address, abi=feed_abi)
        _, answer, _, updated_at, _ = feed.functions.latestRoundData().call()
        assert feed.functions.decimals().call() == 8
        assert answer == world_spec.feed_answer(symbol)
        assert latest - updated_at < mainnet.FEED_HEARTBEAT_S[symbol]


def test_v3_pools_hold_liquidity_in_several_tick_ranges(chain: World) -> None:
    w3 = chain.web3()
    pool = w3.eth.contract(address=chain.deployment.v3_pool("USDC", "WETH", 500), abi=npm("UniswapV3Pool").abi)
    tick = pool.functions.slot0().call()[1]
    spec = next(p for p in world_spec.V3_POOLS if (p.a, p.b, p.fee) == ("USDC", "WETH", 500))
    price = world_spec.price_token1_per_token0("USDC", "WETH")
    boundaries = {t for hw, _ in spec.ranges for t in world_spec.position_ticks(price, hw, 500)}
    initialized = [t for t in boundaries if pool.functions.ticks(t).call()[0] > 0]
    assert len(initialized) == len(boundaries) >= 6
    assert any(t < tick for t in initialized) and any(t > tick for t in initialized)


def test_users_hold_different_portfolios(chain: World) -> None:
    w3 = chain.web3()
    holdings = []
    for user, portfolio in zip(chain.users, world_spec.USER_PORTFOLIOS, strict=True):
        held = {s: _erc20(w3, chain.token(s)).functions.balanceOf(user.address).call() for s in world_spec.DECIMALS}
        assert held == {s: world_spec.base_units(s, portfolio.get(s, 0)) for s in world_spec.DECIMALS}
        assert w3.eth.get_balance(user.address) > 0
        holdings.append(tuple(sorted(held.items())))
    assert len(set(holdings)) == 10


def test_v2_router_swap_pays_exactly_the_quote(chain: World) -> None:
    w3 = chain.web3()
    user = chain.users[0].address
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    router = w3.eth.contract(address=chain.deployment.uniswap.v2_router, abi=npm("UniswapV2Router02").abi)
    amount_in = 7 * 10**18 + 12345
    quoted = router.functions.getAmountsOut(amount_in, [weth, usdc]).call()[-1]
    before_weth = _erc20(w3, weth).functions.balanceOf(user).call()
    before_usdc = _erc20(w3, usdc).functions.balanceOf(user).call()
    _erc20(w3, weth).functions.approve(router.address, amount_in).transact({"from": user})
    tx = router.functions.swapExactTokensForTokens(amount_in, quoted, [weth, usdc], user, 2**32 - 1).transact({"from": user})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert _erc20(w3, usdc).functions.balanceOf(user).call() - before_usdc == quoted
    assert before_weth - _erc20(w3, weth).functions.balanceOf(user).call() == amount_in


def test_v3_swap_router_pays_exactly_the_quoter_v2_quote_across_ticks(chain: World) -> None:
    w3 = chain.web3()
    user = chain.users[5].address  # the fund: large enough to cross ticks
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    quoter = w3.eth.contract(address=chain.deployment.uniswap.quoter, abi=npm("QuoterV2").abi)
    router = w3.eth.contract(address=chain.deployment.uniswap.swap_router, abi=npm("SwapRouter").abi)
    amount_in = 400_000 * 10**6
    quoted, _, ticks_crossed, _ = quoter.functions.quoteExactInputSingle((usdc, weth, amount_in, 10000, 0)).call()
    assert ticks_crossed >= 1
    before = _erc20(w3, weth).functions.balanceOf(user).call()
    _erc20(w3, usdc).functions.approve(router.address, amount_in).transact({"from": user})
    params = (usdc, weth, 10000, user, 2**32 - 1, amount_in, quoted, 0)
    tx = router.functions.exactInputSingle(params).transact({"from": user})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert _erc20(w3, weth).functions.balanceOf(user).call() - before == quoted


def test_world_survives_a_restart_from_its_state_file(world: World) -> None:
    def snapshot(w: World) -> dict:
        w3 = w.web3()
        pair_abi = npm("UniswapV2Pair").abi
        pool_abi = npm("UniswapV3Pool").abi
        out: dict = {"deployment": w.deployment}
        for pair, address in w.deployment.v2_pairs.items():
            out[pair.label] = w3.eth.contract(address=address, abi=pair_abi).functions.getReserves().call()[:2]
        for key, address in w.deployment.v3_pools.items():
            pool = w3.eth.contract(address=address, abi=pool_abi)
            out[key.label] = (pool.functions.slot0().call()[:2], pool.functions.liquidity().call())
        for user in w.users:
            out[user.address] = [_erc20(w3, w.token(s)).functions.balanceOf(user.address).call() for s in world_spec.DECIMALS]
        return out

    with chain_mod.running() as second:
        assert snapshot(second.world()) == snapshot(world)
