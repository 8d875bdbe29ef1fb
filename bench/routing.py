"""Routing benchmark: keel's router against its true bound, an independent convex solve and the baselines.

Seeded, synthetic mainnet-like instances (`routing.synthetic`): 10, 100, 1,000 and 5,000
V2/V3 pools over 5, 20, 50 and 100 tokens, one pair order each, sized log-uniformly from
$10 to $10M; and the local world's pools (`synthetic.world()`, as `keel chain up` builds
them) for 20,000 / 25,000 / 30,000 WETH -> USDC.

1. Gas 0, per size: keel's exact route (every amount from the integer pool math) against
   - keel's own bound: the dual value of the convex relaxation over every pool and path
     (cycles included), a true upper bound on any route;
   - an independent convex solve the bench runs itself (`bench/convex_reference.py`: cvxpy +
     Clarabel, pieces built from the raw pool data, no code shared with keel's solver): gap
     to its optimum (negative: keel beat the reference's estimate), and its own route
     executed in the same integer math ("ref route": how much keel's exact route beats it).
   "best exact" is the best route any method found, executed in the same integer math: keel's
   own, the reference's, every baseline's; "keel below best exact" how far keel's is below it
   (0: keel's is the best). The optimum over routes that can execute lies between the best
   exact route and the bound. "unit" is one base unit of the coarsest token the convex
   optimum passes 0.1% of the order through, in bps of the order: a swap pays whole base
   units and its fee rounds up (a satoshi of WBTC is $0.0006, 0.5 bp of a $12 order), so on
   small orders through such tokens no executable route comes within a few units of a bound
   over real-valued curves.
   Times: keel cold (its curve cache cleared, after a garbage collection so that none of the
   20 snapshots held in memory is collected inside the timed call), the reference's model
   building and solve.
2. The world's large orders, same columns.
3. With gas (default 20 gwei): every baseline's value after gas minus keel's, in bps of the
   value sold (a positive worst would mean a baseline beat keel), and how often keel's
   answer was a baseline's route (the guard) or the integer program's (its fallback).

    .venv/bin/python bench/routing.py [--instances 20] [--seed 1] [--gas-gwei 20] [--sizes 10,100,1000,5000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import convex_reference
from routing import curves, synthetic
from routing.errors import NoLiquidityError, PoolMathError
from routing.evaluate import Hop, delivered, flows_to_hops
from routing.problem import Demands, build
from routing.route import METHODS, route

SIZES = {10: 5, 100: 20, 1000: 50, 5000: 100}
WORLD_ORDERS = (20_000, 25_000, 30_000)


def _bp(x: float) -> float:
    return x * 10_000


def granularity(inst: synthetic.Instance) -> float:
    """One base unit of the coarsest token the convex optimum routes 0.1% of the order through,
    value fractions of the order."""
    from routing import convex

    problem = build(inst.demands, inst.liquidity, inst.prices, 0)
    sol = convex.solve(problem)
    touched = {t for i, x in sol.x.items() if x >= 1e-3 for t in (problem.edges[i].token_in, problem.edges[i].token_out)}
    return max(inst.prices[t] for t in touched) / problem.value_sold


REFERENCE_DUST = 1e-7  # an interior-point solution leaves ~1e-9 on every piece: not a route


def reference_route_value(inst: synthetic.Instance, ref: convex_reference.Reference) -> float | None:
    """The reference's flows executed in keel's integer math, value fractions (None: it cannot run).
    Flows under 0.001 bp of the order (an interior-point solver's dust on every piece) are
    dropped; what they carried goes to the token's other pools."""
    problem = build(inst.demands, inst.liquidity, inst.prices, 0)
    where = {(e.pool.address, e.token_in): e.index for e in problem.edges}
    flows = {where[k]: v for k, v in ref.flows.items() if k in where and v > REFERENCE_DUST}
    try:
        hops: list[Hop] = flows_to_hops(problem, flows)
    except (NoLiquidityError, PoolMathError):
        return None
    got = delivered(hops, list(inst.demands.buy))
    sold = {t: -delivered(hops, [t])[t] for t in inst.demands.sell}
    if sold != dict(inst.demands.sell):
        return None
    return sum(a * inst.prices[t] for t, a in got.items()) / problem.value_sold


def baseline_values(inst: synthetic.Instance) -> list[float]:
    """Every baseline's exact value at gas 0, value fractions of the order."""
    sold = sum(a * inst.prices[t] for t, a in inst.demands.sell.items())
    out = []
    for m in METHODS[1:]:
        try:
            out.append(route(inst.demands, inst.liquidity, inst.prices, m, 0, with_bound=False).value_out / sold)
        except NoLiquidityError:
            continue
    return out


def gas_free_row(inst: synthetic.Instance) -> dict[str, Any]:
    curves.curve.cache_clear()  # time keel cold: it builds every curve itself
    gc.collect()  # start clean, so no full collection of the other instances' snapshots lands inside
    started = time.perf_counter()
    keel = route(inst.demands, inst.liquidity, inst.prices, "milp", 0)
    keel_s = time.perf_counter() - started
    ref = convex_reference.solve(inst.liquidity, inst.prices, inst.demands)
    sold = sum(a * inst.prices[t] for t, a in inst.demands.sell.items())
    value, bound = keel.value_out / sold, (keel.bound_value or 0) / sold
    ref_route = reference_route_value(inst, ref)
    others = [v for v in (ref_route, *baseline_values(inst)) if v is not None]
    return {
        "gap_bound": _bp((bound - value) / bound),
        "gap_ref": _bp((ref.value - value) / ref.value),
        "unit": _bp(granularity(inst)),
        "below_best": _bp(max(0.0, max(others, default=0.0) - value) / bound),
        "bound_vs_ref": _bp((bound - ref.value) / ref.value),
        "keel_s": keel_s, "ref_s": ref.time_s, "ref_status": ref.status, "hops": len(keel.hops),
    }


def summarise(label: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows if r[key] is not None)

    def worst(key: str) -> float:
        return max(r[key] for r in rows if r[key] is not None)

    return {
        "label": label, "n": len(rows),
        "gap_bound_med": med("gap_bound"), "gap_bound_worst": worst("gap_bound"),
        "gap_ref_med": med("gap_ref"), "gap_ref_worst": worst("gap_ref"),
        "unit_worst": worst("unit"), "below_best_worst": worst("below_best"),
        "bound_vs_ref_min": min(r["bound_vs_ref"] for r in rows),
        "keel_med_s": med("keel_s"), "keel_worst_s": worst("keel_s"),
        "ref_med_s": med("ref_s"), "ref_worst_s": worst("ref_s"),
        "ref_inaccurate": sum(r["ref_status"] != "optimal" for r in rows),
    }


def world_instances() -> list[tuple[str, synthetic.Instance]]:
    liq, prices = synthetic.world()
    sym = {t.symbol: a for a, t in liq.tokens.items()}
    out = []
    for weth in WORLD_ORDERS:
        demands = Demands({sym["WETH"]: weth * 10**18}, {sym["USDC"]: 0})
        out.append((f"world {weth:,} WETH", synthetic.Instance(liq, prices, demands, weth * 3000.0)))
    return out


def with_gas(instances: Sequence[synthetic.Instance], gas_wei: int) -> dict[str, Any]:
    """Per baseline, its value after gas minus keel's (bps of the value sold), and keel's statuses."""
    deltas: dict[str, list[float]] = {m: [] for m in METHODS[1:]}
    statuses: list[str] = []
    times: list[float] = []
    for inst in instances:
        args = (inst.demands, inst.liquidity, inst.prices)
        curves.curve.cache_clear()
        gc.collect()
        keel = route(*args, "milp", gas_wei, with_bound=False)
        times.append(keel.solve_time_s)
        print(f"    with gas ${inst.usd:,.0f}: keel {keel.solve_time_s:.3f}s ({keel.status})", file=sys.stderr)
        statuses.append(keel.status)
        sold = sum(a * inst.prices[t] for t, a in inst.demands.sell.items())
        for m in METHODS[1:]:
            try:
                other = route(*args, m, gas_wei, with_bound=False)
            except NoLiquidityError:
                continue
            deltas[m].append(_bp((other.net_value - keel.net_value) / sold))
    return {"deltas": deltas, "statuses": statuses, "times": times}


def run(seed: int, count: int, gas_gwei: float, sizes: Sequence[int]) -> None:
    gas_wei = int(gas_gwei * 10**9)
    free_rows, paid_rows = [], []
    for n_pools in sizes:
        started = time.perf_counter()
        insts = synthetic.routable(seed, count, n_pools, SIZES[n_pools])
        rows = []
        for k, inst in enumerate(insts):
            rows.append(gas_free_row(inst))
            print(f"    {n_pools} pools #{k} ${inst.usd:,.0f}: keel {rows[-1]['keel_s']:.3f}s, "
                  f"reference {rows[-1]['ref_s']:.3f}s", file=sys.stderr)
        free_rows.append(summarise(f"{n_pools} pools / {SIZES[n_pools]} tokens", rows))
        paid_rows.append((n_pools, with_gas(insts, gas_wei)))
        print(f"  {n_pools} pools done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    world = [summarise(label, [gas_free_row(inst)]) for label, inst in world_instances()]
    print_gas_free(seed, count, free_rows + world)
    print_with_gas(gas_gwei, paid_rows)


def print_gas_free(seed: int, count: int, rows: Sequence[dict[str, Any]]) -> None:
    print(f"routing bench, gas 0: seed {seed}, {count} instances per size (bps of the value sold; times in s)")
    head = ("instances", "n", "gap to bound med", "worst", "gap to reference med", "worst",
            "keel below best exact worst", "unit worst", "bound − reference min", "keel s med", "worst",
            "reference s med", "worst", "ref inaccurate")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = (r["label"], r["n"], f"{r['gap_bound_med']:.4f}", f"{r['gap_bound_worst']:.4f}",
                 f"{r['gap_ref_med']:+.4f}", f"{r['gap_ref_worst']:+.4f}", f"{r['below_best_worst']:.4f}",
                 f"{r['unit_worst']:.4f}", f"{r['bound_vs_ref_min']:+.5f}",
                 f"{r['keel_med_s']:.3f}", f"{r['keel_worst_s']:.3f}", f"{r['ref_med_s']:.3f}",
                 f"{r['ref_worst_s']:.3f}", r["ref_inaccurate"])
        print("| " + " | ".join(map(str, cells)) + " |")


def print_with_gas(gas_gwei: float, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    print(f"\nwith gas at {gas_gwei} gwei: each baseline's value after gas minus keel's, bps of the value sold")
    head = ("pools", "baseline", "n", "median", "worst for keel", "best for keel", "keel statuses",
            "keel s med", "worst")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n_pools, data in rows:
        counts: dict[str, int] = {}
        for s in data["statuses"]:
            counts[s] = counts.get(s, 0) + 1
        status = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        for m, d in data["deltas"].items():
            if not d:
                continue
            cells = (n_pools, m, len(d), f"{statistics.median(d):+.3f}", f"{max(d):+.3f}", f"{min(d):+.1f}", status,
                     f"{statistics.median(data['times']):.3f}", f"{max(data['times']):.3f}")
            print("| " + " | ".join(map(str, cells)) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gas-gwei", type=float, default=20.0)
    ap.add_argument("--sizes", default="10,100,1000,5000", help="pool counts, from 10, 100, 1000, 5000")
    ns = ap.parse_args()
    sizes = [int(s) for s in ns.sizes.split(",")]
    if any(s not in SIZES for s in sizes):
        ap.error(f"--sizes: choose from {', '.join(map(str, SIZES))}")
    run(ns.seed, ns.instances, ns.gas_gwei, sizes)


if __name__ == "__main__":
    main()
