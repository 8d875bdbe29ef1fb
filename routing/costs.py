"""Trading-cost curves for the backtester, from the exact pool math over a snapshot.

`exact_cost` prices one trade of the underlying against the numeraire through the
snapshot's direct pools: the trade is cut into `chunks` equal pieces and each piece goes
to the pool that fills it best given what earlier pieces did (exact integer quotes,
`after_swap` carries each pool's state), so the figure is what the chain would charge.
Cost = |value at the reference price - value obtained|, in numeraire: price impact plus
the pools' fees. Both directions: buying exact-out, selling exact-in.

`build_curve` samples that on a log grid of sizes and returns a `CostCurve` whose
`impact(q, spot)` interpolates the cost *fraction* in log size (a test holds it within
1 bp of `exact_cost` between grid points). Off the snapshot's price the pools are taken
as re-centred on the simulated spot S with their liquidity L unchanged (every tick shifted
by log(S/P0)); then the fractional cost of q tokens at S equals that of q * sqrt(S/P0)
tokens at P0, because a constant-L curve's depth in tokens scales as L / sqrt(P).

Gas: `gas_units * gas_price_gwei * 1e-9` ETH per trade, in numeraire at the ETH price
(the simulated spot when the underlying is the native token).

The backtester takes these as plain callables (`routing/` knows nothing of intents); the
CLI joins them. Pure: no chain reads here (`routing.discovery` makes the snapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.errors import NoLiquidityError, RoutingError
from routing.pools import Liquidity, Pool, V2Pool, V3Pool

FloatArray = NDArray[np.float64]


def direct_pools(liq: Liquidity, token: str, numeraire: str) -> list[Pool]:
    pools = [p for p in liq.pools if {p.token0, p.token1} == {token, numeraire}]
    if not pools:
        raise NoLiquidityError(f"no pool trades {liq.symbol(token)} against {liq.symbol(numeraire)}", "pools")
    return pools


def _fill(pools: list[Pool], token_in: str, amount: int, chunks: int, exact_out: bool) -> int:
    """Greedy exact fill: returns the total amount out (exact-in) or in (exact-out)."""
    state = list(pools)
    total = 0
    piece, rest = divmod(amount, chunks)
    for c in range(chunks):
        size = piece + (rest if c == chunks - 1 else 0)
        if size <= 0:
            continue
        best: tuple[int, int, Pool] | None = None
        for i, pool in enumerate(state):
            try:
                value = pool.amount_in(token_in, size) if exact_out else pool.amount_out(token_in, size)
            except Exception:  # a pool that cannot fill this piece (range exhausted) sits out
                continue
            if value <= 0:
                continue
            better = best is None or (value < best[0] if exact_out else value > best[0])
            if better:
                best = (value, i, pool)
        if best is None:
            raise NoLiquidityError(f"the pools cannot fill a trade of {amount} base units", "size")
        value, i, pool = best
        state[i], _ = pool.after_swap(token_in, value if exact_out else size)
        total += value
    return total


def exact_cost(
    liq: Liquidity, token: str, numeraire: str, q_tokens: float, ref_price: float, chunks: int = 16
) -> float:
    """Numeraire cost of trading `q_tokens` whole tokens (> 0 buys, < 0 sells) at `ref_price`."""
    if q_tokens == 0:
        return 0.0
    dec_t, dec_n = liq.tokens[token].decimals, liq.tokens[numeraire].decimals
    amount = round(abs(q_tokens) * 10**dec_t)
    if amount <= 0:
        return 0.0
    pools = direct_pools(liq, token, numeraire)
    fair = abs(q_tokens) * ref_price
    if q_tokens > 0:  # buy exact-out: pay numeraire in
        paid = _fill(pools, numeraire, amount, chunks, exact_out=True) / 10**dec_n
        return float(paid - fair)
    got = _fill(pools, token, amount, chunks, exact_out=False) / 10**dec_n
    return float(fair - got)


@dataclass(frozen=True)
class CostCurve:
    """Cost fractions on a log grid of sizes (whole tokens) at reference price `p0`."""

    sizes: FloatArray
    buy_fraction: FloatArray
    sell_fraction: FloatArray
    p0: float
    gas_eth: float
    eth_price: float | None  # None: the underlying is the native token, gas priced at spot
    rate: float

    def fraction(self, q: FloatArray, spot: FloatArray) -> FloatArray:
        """Cost as a fraction of notional for trades q (signed) at spot, re-centred pools."""
        q = np.asarray(q, dtype=np.float64)
        eff = np.abs(q) * np.sqrt(np.asarray(spot, dtype=np.float64) / self.p0)
        x = np.log(np.clip(eff, self.sizes[0], None))
        lx = np.log(self.sizes)
        buy = np.interp(x, lx, self.buy_fraction, right=np.nan)
        sell = np.interp(x, lx, self.sell_fraction, right=np.nan)
        out = np.where(q > 0, buy, sell)
        # past the largest sampled size (pools exhausted or impact > 3%): prohibitive
        return np.where(np.isnan(out), 1.0, np.maximum(out, 0.0))

    def impact(self, q: FloatArray, spot: FloatArray) -> FloatArray:
        return self.fraction(q, spot) * np.abs(q) * spot

    def gas(self, spot: FloatArray) -> FloatArray:
        s = np.asarray(spot, dtype=np.float64)
        price = s if self.eth_price is None else np.full_like(s, self.eth_price)
        return self.gas_eth * price

    def to_json(self) -> dict[str, Any]:
        return {"sizes": self.sizes.tolist(), "buy_fraction": self.buy_fraction.tolist(),
                "sell_fraction": self.sell_fraction.tolist(), "p0": self.p0, "gas_eth": self.gas_eth,
                "eth_price": self.eth_price, "rate": self.rate}


def build_curve(
    liq: Liquidity,
    token: str,
    numeraire: str,
    ref_price: float,
    gas_price_gwei: float = 20.0,
    gas_units: int = 150_000,
    eth_price: float | None = None,
    min_size: float = 1e-3,
    max_size: float | None = None,
    points: int = 320,
    rate_size: float = 1.0,
    chunks: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> CostCurve:
    """Sample `exact_cost` on `points` log-spaced sizes per direction; `rate` is the one-way
    cost fraction at `rate_size` tokens (the proportional cost the band formulas use)."""
    if ref_price <= 0:
        raise RoutingError(f"ref_price: must be positive, got {ref_price}", "ref_price")
    if max_size is None:
        max_size = _depth_tokens(liq, token, numeraire, ref_price)
    sizes = np.geomspace(min_size, max_size, points)
    buy, sell = np.empty(points), np.empty(points)
    for i, q in enumerate(sizes):
        notional = q * ref_price
        buy[i] = _safe_cost(liq, token, numeraire, q, ref_price, chunks) / notional
        sell[i] = _safe_cost(liq, token, numeraire, -q, ref_price, chunks) / notional
        if progress is not None:
            progress(i + 1, points)
    sizes, buy, sell = _trim_exhausted(sizes, buy, sell)
    native = liq.native == token
    curve = CostCurve(sizes, buy, sell, ref_price, gas_price_gwei * 1e-9 * gas_units,
                      None if native else (eth_price if eth_price is not None else ref_price), 0.0)
    rate = float(curve.fraction(np.array([rate_size, -rate_size]), np.array([ref_price] * 2)).mean())
    return replace(curve, rate=rate)


def _safe_cost(liq: Liquidity, token: str, numeraire: str, q: float, p: float, chunks: int) -> float:
    try:
        return exact_cost(liq, token, numeraire, q, p, chunks)
    except NoLiquidityError:
        return float("nan")


# Past 3% of notional in impact a trade is not a hedge anyone would send (and the impact
# breaker refuses far less); the curve stops there and larger sizes price as prohibitive.
MAX_FRACTION = 0.03


def _trim_exhausted(sizes: FloatArray, buy: FloatArray, sell: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    ok = np.isfinite(buy) & np.isfinite(sell) & (buy <= MAX_FRACTION) & (sell <= MAX_FRACTION)
    if not ok[0]:
        raise NoLiquidityError("the pools cannot fill even the smallest trade", "pools")
    last = int(np.argmin(ok)) if not ok.all() else len(ok)
    return sizes[:last], buy[:last], sell[:last]


def _depth_tokens(liq: Liquidity, token: str, numeraire: str, ref_price: float) -> float:
    """A size scale well past realistic trades: an eighth of the token-side depth of the direct pools
    (V2 reserves; V3 active liquidity as virtual reserves L / sqrt(P))."""
    dec_t = liq.tokens[token].decimals
    depth = 0.0
    for p in direct_pools(liq, token, numeraire):
        if isinstance(p, V2Pool):
            depth += (p.reserve0 if p.token0 == token else p.reserve1) / 10**dec_t
        else:
            sqrt_p = p.sqrt_price_x96 / 2**96
            virt = p.liquidity / sqrt_p if p.token0 == token else p.liquidity * sqrt_p
            depth += virt / 10**dec_t
    return max(depth / 8.0, 10.0)


def withdraw(liq: Liquidity, fraction: float) -> Liquidity:
    """The snapshot with `fraction` of every pool's liquidity removed (stress: LPs leave)."""
    if not 0 <= fraction < 1:
        raise RoutingError(f"fraction: must be in [0, 1), got {fraction}", "fraction")
    keep = 1.0 - fraction

    def scale(p: Pool) -> Pool:
        if isinstance(p, V2Pool):
            return replace(p, reserve0=int(p.reserve0 * keep), reserve1=int(p.reserve1 * keep))
        assert isinstance(p, V3Pool)
        ticks = tuple((t, int(n * keep)) for t, n in p.ticks)
        return replace(p, liquidity=int(p.liquidity * keep), ticks=ticks)

    return replace(liq, pools=tuple(scale(p) for p in liq.pools))


def pool_price(pool: Pool, token: str, liq: Liquidity) -> float:
    """Mid price of `token` in the pool's other token, per whole token (decimals applied)."""
    t0, t1 = liq.tokens[pool.token0], liq.tokens[pool.token1]
    if isinstance(pool, V2Pool):
        p01 = pool.reserve1 / pool.reserve0
    else:
        p01 = (pool.sqrt_price_x96 / 2**96) ** 2
    p01 *= 10 ** (t0.decimals - t1.decimals)  # token1 per token0, whole units
    return float(p01 if pool.token0 == token else 1.0 / p01)
