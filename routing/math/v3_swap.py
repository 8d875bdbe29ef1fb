"""A Uniswap V3 swap across initialized ticks, exact (the loop of UniswapV3Pool.swap).

The pool walks from its price toward the limit in steps that end at the next initialized
tick *or at the edge of a 256-tick bitmap word*, whichever comes first; each step rounds,
so we reproduce the word edges too, or results drift by a wei. Only ticks inside the
scanned bitmap words are known: a swap that would step past them raises `PoolMathError`
(or, with `allow_partial`, stops there and reports what it consumed).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from routing.errors import PoolMathError
from routing.math.swap import compute_swap_step
from routing.math.tick import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    sqrt_ratio_at_tick,
    tick_at_sqrt_ratio,
)


@dataclass(frozen=True)
class V3State:
    """What a swap needs to know about a pool. `ticks` are (tick, liquidity_net), sorted by tick."""

    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee_pips: int
    tick_spacing: int
    ticks: tuple[tuple[int, int], ...]
    word_lo: int  # bitmap words scanned, inclusive: ticks outside are unknown
    word_hi: int


@dataclass(frozen=True)
class SwapResult:
    amount_in: int  # paid by the trader, fee included
    amount_out: int  # received by the trader
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int  # initialized ticks crossed (what QuoterV2 counts)
    complete: bool  # False when the swap stopped at the price limit or the known range


def full_word_range(tick_spacing: int) -> tuple[int, int]:
    """Bitmap words that cover every usable tick for this spacing."""
    return (MIN_TICK // tick_spacing) >> 8, (MAX_TICK // tick_spacing) >> 8


def _check_known(state: V3State, word: int) -> None:
    """Words outside the usable tick range are empty by construction; inside it, only the
    scanned words are known."""
    usable_lo, usable_hi = full_word_range(state.tick_spacing)
    if usable_lo <= word <= usable_hi and not state.word_lo <= word <= state.word_hi:
        raise PoolMathError("the swap leaves the scanned tick range", "amount")


def _next_initialized(state: V3State, compressed_ticks: Sequence[int], tick: int, lte: bool) -> tuple[int, bool]:
    """The pool's nextInitializedTickWithinOneWord over our sorted list of initialized ticks."""
    spacing = state.tick_spacing
    compressed = tick // spacing  # floor division: rounds toward -inf like the pool
    if lte:
        word = compressed >> 8
        _check_known(state, word)
        i = bisect_right(compressed_ticks, compressed) - 1
        if i >= 0 and compressed_ticks[i] >= word << 8:
            return compressed_ticks[i] * spacing, True
        return (word << 8) * spacing, False
    start = compressed + 1
    word = start >> 8
    _check_known(state, word)
    i = bisect_left(compressed_ticks, start)
    if i < len(compressed_ticks) and compressed_ticks[i] <= (word << 8) + 255:
        return compressed_ticks[i] * spacing, True
    return ((word << 8) + 255) * spacing, False


def swap(
    state: V3State,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int | None = None,
    allow_partial: bool = False,
) -> SwapResult:
    """Swap like the pool: `amount_specified > 0` exact input, `< 0` exact output.

    Raises `PoolMathError` when the amount is zero or the swap cannot be completed inside
    the known ticks and price limit (unless `allow_partial`).
    """
    if amount_specified == 0:
        raise PoolMathError("amount must be non-zero", "amount")
    limit = sqrt_price_limit_x96
    if limit is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    exact_in = amount_specified > 0
    compressed_ticks = [t // state.tick_spacing for t, _ in state.ticks]
    net = dict(state.ticks)
    remaining, calculated = amount_specified, 0
    sqrt_p, tick, liquidity = state.sqrt_price_x96, state.tick, state.liquidity
    crossed = 0
    complete = True
    while remaining != 0 and sqrt_p != limit:
        start = sqrt_p
        try:
            tick_next, initialized = _next_initialized(state, compressed_ticks, tick, zero_for_one)
        except PoolMathError:
            if allow_partial:
                complete = False
                break
            raise
        tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
        sqrt_next = sqrt_ratio_at_tick(tick_next)
        beyond = sqrt_next < limit if zero_for_one else sqrt_next > limit
        target = limit if beyond else sqrt_next
        sqrt_p, step_in, step_out, fee = compute_swap_step(sqrt_p, target, liquidity, remaining, state.fee_pips)
        if exact_in:
            remaining -= step_in + fee
            calculated -= step_out
        else:
            remaining += step_out
            calculated += step_in + fee
        if sqrt_p == sqrt_next:
            if initialized:
                delta = net[tick_next]
                liquidity += -delta if zero_for_one else delta
                if liquidity < 0:
                    raise PoolMathError("liquidity went negative: the tick table is inconsistent", "ticks")
                crossed += 1
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_p != start:
            tick = tick_at_sqrt_ratio(sqrt_p)
    if remaining != 0:
        complete = False
        if not allow_partial:
            raise PoolMathError("not enough liquidity in the pool for this amount", "amount")
    if exact_in:
        amount_in, amount_out = amount_specified - remaining, -calculated
    else:
        amount_in, amount_out = calculated, -amount_specified + remaining
    return SwapResult(amount_in, amount_out, sqrt_p, tick, liquidity, crossed, complete)
