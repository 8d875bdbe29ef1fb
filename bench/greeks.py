"""Bench: price a 100,000-position options book with vectorised Black–Scholes.

Prints the vectorised time, the time of a plain Python loop over the same formulas on a
sample of the book (the baseline, scaled to the full book), and the ratio.
Run: `.venv/bin/python bench/greeks.py [N]`.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from risk.greeks import black_scholes


def scalar_call_or_put(s: float, k: float, t: float, v: float, call: bool, r: float) -> tuple[float, float]:
    """Price and delta by the textbook formula, one option at a time (the baseline)."""
    d1 = (math.log(s / k) + (r + 0.5 * v * v) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0))  # noqa: E731
    if call:
        return s * n(d1) - k * math.exp(-r * t) * n(d2), n(d1)
    return k * math.exp(-r * t) * n(-d2) - s * n(-d1), n(d1) - 1.0


def main(n: int = 100_000) -> None:
    rng = np.random.default_rng(7)
    spot = np.full(n, 3000.0)
    strike = rng.uniform(1500, 4500, n)
    years = rng.uniform(1 / 365, 2.0, n)
    vol = rng.uniform(0.3, 1.2, n)
    call = rng.random(n) < 0.5
    qty = rng.normal(0, 10, n)

    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        greeks = black_scholes(spot, strike, years, vol, call, 0.03).scaled(qty)
        total = greeks.total()
        best = min(best, time.perf_counter() - t0)

    sample = 10_000
    t0 = time.perf_counter()
    for i in range(sample):
        scalar_call_or_put(3000.0, strike[i], years[i], vol[i], bool(call[i]), 0.03)
    loop = (time.perf_counter() - t0) * n / sample

    print(f"positions           {n:,}")
    print(f"vectorised (best/5) {best * 1000:.1f} ms  (all six greeks, per position and total)")
    print(f"python loop (est.)  {loop * 1000:.1f} ms  (price + delta only, from {sample:,} rows)")
    print(f"speed-up            {loop / best:.0f}x")
    print(f"book delta          {total['delta']:.3f}")
    print(f"under one second    {'yes' if best < 1.0 else 'NO'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
