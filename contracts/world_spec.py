"""What the mainnet-shaped world holds: prices, pools and their depths, users' portfolios.

Pure data and pure arithmetic; `contracts/world.py` turns it into chain state. Depths are
in USD of total value locked; a V3 pool's value is spread over several tick ranges, the
widest of which is a thin full-range tail, so swaps of realistic sizes cross ticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from keel.units import FeedAnswer
from keel.units import feed_answer as _feed_answer

DECIMALS: dict[str, int] = {"WETH": 18, "USDC": 6, "DAI": 18, "WBTC": 8}
NAMES: dict[str, str] = {"USDC": "USD Coin", "DAI": "Dai Stablecoin", "WBTC": "Wrapped BTC"}
USD_PRICE: dict[str, float] = {"WETH": 3000.0, "USDC": 1.0, "DAI": 1.0, "WBTC": 60000.0}

# Observation slots each V3 pool keeps (increaseObservationCardinalityNext): one per block
# with a swap, so a 30-minute TWAP survives ~100 busy blocks before `observe` says OLD.
OBSERVATION_CARDINALITY = 100

TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
MIN_TICK, MAX_TICK = -887272, 887272


@dataclass(frozen=True)
class V2PairSpec:
    a: str
    b: str
    tvl_usd: float


@dataclass(frozen=True)
class V3PoolSpec:
    a: str
    b: str
    fee: int
    # (half-width of the range as a fraction of price, share of the pool's value); None = full range
    ranges: tuple[tuple[float | None, float], ...]
    tvl_usd: float


V2_PAIRS: tuple[V2PairSpec, ...] = (
    V2PairSpec("USDC", "WETH", 40_000_000),
    V2PairSpec("DAI", "WETH", 8_000_000),
    V2PairSpec("WBTC", "WETH", 6_000_000),
    V2PairSpec("DAI", "USDC", 4_000_000),
    V2PairSpec("WBTC", "USDC", 600_000),  # thin
)

V3_POOLS: tuple[V3PoolSpec, ...] = (
    V3PoolSpec("USDC", "WETH", 500, ((0.02, 0.35), (0.08, 0.35), (0.30, 0.25), (None, 0.05)), 60_000_000),
    V3PoolSpec("USDC", "WETH", 3000, ((0.10, 0.4), (0.40, 0.45), (None, 0.15)), 12_000_000),
    V3PoolSpec("USDC", "WETH", 10000, ((0.50, 0.7), (None, 0.3)), 300_000),  # thin
    V3PoolSpec("WBTC", "WETH", 3000, ((0.05, 0.5), (0.25, 0.4), (None, 0.1)), 10_000_000),
    V3PoolSpec("WBTC", "WETH", 500, ((0.02, 0.6), (0.10, 0.4)), 3_000_000),
    V3PoolSpec("WBTC", "USDC", 3000, ((0.05, 0.5), (0.30, 0.4), (None, 0.1)), 8_000_000),
    V3PoolSpec("DAI", "USDC", 100, ((0.002, 0.7), (0.01, 0.3)), 20_000_000),
    V3PoolSpec("DAI", "WETH", 3000, ((0.10, 0.6), (None, 0.4)), 2_000_000),
)

# Ten users with different portfolios, in whole tokens (users[i] is anvil account i + 1).
USER_PORTFOLIOS: tuple[dict[str, float], ...] = (
    {"WETH": 100, "USDC": 150_000, "WBTC": 2},          # ETH-heavy
    {"WETH": 10, "USDC": 500_000, "WBTC": 1},           # cash-heavy
    {"WETH": 20, "DAI": 50_000, "WBTC": 5},             # BTC-heavy
    {"WETH": 50, "USDC": 100_000, "DAI": 100_000},
    {"WETH": 5, "USDC": 20_000, "WBTC": 0.5},           # small
    {"WETH": 300, "USDC": 1_000_000, "WBTC": 20},       # fund-sized
    {"USDC": 250_000, "DAI": 250_000},                  # stables only
    {"WETH": 40, "WBTC": 3},
    {"WETH": 15, "USDC": 60_000, "DAI": 10_000, "WBTC": 1},
    {"WETH": 1000, "USDC": 100_000},                    # whale, ETH-heavy
)
USER_GAS_ETH = 100


def base_units(symbol: str, whole: float) -> int:
    scale: int = 10 ** DECIMALS[symbol]
    return round(whole * scale)


def feed_answer(symbol: str) -> FeedAnswer:
    """The world's oracle answer for `symbol` (USD per whole token × 1e8)."""
    return _feed_answer(USD_PRICE[symbol])


def price_token1_per_token0(sym0: str, sym1: str) -> float:
    """Base units of token1 per base unit of token0 (the V3 pool's price)."""
    unit0: int = 10 ** DECIMALS[sym0]
    unit1: int = 10 ** DECIMALS[sym1]
    return (USD_PRICE[sym0] / unit0) / (USD_PRICE[sym1] / unit1)


def sqrt_price_x96(price: float) -> int:
    return int(math.sqrt(price) * 2**96)


def tick_at(price: float) -> int:
    return math.floor(math.log(price) / math.log(1.0001))


def align(tick: int, spacing: int, up: bool) -> int:
    t = (tick // spacing) * spacing
    if up and t < tick:
        t += spacing
    return max(min(t, (MAX_TICK // spacing) * spacing), -(MAX_TICK // spacing) * spacing)


def position_ticks(price: float, half_width: float | None, fee: int) -> tuple[int, int]:
    spacing = TICK_SPACING[fee]
    if half_width is None:
        return -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing
    lower = align(tick_at(price * (1 - half_width)), spacing, up=False)
    upper = align(tick_at(price * (1 + half_width)), spacing, up=True)
    return lower, upper


def liquidity_for_value(price: float, tick_lower: int, tick_upper: int, value_token1: float) -> int:
    """Liquidity L whose position at `price` is worth `value_token1` (in token1 base units)."""
    sp = math.sqrt(price)
    sa = math.sqrt(1.0001**tick_lower)
    sb = math.sqrt(1.0001**tick_upper)
    sp = min(max(sp, sa), sb)
    amount0_per_l = (sb - sp) / (sp * sb)
    amount1_per_l = sp - sa
    value_per_l = amount0_per_l * price + amount1_per_l
    return int(value_token1 / value_per_l)
