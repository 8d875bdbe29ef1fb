"""Routing benchmark: the MILP router against the baselines and the convex upper bound.

Seeded, synthetic mainnet-shaped instances (`routing.synthetic`): 10, 100 and 1,000 V2/V3
pools over 5, 20 and 50 tokens, one pair order each, sized log-uniformly from $10 to $10M.
Per size and method it prints: the median and worst gap of the delivered value to the
upper bound, in bps, with gas at zero ("before gas"); the gas-adjusted value at a real
gas price relative to the MILP's, in bps of the value sold (median, worst and best; > 0 would mean the method beat
the MILP), how many instances it beat the MILP on, instances it found no route for (no
single pool joins the pair), and the median and worst solve time. The last line counts
the MILP answers replaced by a baseline's route because, exactly evaluated, it was worth
more after gas (the router's best-feasible fallback).

    .venv/bin/python bench/routing.py [--instances 20] [--seed 1] [--gas-gwei 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing import synthetic
from routing.errors import NoLiquidityError
from routing.route import METHODS, route

SIZES = ((10, 5), (100, 20), (1000, 50))


def instances(seed: int, count: int, n_pools: int, n_tokens: int) -> list[synthetic.Instance]:
    return synthetic.routable(seed, count, n_pools, n_tokens)


def run(seed: int, count: int, gas_gwei: float, solver: str, segments: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    gas_wei = int(gas_gwei * 10**9)
    for n_pools, n_tokens in SIZES:
        per = {m: {"gap": [], "delta": [], "time": [], "wins": 0, "fails": 0} for m in METHODS}
        started = time.perf_counter()
        fallbacks = 0
        for inst in instances(seed, count, n_pools, n_tokens):
            args = (inst.demands, inst.liquidity, inst.prices)
            free = route(*args, "milp", 0, solver=solver, segments=segments)
            bound = free.bound_value
            paid = route(*args, "milp", gas_wei, solver=solver, segments=segments, with_bound=False)
            fallbacks += paid.status.startswith("fallback")
            sold = sum(a * inst.prices[t] for t, a in inst.demands.sell.items())
            per["milp"]["gap"].append(free.gap_bps)
            per["milp"]["delta"].append(0.0)
            per["milp"]["time"].append(paid.solve_time_s)
            for m in METHODS[1:]:
                try:
                    g0 = route(*args, m, 0, with_bound=False)
                    g1 = route(*args, m, gas_wei, with_bound=False)
                except NoLiquidityError:
                    per[m]["fails"] += 1
                    continue
                per[m]["gap"].append((bound - g0.value_out) * 10_000 / bound)
                delta = (g1.net_value - paid.net_value) * 10_000 / sold
                per[m]["delta"].append(delta)
                per[m]["wins"] += delta > 0
                per[m]["time"].append(g1.solve_time_s)
        for m in METHODS:
            d = per[m]
            if not d["gap"]:
                continue
            rows.append({
                "pools": n_pools, "tokens": n_tokens, "method": m, "n": len(d["gap"]),
                "gap_median_bps": statistics.median(d["gap"]), "gap_worst_bps": max(d["gap"]),
                "vs_milp_median_bps": statistics.median(d["delta"]), "vs_milp_best_bps": max(d["delta"]),
                "vs_milp_worst_bps": min(d["delta"]),
                "beats_milp": d["wins"], "no_route": d["fails"],
                "time_median_s": statistics.median(d["time"]), "time_worst_s": max(d["time"]),
                "milp_fallbacks": fallbacks if m == "milp" else "",
            })
        print(f"  {n_pools} pools done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gas-gwei", type=float, default=20.0)
    ap.add_argument("--solver", default="cbc", choices=("cbc", "highs"))
    ap.add_argument("--segments", type=int, default=8)
    ns = ap.parse_args()
    rows = run(ns.seed, ns.instances, ns.gas_gwei, ns.solver, ns.segments)
    head = ("pools", "tokens", "method", "n", "gap med bps", "gap worst bps", "vs MILP med bps",
            "vs MILP worst bps", "vs MILP best bps", "beats MILP", "no route", "time med s", "time worst s")
    print(f"routing bench: seed {ns.seed}, {ns.instances} instances per size, gas {ns.gas_gwei} gwei, "
          f"solver {ns.solver}, {ns.segments} segments")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = (r["pools"], r["tokens"], r["method"], r["n"], f"{r['gap_median_bps']:.3f}", f"{r['gap_worst_bps']:.3f}",
                 f"{r['vs_milp_median_bps']:+.3f}", f"{r['vs_milp_worst_bps']:+.3f}", f"{r['vs_milp_best_bps']:+.3f}",
                 r["beats_milp"], r["no_route"],
                 f"{r['time_median_s']:.3f}", f"{r['time_worst_s']:.3f}")
        print("| " + " | ".join(map(str, cells)) + " |")
    fb = [r for r in rows if r["method"] == "milp"]
    print("MILP routes replaced by a baseline (best-feasible fallback): "
          + ", ".join(f"{r['pools']} pools: {r['milp_fallbacks']}" for r in fb))


if __name__ == "__main__":
    main()
