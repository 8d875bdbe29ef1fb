"""Routing's worst cases against the best route that can execute, found by exhaustive search.

`bench/routing.py` measures keel's route against its bound: the dual value of the convex
relaxation over real-valued curves. On small orders through a token with a coarse base unit no
executable route may reach it (a swap pays whole base units and a V3 pool rounds its fee up).
This asks, for each size's worst instance (the same seeded instances, gas 0), whether a better
executable route exists: every simple path of up to `MAX_HOPS` pools
from the sold token to the bought one, executed in keel's exact integer pool math with the whole
order; then every split of the order between two of the `TOP_PATHS` best paths — each base unit
when the order is at most `EVERY_UNIT` units, else `GRID` points and every unit within `NEAR` of
the best of them. Prints, per instance, keel's gap to the bound, the best executable route's gap
to the bound, and how far keel's route is below that route (0: keel's is the best found).

    .venv/bin/python bench/routing_worst.py [--seed 1] [--instances 20] [--sizes 10,100,1000]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing import synthetic
from routing.errors import NoLiquidityError, PoolMathError
from routing.pools import Pool
from routing.route import route

SIZES = {10: 5, 100: 20, 1000: 50, 5000: 100}  # pools: tokens, as bench/routing.py
MAX_HOPS = 3
TOP_PATHS = 4
EVERY_UNIT = 100_000
GRID = 4_000
NEAR = 200

Path_ = list[tuple[Pool, str]]  # (pool, token in) per hop


def paths(pools: Sequence[Pool], sell: str, buy: str) -> list[Path_]:
    """Every simple path of 1..MAX_HOPS pools from `sell` to `buy` (no token visited twice)."""
    by_token: dict[str, list[Pool]] = {}
    for p in pools:
        by_token.setdefault(p.token0, []).append(p)
        by_token.setdefault(p.token1, []).append(p)
    out: list[Path_] = []

    def walk(token: str, path: Path_, seen: set[str]) -> None:
        if token == buy and path:
            out.append(list(path))
            return
        if len(path) == MAX_HOPS:
            return
        for p in by_token.get(token, []):
            nxt = p.token1 if token == p.token0 else p.token0
            if nxt not in seen:
                path.append((p, token))
                walk(nxt, path, seen | {nxt})
                path.pop()

    walk(sell, [], {sell})
    return out


def run(path: Path_, amount: int) -> int:
    """What `path` delivers for `amount` in exact integer pool math (0 if a pool cannot take it)."""
    for pool, token_in in path:
        if amount <= 0:
            return 0
        try:
            amount = pool.amount_out(token_in, amount)
        except (NoLiquidityError, PoolMathError, ValueError):
            return 0
    return amount


def best_split(first: Path_, second: Path_, total: int) -> int:
    """The most two paths deliver for `total` split between them (see the module docstring)."""
    def both(a: int) -> int:
        return run(first, a) + run(second, total - a)

    if total <= EVERY_UNIT:
        return max(both(a) for a in range(total + 1))
    grid = sorted({total * k // GRID for k in range(GRID + 1)})
    centre = max(grid, key=both)
    return max(both(a) for a in range(max(0, centre - NEAR), min(total, centre + NEAR) + 1))


def worst_instance(seed: int, count: int, n_pools: int) -> tuple[int, synthetic.Instance, float, float]:
    """The instance with keel's largest gap to its bound: (index, instance, keel's value, bound), value fractions."""
    worst: tuple[int, synthetic.Instance, float, float] | None = None
    for k, inst in enumerate(synthetic.routable(seed, count, n_pools, SIZES[n_pools])):
        keel = route(inst.demands, inst.liquidity, inst.prices, "milp", 0)
        sold = sum(a * inst.prices[t] for t, a in inst.demands.sell.items())
        value, bound = keel.value_out / sold, (keel.bound_value or 0) / sold
        if worst is None or (bound - value) / bound > (worst[3] - worst[2]) / worst[3]:
            worst = (k, inst, value, bound)
    assert worst is not None
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description="Routing's worst cases against the best executable route.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    print(f"routing worst cases, gas 0: seed {args.seed}, {args.instances} instances per size; paths of up to "
          f"{MAX_HOPS} pools, two-path splits among the {TOP_PATHS} best (bps of the value sold)")
    for n_pools in (int(s) for s in args.sizes.split(",")):
        k, inst, keel, bound = worst_instance(args.seed, args.instances, n_pools)
        (sell, total), = inst.demands.sell.items()
        buy = next(iter(inst.demands.buy))
        sold = total * inst.prices[sell]
        found = paths(inst.liquidity.pools, sell, buy)
        ranked = sorted(found, key=lambda p: -run(p, total))[:TOP_PATHS]
        best = max([run(p, total) for p in ranked] + [best_split(a, b, total) for a, b in itertools.combinations(ranked, 2)])
        executable = best * inst.prices[buy] / sold
        print(f"{n_pools} pools #{k} (${inst.usd:,.2f}, {total:,} base units sold, {len(found):,} paths): keel "
              f"{(bound - keel) / bound * 1e4:.4f} bp under the bound; the best executable route found "
              f"{(bound - executable) / bound * 1e4:.4f} bp under it; keel {max(0.0, executable - keel) / bound * 1e4:.4f} "
              f"bp under that route")


if __name__ == "__main__":
    main()
