"""Uniswap V2 constant-product math, exact in integers (UniswapV2Library.getAmountOut/In).

The pair charges 0.3% on the input: `out = in*997*rOut / (rIn*1000 + in*997)` rounded
down (the trader gets less), and `in = rIn*out*1000 / ((rOut-out)*997) + 1` (the trader
pays more). These are the router's own formulas, so they equal `getAmountsOut/In` to the wei.
"""

from __future__ import annotations

from routing.errors import PoolMathError

FEE_NUMERATOR = 997
FEE_DENOMINATOR = 1000


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Output of an exact input, rounded down. Raises on a non-positive input or empty reserves."""
    if amount_in <= 0:
        raise PoolMathError(f"amount_in must be positive, got {amount_in}", "amount_in")
    if reserve_in <= 0 or reserve_out <= 0:
        raise PoolMathError("the pair has no reserves", "reserves")
    amount_in_with_fee = amount_in * FEE_NUMERATOR
    return amount_in_with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + amount_in_with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """Input needed for an exact output, rounded up (+1, as the library does)."""
    if amount_out <= 0:
        raise PoolMathError(f"amount_out must be positive, got {amount_out}", "amount_out")
    if reserve_in <= 0 or reserve_out <= 0:
        raise PoolMathError("the pair has no reserves", "reserves")
    if amount_out >= reserve_out:
        raise PoolMathError(f"amount_out {amount_out} is not below the reserve {reserve_out}", "amount_out")
    return reserve_in * amount_out * FEE_DENOMINATOR // ((reserve_out - amount_out) * FEE_NUMERATOR) + 1


def marginal_out(amount_in: float, reserve_in: int, reserve_out: int) -> tuple[float, float]:
    """Real-valued output and its derivative at `amount_in` (for optimisers; >= the integer output)."""
    g = FEE_NUMERATOR / FEE_DENOMINATOR
    denom = reserve_in + g * amount_in
    return max(0.0, g * amount_in * reserve_out / denom), g * reserve_in * reserve_out / (denom * denom)
