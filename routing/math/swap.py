"""One swap step within a single liquidity range, exact (v3-core's SwapMath.computeSwapStep).

`amount_remaining > 0` is exact input (fee included), `< 0` exact output. Returns the
price reached and the step's amount in (fee excluded), amount out and fee, with the
pool's rounding: the trader never gets more than the integer math allows.
"""

from __future__ import annotations

from routing.math.sqrt_price import (
    amount0_delta,
    amount1_delta,
    mul_div,
    mul_div_rounding_up,
    next_sqrt_price_from_input,
    next_sqrt_price_from_output,
)

FEE_PIPS_DENOMINATOR = 1_000_000


def compute_swap_step(
    sqrt_current_x96: int, sqrt_target_x96: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """(sqrt_next_x96, amount_in, amount_out, fee_amount) for one step toward `sqrt_target_x96`."""
    zero_for_one = sqrt_current_x96 >= sqrt_target_x96
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        remaining_less_fee = mul_div(amount_remaining, FEE_PIPS_DENOMINATOR - fee_pips, FEE_PIPS_DENOMINATOR)
        amount_in = (
            amount0_delta(sqrt_target_x96, sqrt_current_x96, liquidity, True)
            if zero_for_one
            else amount1_delta(sqrt_current_x96, sqrt_target_x96, liquidity, True)
        )
        if remaining_less_fee >= amount_in:
            sqrt_next = sqrt_target_x96
        else:
            sqrt_next = next_sqrt_price_from_input(sqrt_current_x96, liquidity, remaining_less_fee, zero_for_one)
    else:
        amount_out = (
            amount1_delta(sqrt_target_x96, sqrt_current_x96, liquidity, False)
            if zero_for_one
            else amount0_delta(sqrt_current_x96, sqrt_target_x96, liquidity, False)
        )
        if -amount_remaining >= amount_out:
            sqrt_next = sqrt_target_x96
        else:
            sqrt_next = next_sqrt_price_from_output(sqrt_current_x96, liquidity, -amount_remaining, zero_for_one)

    reached = sqrt_target_x96 == sqrt_next
    if zero_for_one:
        if not (reached and exact_in):
            amount_in = amount0_delta(sqrt_next, sqrt_current_x96, liquidity, True)
        if not (reached and not exact_in):
            amount_out = amount1_delta(sqrt_next, sqrt_current_x96, liquidity, False)
    else:
        if not (reached and exact_in):
            amount_in = amount1_delta(sqrt_current_x96, sqrt_next, liquidity, True)
        if not (reached and not exact_in):
            amount_out = amount0_delta(sqrt_current_x96, sqrt_next, liquidity, False)

    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining
    if exact_in and sqrt_next != sqrt_target_x96:
        fee_amount = amount_remaining - amount_in  # the rest of the input is the fee
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, FEE_PIPS_DENOMINATOR - fee_pips)
    return sqrt_next, amount_in, amount_out, fee_amount
