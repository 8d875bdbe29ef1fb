"""The CREATE2 arithmetic that puts the world's pairs and pools at mainnet's addresses (no chain)."""

from __future__ import annotations

from contracts import mainnet, world_spec


def test_v2_pair_addresses_equal_the_ones_mainnet_has() -> None:
    for (a, b), address in mainnet.KNOWN_V2_PAIRS.items():
        assert mainnet.v2_pair_address(mainnet.TOKENS[a], mainnet.TOKENS[b]) == address
        assert mainnet.v2_pair_address(mainnet.TOKENS[b], mainnet.TOKENS[a]) == address  # order-free


def test_v3_pool_addresses_equal_the_ones_mainnet_has_and_depend_on_the_fee() -> None:
    for (a, b, fee), address in mainnet.KNOWN_V3_POOLS.items():
        assert mainnet.v3_pool_address(mainnet.TOKENS[a], mainnet.TOKENS[b], fee) == address
    usdc, weth = mainnet.TOKENS["USDC"], mainnet.TOKENS["WETH"]
    assert mainnet.v3_pool_address(usdc, weth, 500) != mainnet.v3_pool_address(usdc, weth, 3000)


def test_world_prices_put_eth_and_btc_where_the_design_says() -> None:
    # USDC is token0 of USDC/WETH: the pool price is WETH wei per USDC base unit
    price = world_spec.price_token1_per_token0("USDC", "WETH")
    assert abs(1 / price * 10**12 - 3000) < 1e-6
    lower, upper = world_spec.position_ticks(price, 0.02, 500)
    assert lower % 10 == 0 and upper % 10 == 0 and lower < world_spec.tick_at(price) < upper


def test_liquidity_for_value_scales_linearly_with_the_value_asked_for() -> None:
    price = world_spec.price_token1_per_token0("USDC", "WETH")
    lo, hi = world_spec.position_ticks(price, 0.1, 3000)
    one = world_spec.liquidity_for_value(price, lo, hi, 10**21)
    two = world_spec.liquidity_for_value(price, lo, hi, 2 * 10**21)
    assert abs(two / one - 2) < 1e-9
