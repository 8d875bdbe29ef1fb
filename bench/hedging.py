"""Bench: when to rebalance, with numbers. The impulse band against the DeFi rule, keel's
earlier gas-aware rule and the dynamic-programming optimum, on documented scenarios; gas
timing against the same band at average gas. The README's "When to rebalance" table is
this script's output.

Every scenario: 30 days of hourly decisions, `--paths` seeded paths (3,000), every policy
run on the same paths, starting hedged (no common step-0 trade). Costs: a flat 5 bps fee
plus 150,000 gas per trade at the scenario's gas price, ETH at the simulated spot (the
world's USDC/WETH pools charge 5.0-5.1 bps up to 10 WETH: `check_fee` prints it). Books:
- "sample": the WETH options of samples/book.csv, valued on 2026-12-01 00:00 UTC (their
  expiries are 4-13 months away; vol 63.6%, the quantity-weighted implied vol);
- "strangle": a 30-day short strangle, -50 calls at 3,300 and -50 puts at 2,700, IV 65%,
  expiring at the end of the run.
Sweeps (frontier points): the impulse band and the gas-aware rule over risk aversion
(16 and 19 values, 1e-5..1 and 1e-6..1); the DeFi rule over band 0.3..30 WETH x interval
8, 24, 72, 240 h (44 variants: its lower envelope is "the DeFi rule at its best"); the DP
over 7 risk aversions 1e-5..1e-1.

Ratios: cost at equal hedge error, geometric mean over 9 log-spaced hedge errors in one
named range per scenario (the span every compared frontier covers with at least two
trades a path, pulled in 10% at each end), 95% paired bootstrap interval over paths
(risk.backtest.compare).

Run: .venv/bin/python bench/hedging.py [--paths N] [--boot N] [--only A,C] [--plot docs/frontier.png] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from risk import book as book_mod
from risk.backtest import compare, dp, engine, paths, run
from risk.backtest import gas as gas_mod
from risk.backtest.metrics import bootstrap_intervals
from risk.policies import hedge, impulse
from risk.policies.band import impulse_band

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
S0, DT_S, STEPS, FEE, GAS_UNITS = 3000.0, 3600.0, 720, 0.0005, 150_000
GARCH_HALF_LIFE_H, GARCH_XI = 336.0, 2.7
GAS_HALF_LIFE_H, GAS_LOG_SD = 4.0, 0.6


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    book: str  # "sample" | "strangle"
    model: str = "gbm"
    gwei: float = 20.0
    moving_gas: bool = False
    dp: bool = True


SCENARIOS = (
    Scenario("A", "sample book, GBM, 20 gwei", "sample"),
    Scenario("B", "sample book, GARCH, 20 gwei", "sample", model="garch", dp=False),
    Scenario("C", "30-day short strangle, GBM, 20 gwei", "strangle"),
    Scenario("D", "sample book, GBM, 0.1 gwei", "sample", gwei=0.1),
    Scenario("E", "sample book, GBM, mean-reverting gas (mean 20 gwei)", "sample", moving_gas=True),
)


@dataclass
class Result:
    scenario: Scenario
    curves: dict[str, compare.Curve]
    trades: dict[str, np.ndarray]
    ratios: list[compare.Ratio] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    dp_check: dict[str, float] = field(default_factory=dict)
    range: tuple[float, float] = (0.0, 0.0)


def book_for(name: str) -> engine.OptionBook:
    if name == "sample":
        return run.option_book(book_mod.load(ROOT / "samples" / "book.csv"), "WETH", NOW).live()
    years = STEPS * DT_S / 31_536_000
    return engine.OptionBook(np.array([3300.0, 2700.0]), np.array([years, years]), np.array([True, False]),
                             np.array([-50.0, -50.0]), np.array([0.65, 0.65]))


def costs_for(gwei: float) -> engine.CostModel:
    gas_eth = gwei * 1e-9 * GAS_UNITS
    return engine.CostModel(lambda q, s: np.abs(q) * s * FEE, lambda s: gas_eth * s, FEE, gwei=gwei)


def sweeps(sc: Scenario) -> dict[str, list[Any]]:
    lams = np.geomspace(1e-5, 1.0, 16)
    out: dict[str, list[Any]] = {
        "impulse band": [impulse.ImpulseBand("impulse band", risk_aversion=v) for v in lams],
        "DeFi rule": [hedge.DeFiRule("DeFi rule", band=b, interval_hours=h)
                      for h in (8, 24, 72, 240) for b in np.geomspace(0.3, 30, 11)],
        "gas-aware": [hedge.GasAware("gas-aware", risk_aversion=v) for v in np.geomspace(1e-6, 1.0, 19)],
    }
    if sc.key == "A":  # for the picture: the classic band, which prices no gas
        out["Whalley-Wilmott"] = [hedge.WhalleyWilmott("Whalley-Wilmott", risk_aversion=v)
                                  for v in np.geomspace(1e-6, 1e-1, 11)]
    if sc.moving_gas:
        out["band at average gas"] = [impulse.ImpulseBand("band at average gas", risk_aversion=v, gas="reference")
                                      for v in lams]
        out["gas timing"] = [impulse.GasTiming("gas timing", risk_aversion=v, gas_half_life_hours=GAS_HALF_LIFE_H,
                                               gas_log_sd=GAS_LOG_SD) for v in lams]
    return out


def solve_dp(sc: Scenario, book: engine.OptionBook, costs: engine.CostModel) -> tuple[list[dp.DPPolicy], float]:
    chain = (dp.GasChain.rouwenhorst(sc.gwei, GAS_HALF_LIFE_H * 3600, GAS_LOG_SD, DT_S, 7) if sc.moving_gas
             else dp.GasChain.constant(sc.gwei))
    _, _, gamma = book.greeks(np.array([S0]), 0.0)
    dear = float(costs.gas(np.array([S0]))[0] * chain.levels[-1] / sc.gwei)
    policies, started = [], time.perf_counter()
    for lam in np.geomspace(1e-5, 1e-1, 7):
        band = impulse_band(gamma, np.array([S0]), book.mean_vol, lam, np.array([dear]), np.array([FEE]))
        sol = dp.solve(book, S0, book.mean_vol, DT_S, STEPS, lam, FEE, costs.gas, sc.gwei, chain,
                       max(4.0 * float(band.outer[0]), 2.0), n_x=201)
        policies.append(dp.DPPolicy("DP optimum", sol, DT_S, lam, sc.gwei))
    return policies, time.perf_counter() - started


def simulate(sc: Scenario, book: engine.OptionBook, n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    dt_y = DT_S / 31_536_000
    if sc.model == "garch":
        alpha, beta = paths.garch_per_step(GARCH_HALF_LIFE_H * 3600, GARCH_XI, DT_S)
        p = paths.garch(S0, book.mean_vol, dt_y, STEPS, n, seed, alpha, beta)
    else:
        p = paths.gbm(S0, book.mean_vol, dt_y, STEPS, n, seed)
    g = gas_mod.mean_reverting(sc.gwei, GAS_HALF_LIFE_H * 3600, GAS_LOG_SD, DT_S, STEPS, n, seed) if sc.moving_gas else None
    return p, g


def headline_range(res: Result, names: list[str]) -> tuple[float, float]:
    """The hedge errors every named frontier covers with >= 2 trades a path, pulled in 10%."""
    lo, hi = 0.0, np.inf
    for name in names:
        he, cost = res.curves[name].points()
        busy = (res.trades[name] >= 2) & (cost > 0)
        lo, hi = max(lo, he[busy].min()), min(hi, he[busy].max())
    return lo * 1.1, hi / 1.1


def run_scenario(sc: Scenario, n: int, seed: int, boot: int) -> Result:
    book, costs = book_for(sc.book), costs_for(sc.gwei)
    pols = sweeps(sc)
    seconds: dict[str, float] = {}
    if sc.dp:
        pols["DP optimum"], seconds["dp"] = solve_dp(sc, book, costs)
    p, g = simulate(sc, book, n, seed)
    flat = [x for v in pols.values() for x in v]
    started = time.perf_counter()
    runs = engine.run_hedge(p, DT_S, book, flat, costs, initial_hedge=None, gas_gwei=g)
    seconds["backtest"] = time.perf_counter() - started
    curves, trades, i = {}, {}, 0
    for name, variants in pols.items():
        chunk = runs[i:i + len(variants)]
        curves[name] = compare.Curve.from_runs(name, chunk)
        trades[name] = np.array([r.n_trades.mean() for r in chunk])
        i += len(variants)
    res = Result(sc, curves, trades, seconds=seconds)
    if sc.dp:  # the DP's forecast of its own cost against what the backtest measured
        mid = pols["DP optimum"][3]
        measured = next(r for r in runs if r.policy is mid)
        res.dp_check = {"risk_aversion": mid.risk_aversion, "forecast": _forecast(mid.solution),
                        "measured": float(measured.trading_cost.mean()),
                        "stderr": float(measured.trading_cost.std() / np.sqrt(n))}
    names = ["impulse band", "DeFi rule", "gas-aware"] + (["DP optimum"] if sc.dp else [])
    names += ["band at average gas", "gas timing"] if sc.moving_gas else []
    res.range = headline_range(res, names)
    pairs = [("impulse band", "DeFi rule"), ("impulse band", "gas-aware")]
    pairs += [("impulse band", "DP optimum")] if sc.dp else []
    pairs += [("gas-aware", "DeFi rule")]
    if sc.moving_gas:
        pairs += [("gas timing", "band at average gas"), ("impulse band", "band at average gas"),
                  ("gas timing", "DP optimum"), ("gas timing", "gas-aware")]
    res.ratios = [compare.ratio(curves[a], curves[b], *res.range, n_boot=boot, seed=seed) for a, b in pairs]
    return res


def _forecast(sol: dp.DPSolution) -> float:
    """The DP's expected cost from x = 0 at the start, gas drawn from its stationary law (as
    the backtest's gas paths start)."""
    t = sol.gas.transition
    w, v = np.linalg.eig(t.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1.0))])
    return float(np.dot(pi / pi.sum(), sol.cost0))


