"""Liquidity and routing: exact Uniswap V2/V3 math, pool snapshots, the convex router and the
true bound it yields (`routing.convex`), the gas-aware selection built from it
(`routing.select`), the integer program as its fallback, and the baselines. See
`routing.route` for the entry."""
