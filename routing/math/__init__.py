"""Exact Uniswap V2/V3 integer math: ticks, sqrt prices, swap steps, whole swaps."""
