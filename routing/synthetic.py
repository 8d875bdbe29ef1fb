"""Seeded, mainnet-shaped synthetic liquidity for tests and `bench/routing.py`.

A few hub tokens (priced like WETH, USDC, DAI, WBTC) and a long tail; pools sit mostly
on hub pairs, as on mainnet, in V2 and in the four V3 fee tiers, each priced at the
tokens' reference prices, dislocated by at most half its fee (so no cycle pays), with a value spread over several tick
ranges and a thin full-range tail. Same seed, same instance. `world()` is the local chain
world (`contracts.world_spec`) built in memory, pool for pool as `contracts.world` seeds it.
Pure.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from eth_utils import keccak, to_checksum_address

from keel.units import USD_PRICE_SCALE
from routing.math.tick import MAX_TICK, MIN_TICK, tick_at_sqrt_ratio
from routing.pools import Liquidity, Pool, Token, V2Pool, v3_pool
from routing.problem import Demands

HUBS = (("WETH", 3000.0, 18), ("USDC", 1.0, 6), ("DAI", 1.0, 18), ("WBTC", 60000.0, 8))
FEE_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
# (kind, fee pips; None for V2), drawn uniformly: 0.3% twice, as on mainnet
VENUES: tuple[tuple[str, int | None], ...] = (
    ("v2", None), ("v3", 100), ("v3", 500), ("v3", 3000), ("v3", 3000), ("v3", 10000))


@dataclass(frozen=True)
class Instance:
    liquidity: Liquidity
    prices: dict[str, int]  # keel.units.UsdPrice: USD per base unit × 1e36
    demands: Demands
    usd: float  # the trade's size in USD


def _address(*parts: object) -> str:
    return to_checksum_address(keccak(text=":".join(map(str, parts)))[12:])


def _tokens(rnd: random.Random, n: int) -> tuple[list[Token], dict[str, float]]:
    tokens, usd = [], {}
    for i in range(n):
        if i < len(HUBS):
            symbol, price, decimals = HUBS[i]
        else:
            symbol, price, decimals = f"TK{i}", 10 ** rnd.uniform(-2, 3), rnd.choice((18, 18, 18, 6, 8))
        t = Token(_address("token", symbol), symbol, decimals)
        tokens.append(t)
        usd[t.address] = price / 10**decimals
    return tokens, usd


def _v3(rnd: random.Random, address: str, t0: str, t1: str, fee: int, price: float, tvl_usd: float,
        usd1: float) -> Pool:
    spacing = FEE_SPACING[fee]
    sqrt_price = int(math.sqrt(price) * 2**96)
    tick = tick_at_sqrt_ratio(sqrt_price)
    value1 = tvl_usd / usd1
    widths = sorted(rnd.uniform(0.003, 0.5) for _ in range(rnd.randint(1, 3)))
    shares = [rnd.uniform(0.5, 1.0) for _ in widths] + [0.1]
    total = sum(shares)
    nets: dict[int, int] = {}
    active = 0
    for width, share in zip([*widths, None], shares, strict=True):
        if width is None:
            lo, hi = -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing
        else:
            lo = math.floor(math.log(price * (1 - width), 1.0001) / spacing) * spacing
            hi = math.ceil(math.log(price * (1 + width), 1.0001) / spacing) * spacing
        lo, hi = max(lo, -(MAX_TICK // spacing) * spacing), min(hi, (MAX_TICK // spacing) * spacing)
        if not lo <= tick < hi:
            continue
        sp, sa, sb = math.sqrt(price), math.sqrt(1.0001**lo), math.sqrt(1.0001**hi)
        per_l = (sb - sp) / (sp * sb) * price + (sp - sa)
        liquidity = int(value1 * share / total / per_l)
        nets[lo] = nets.get(lo, 0) + liquidity
        nets[hi] = nets.get(hi, 0) - liquidity
        active += liquidity
    assert MIN_TICK <= tick <= MAX_TICK
    return v3_pool(address, t0, t1, fee, spacing, sqrt_price, tick, active, nets.items())


def liquidity(seed: int, n_pools: int, n_tokens: int) -> tuple[Liquidity, dict[str, int]]:
    """`n_pools` pools over `n_tokens` tokens, and 1e18-scaled USD reference prices."""
    rnd = random.Random(seed)
    tokens, usd = _tokens(rnd, n_tokens)
    hubs = tokens[: min(len(HUBS), n_tokens)]
    pools: list[Pool] = []
    seen: set[tuple[str, str, tuple[object, ...]]] = set()
    attempts = 0
    while len(pools) < n_pools and attempts < n_pools * 50:
        attempts += 1
        a = rnd.choice(hubs) if rnd.random() < 0.8 else rnd.choice(tokens)
        b = rnd.choice(tokens)
        if a == b:
            continue
        t0, t1 = sorted((a.address, b.address), key=lambda s: int(s, 16))
        venue = rnd.choice(VENUES)
        if (t0, t1, venue) in seen:
            continue
        seen.add((t0, t1, venue))
        hub_pair = a in hubs and b in hubs
        tvl = 10 ** rnd.uniform(6.5, 8) if hub_pair else 10 ** rnd.uniform(4.5, 7)
        # arbitrageurs keep a pool within half its fee of the market: no cycle pays
        kind, fee_pips = venue
        fee = 0.003 if fee_pips is None else fee_pips / 1e6
        dislocation = 1 + rnd.uniform(-0.5, 0.5) * fee
        price = usd[t0] / usd[t1] * dislocation  # token1 base units per token0 base unit
        address = _address("pool", t0, t1, kind, *(() if fee_pips is None else (fee_pips,)))
        if fee_pips is None:
            r0 = int(tvl / 2 / usd[t0])
            r1 = int(r0 * price)
            pools.append(V2Pool(address, t0, t1, r0, r1))
        else:
            pools.append(_v3(rnd, address, t0, t1, fee_pips, price, tvl, usd[t1]))
    prices = {t: round(USD_PRICE_SCALE * p) for t, p in usd.items()}
    liq = Liquidity({t.address: t for t in tokens}, tuple(pools), 0, tokens[0].address, f"synthetic seed {seed}")
    return liq, prices


def trade(seed: int, liq: Liquidity, prices: dict[str, int], usd: float | None = None) -> Instance:
    """One pair order between two tokens that some pool path joins, sized tiny to pool-moving."""
    rnd = random.Random(seed * 7919 + 1)
    traded = sorted({t for p in liq.pools for t in (p.token0, p.token1)})
    size = usd if usd is not None else 10 ** rnd.uniform(1, 7)
    sell, buy = rnd.sample(traded, 2)
    amount = max(1, int(size * USD_PRICE_SCALE / prices[sell]))
    return Instance(liq, prices, Demands({sell: amount}, {buy: 0}), size)


def routable(seed: int, count: int, n_pools: int, n_tokens: int) -> list[Instance]:
    """`count` instances whose order some path can carry (others are redrawn, deterministically:
    instance k of seed s is drawn from seed s * 100_003 + k)."""
    from routing.errors import NoLiquidityError
    from routing.route import route

    out: list[Instance] = []
    k = 0
    while len(out) < count and k < count * 20:
        liq, prices = liquidity(seed * 100_003 + k, n_pools, n_tokens)
        inst = trade(seed * 100_003 + k, liq, prices)
        k += 1
        try:
            route(inst.demands, liq, prices, "single-path", with_bound=False)
        except NoLiquidityError:
            continue
        out.append(inst)
    return out


def world() -> tuple[Liquidity, dict[str, int]]:
    """The mainnet-shaped world's pools (`contracts.world_spec`) at their mainnet addresses, in
    memory, and its oracle prices (`UsdPrice`, USD per base unit × 1e36): the same reserves,
    positions and liquidity `contracts.world` creates on chain, without a chain.
    (tests/integration/test_routing_onchain.py checks it against discovery on the fork.)"""
    from contracts import mainnet, world_spec
    from keel.units import usd_price_from_feed

    tokens = {mainnet.TOKENS[s]: Token(mainnet.TOKENS[s], s, d) for s, d in world_spec.DECIMALS.items()}
    pools: list[Pool] = []
    for pair in world_spec.V2_PAIRS:
        a, b = mainnet.TOKENS[pair.a], mainnet.TOKENS[pair.b]
        half = pair.tvl_usd / 2
        amount = {a: world_spec.base_units(pair.a, half / world_spec.USD_PRICE[pair.a]),
                  b: world_spec.base_units(pair.b, half / world_spec.USD_PRICE[pair.b])}
        t0, t1 = mainnet.sort_tokens(a, b)
        pools.append(V2Pool(mainnet.v2_pair_address(a, b), t0, t1, amount[t0], amount[t1]))
    for spec in world_spec.V3_POOLS:
        a, b = mainnet.TOKENS[spec.a], mainnet.TOKENS[spec.b]
        t0, t1 = mainnet.sort_tokens(a, b)
        sym0, sym1 = (spec.a, spec.b) if t0 == a else (spec.b, spec.a)
        price = world_spec.price_token1_per_token0(sym0, sym1)
        sqrt_price = world_spec.sqrt_price_x96(price)
        tick = tick_at_sqrt_ratio(sqrt_price)
        value1 = spec.tvl_usd / world_spec.USD_PRICE[sym1] * 10 ** world_spec.DECIMALS[sym1]
        nets: dict[int, int] = {}
        active = 0
        for half_width, share in spec.ranges:
            lo, hi = world_spec.position_ticks(price, half_width, spec.fee)
            liquidity = world_spec.liquidity_for_value(price, lo, hi, value1 * share)
            nets[lo] = nets.get(lo, 0) + liquidity
            nets[hi] = nets.get(hi, 0) - liquidity
            if lo <= tick < hi:
                active += liquidity
        pools.append(v3_pool(mainnet.v3_pool_address(a, b, spec.fee), t0, t1, spec.fee,
                             world_spec.TICK_SPACING[spec.fee], sqrt_price, tick, active, nets.items()))
    # as `routing.chain.oracle_prices` reads them from the world's feeds
    prices: dict[str, int] = {a: usd_price_from_feed(world_spec.feed_answer(t.symbol), t.decimals)
                              for a, t in tokens.items()}
    return Liquidity(tokens, tuple(pools), 0, mainnet.TOKENS["WETH"], "world"), prices
