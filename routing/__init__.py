"""Liquidity and routing: exact Uniswap V2/V3 math, pool snapshots, the MILP router,
baselines and the convex upper bound that grades them. See `routing.route` for the entry."""