def check_fee() -> str:
    """The world-shaped USDC/WETH pools' cost per size, against the flat 5 bps used here."""
    from routing import costs as costs_mod
    from tests.unit.risk.backtest.world_pools import USDC, WETH, usdc_weth

    curve = costs_mod.build_curve(usdc_weth(), WETH, USDC, S0, gas_price_gwei=20.0, points=80)
    sizes = np.array([0.5, 2.0, 5.0, 10.0])
    bps = 1e4 * 0.5 * (curve.fraction(sizes, np.full(4, S0)) + curve.fraction(-sizes, np.full(4, S0)))
    return ", ".join(f"{q:g} WETH {b:.2f} bps" for q, b in zip(sizes, bps, strict=True))


def _fmt(r: compare.Ratio) -> str:
    return f"{r.point:.2f} ({r.ci_low:.2f}–{r.ci_high:.2f})"


def report(results: list[Result]) -> list[str]:
    lines = ["| scenario | hedge-error range ($) | impulse vs DeFi rule | impulse vs gas-aware | impulse vs DP optimum "
             "| gas-aware vs DeFi rule |", "|---|---|---|---|---|---|"]
    for res in results:
        by = {(r.better, r.worse): r for r in res.ratios}
        dpr = by.get(("impulse band", "DP optimum"))
        lines.append(f"| {res.scenario.title} | {res.range[0]:,.0f}–{res.range[1]:,.0f} "
                     f"| {_fmt(by[('impulse band', 'DeFi rule')])} | {_fmt(by[('impulse band', 'gas-aware')])} "
                     f"| {_fmt(dpr) if dpr else 'no DP (stochastic vol)'} | {_fmt(by[('gas-aware', 'DeFi rule')])} |")
    for res in results:
        if res.scenario.moving_gas:
            by = {(r.better, r.worse): r for r in res.ratios}
            lines += ["", f"Gas as a state ({res.scenario.title}; log gas mean-reverting, half-life "
                      f"{GAS_HALF_LIFE_H:g} h, stationary log-sd {GAS_LOG_SD}):", "",
                      "| ratio | cost at equal hedge error |", "|---|---|"]
            for key in (("gas timing", "band at average gas"), ("impulse band", "band at average gas"),
                        ("gas timing", "DP optimum"), ("gas timing", "gas-aware")):
                lines.append(f"| {key[0]} vs {key[1]} | {_fmt(by[key])} |")
    return lines


