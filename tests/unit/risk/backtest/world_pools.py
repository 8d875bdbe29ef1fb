"""A snapshot shaped like the world's USDC/WETH liquidity, built in memory from world_spec
(the same depths and tick ranges the chain world seeds), for unit tests without a chain."""

from __future__ import annotations

from contracts import mainnet, world_spec
from routing.math import tick as tick_math
from routing.pools import Liquidity, Token, V2Pool, v3_pool

USDC, WETH = mainnet.TOKENS["USDC"], mainnet.TOKENS["WETH"]


def usdc_weth(scale: float = 1.0) -> Liquidity:
    tokens = {USDC: Token(USDC, "USDC", 6), WETH: Token(WETH, "WETH", 18)}
    pools: list = []
    for pair in world_spec.V2_PAIRS:
        if {pair.a, pair.b} == {"USDC", "WETH"}:
            half = pair.tvl_usd * scale / 2
            pools.append(V2Pool("0x" + "11" * 20, USDC, WETH, world_spec.base_units("USDC", half),
                                world_spec.base_units("WETH", half / world_spec.USD_PRICE["WETH"])))
    price = world_spec.price_token1_per_token0("USDC", "WETH")
    sqrt_x96 = world_spec.sqrt_price_x96(price)
    tick = tick_math.tick_at_sqrt_ratio(sqrt_x96)
    for n, spec in enumerate(world_spec.V3_POOLS):
        if {spec.a, spec.b} != {"USDC", "WETH"}:
            continue
        value1 = spec.tvl_usd * scale / world_spec.USD_PRICE["WETH"] * 10**18
        net: dict[int, int] = {}
        active = 0
        for half_width, share in spec.ranges:
            lo, hi = world_spec.position_ticks(price, half_width, spec.fee)
            liq = world_spec.liquidity_for_value(price, lo, hi, value1 * share)
            net[lo] = net.get(lo, 0) + liq
            net[hi] = net.get(hi, 0) - liq
            if lo <= tick < hi:
                active += liq
        pools.append(v3_pool(f"0x{n + 20:040x}", USDC, WETH, spec.fee, world_spec.TICK_SPACING[spec.fee],
                             sqrt_x96, tick, active, net.items()))
    return Liquidity(tokens, tuple(pools), native=WETH)
