"""Amount deltas and next prices in Q64.96, exact (v3-core's SqrtPriceMath + FullMath).

Python integers never overflow, but the pool's formulas branch on whether a uint256
product overflowed, and the branches round differently: `_fits_u256` reproduces those
tests so that the results are the pool's to the wei. Rounding: amounts a trader pays
round up, amounts a trader receives round down, exactly as documented on each function.
"""

from __future__ import annotations

from routing.errors import PoolMathError

Q96 = 1 << 96
UINT160_MAX = (1 << 160) - 1
UINT256 = 1 << 256


def _fits_u256(value: int) -> bool:
    return 0 <= value < UINT256


def mul_div(a: int, b: int, d: int) -> int:
    """floor(a*b/d) with a full-precision intermediate (FullMath.mulDiv)."""
    result = a * b // d
    if not _fits_u256(result):
        raise PoolMathError("mulDiv overflow", "amount")
    return result


def mul_div_rounding_up(a: int, b: int, d: int) -> int:
    """ceil(a*b/d) (FullMath.mulDivRoundingUp)."""
    return -(-(a * b) // d)


def div_rounding_up(a: int, d: int) -> int:
    return -(-a // d)


def amount0_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """token0 between two prices: L * (sqrtB - sqrtA) / (sqrtA * sqrtB), rounded as asked."""
    if sqrt_a_x96 > sqrt_b_x96:
        sqrt_a_x96, sqrt_b_x96 = sqrt_b_x96, sqrt_a_x96
    numerator1 = liquidity << 96
    numerator2 = sqrt_b_x96 - sqrt_a_x96
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, sqrt_b_x96), sqrt_a_x96)
    return mul_div(numerator1, numerator2, sqrt_b_x96) // sqrt_a_x96


def amount1_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """token1 between two prices: L * (sqrtB - sqrtA), rounded as asked."""
    if sqrt_a_x96 > sqrt_b_x96:
        sqrt_a_x96, sqrt_b_x96 = sqrt_b_x96, sqrt_a_x96
    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_b_x96 - sqrt_a_x96, Q96)
    return mul_div(liquidity, sqrt_b_x96 - sqrt_a_x96, Q96)


def _next_from_amount0_rounding_up(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    if amount == 0:
        return sqrt_p
    numerator1 = liquidity << 96
    product = amount * sqrt_p
    if add:
        # the pool takes the precise branch only when neither product nor sum overflowed
        if _fits_u256(product) and _fits_u256(numerator1 + product):
            return mul_div_rounding_up(numerator1, sqrt_p, numerator1 + product)
        return div_rounding_up(numerator1, numerator1 // sqrt_p + amount)
    if not _fits_u256(product) or numerator1 <= product:
        raise PoolMathError("output exceeds the liquidity in range", "amount")
    result = mul_div_rounding_up(numerator1, sqrt_p, numerator1 - product)
    if result > UINT160_MAX:
        raise PoolMathError("price overflow", "amount")
    return result


def _next_from_amount1_rounding_down(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    if add:
        quotient = (amount << 96) // liquidity  # same value on both of the pool's branches
        result = sqrt_p + quotient
        if result > UINT160_MAX:
            raise PoolMathError("price overflow", "amount")
        return result
    quotient = div_rounding_up(amount << 96, liquidity)
    if sqrt_p <= quotient:
        raise PoolMathError("output exceeds the liquidity in range", "amount")
    return sqrt_p - quotient


def next_sqrt_price_from_input(sqrt_p: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """Price after adding `amount_in` (rounded so the price does not pass the target)."""
    if sqrt_p <= 0 or liquidity <= 0:
        raise PoolMathError("no liquidity in range", "liquidity")
    if zero_for_one:
        return _next_from_amount0_rounding_up(sqrt_p, liquidity, amount_in, True)
    return _next_from_amount1_rounding_down(sqrt_p, liquidity, amount_in, True)


def next_sqrt_price_from_output(sqrt_p: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    """Price after removing `amount_out`."""
    if sqrt_p <= 0 or liquidity <= 0:
        raise PoolMathError("no liquidity in range", "liquidity")
    if zero_for_one:
        return _next_from_amount1_rounding_down(sqrt_p, liquidity, amount_out, False)
    return _next_from_amount0_rounding_up(sqrt_p, liquidity, amount_out, False)