def targets(results: list[Result]) -> list[str]:
    out = []
    for res in results:
        by = {(r.better, r.worse): r for r in res.ratios}
        if not res.scenario.moving_gas:
            for (a, b), limit, use_high in ((("impulse band", "DeFi rule"), 0.90, True),
                                            (("impulse band", "gas-aware"), 0.95, True),
                                            (("impulse band", "DP optimum"), 1.03, True)):
                if (a, b) in by:
                    r = by[(a, b)]
                    value = r.ci_high if use_high else r.point
                    out.append(f"  {res.scenario.key} {a} vs {b}: upper 95% {value:.3f} <= {limit}: "
                               f"{'met' if value <= limit else 'MISSED'}")
        else:
            r = by[("gas timing", "band at average gas")]
            out.append(f"  {res.scenario.key} gas timing vs band at average gas: upper 95% {r.ci_high:.3f} < 1: "
                       f"{'met' if r.ci_high < 1 else 'MISSED'}")
    return out


def plot(res: Result, path: Path) -> None:
    from risk.backtest.plot import frontier_curves_png

    shown = {}
    for name in ("impulse band", "DP optimum", "gas-aware", "DeFi rule", "Whalley-Wilmott"):
        if name not in res.curves:
            continue
        c = res.curves[name]
        he, cost = c.points()
        order = np.argsort(he)
        keep = [i for k, i in enumerate(order) if cost[i] > 0 and res.trades[name][i] >= 1
                and all(cost[i] < cost[j] for j in order[:k])]  # the lower envelope only
        ci = [bootstrap_intervals(c.pnl[i], c.cost[i]) for i in keep]
        shown[name] = {"he": he[keep], "cost": cost[keep], "he_lo": [x[0] for x in ci], "he_hi": [x[1] for x in ci],
                       "cost_lo": [x[2] for x in ci], "cost_hi": [x[3] for x in ci]}
    frontier_curves_png(shown, path, f"{res.scenario.title}: cost vs hedge error ({res.curves['impulse band'].cost.shape[1]:,} paths, 30 days)",
                        "hedge error (std of the hedged book's P&L before costs, $)", res.range)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=3000)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="A,B,C,D,E")
    ap.add_argument("--plot", type=Path, default=None, help="write scenario A's frontier (docs/frontier.png)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    wanted = set(args.only.split(","))
    print(f"hedging bench: {args.paths:,} paths x {STEPS} hourly steps, flat {FEE * 1e4:g} bps + {GAS_UNITS:,} gas a trade")
    print(f"  the world's USDC/WETH pools, for comparison: {check_fee()}")
    results = []
    for sc in SCENARIOS:
        if sc.key not in wanted:
            continue
        started = time.perf_counter()
        res = run_scenario(sc, args.paths, args.seed, args.boot)
        results.append(res)
        s = res.seconds
        dp_note = ""
        if "dp" in s:
            c = res.dp_check
            dp_note = (f"; DP: 7 solves in {s['dp']:.1f} s ({s['dp'] / 7:.1f} s each); at lambda {c['risk_aversion']:.0e} it "
                       f"forecast ${c['forecast']:.2f} of cost, the backtest measured ${c['measured']:.2f} +- {c['stderr']:.2f}")
        print(f"{sc.key}. {sc.title}: backtest {s['backtest']:.1f} s{dp_note}; total {time.perf_counter() - started:.0f} s",
              flush=True)
        if sc.key == "A" and args.plot is not None:
            plot(res, args.plot)
            print(f"  frontier written to {args.plot}")
    print()
    print("\n".join(report(results)))
    print("\ntargets:")
    print("\n".join(targets(results)))
    if args.json is not None:
        args.json.write_text(json.dumps([{"scenario": r.scenario.title, "range": r.range, "seconds": r.seconds,
                                          "dp_check": r.dp_check, "ratios": [x.to_json() for x in r.ratios]}
                                         for r in results], indent=2))


if __name__ == "__main__":
    main()
