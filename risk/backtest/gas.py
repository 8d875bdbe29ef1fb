"""Gas-price paths for backtests: constant, a seeded mean-reverting log-gas model, or replay.

Shape `(n_steps + 1, n_paths)` in gwei, like the price paths.

- `constant`: the reference price everywhere (the earlier behaviour).
- `mean_reverting`: log gas is an Ornstein-Uhlenbeck process, stepped exactly:
  ln g' = m + (ln g - m) e^{-kappa dt} + s sqrt(1 - e^{-2 kappa dt}) Z,
  kappa = ln 2 / half_life, s = the stationary standard deviation of ln g, and
  m = ln(mean) - s^2/2 so that the stationary *arithmetic* mean of g is `mean_gwei` (the
  number a user quotes as "average gas"). Paths start in the stationary law, so every
  step's cross-section has that mean. Parameters are per unit of time, so the model does
  not change with the step size. Drawn from its own seed stream, independent of prices.
- replay: a `gas_gwei` column in the replayed price CSV (see `paths.parse_csv`), carried
  through the block bootstrap with the returns it sat beside.

Pure: numpy only.
"""

from __future__ import annotations

import numpy as np

from risk.backtest.paths import FloatArray
from risk.policies.errors import PathError

# Offset the gas generator's seed so gas and prices are independent draws for the same --seed.
GAS_SEED_OFFSET = 7_919


def constant(gwei: float, n_steps: int, n_paths: int = 1) -> FloatArray:
    if not np.isfinite(gwei) or gwei < 0:
        raise PathError(f"gas: the gas price must be >= 0 gwei, got {gwei!r}", "gas")
    return np.full((n_steps + 1, n_paths), float(gwei))


def mean_reverting(
    mean_gwei: float, half_life_s: float, log_sd: float, dt_s: float, n_steps: int, n_paths: int, seed: int
) -> FloatArray:
    """Log-OU gas paths with stationary mean `mean_gwei` (gwei), half-life and log-sd."""
    for name, value in (("gas.mean_gwei", mean_gwei), ("gas.half_life_hours", half_life_s), ("gas.log_sd", log_sd)):
        if not np.isfinite(value) or value <= 0:
            raise PathError(f"{name}: must be a positive number, got {value!r}", name)
    rng = np.random.default_rng(seed + GAS_SEED_OFFSET)
    m = np.log(mean_gwei) - 0.5 * log_sd * log_sd
    keep = np.exp(-np.log(2.0) * dt_s / half_life_s)
    shock = log_sd * np.sqrt(1.0 - keep * keep)
    out = np.empty((n_steps + 1, n_paths))
    y = m + log_sd * rng.standard_normal(n_paths)
    out[0] = y
    for i in range(n_steps):
        y = m + (y - m) * keep + shock * rng.standard_normal(n_paths)
        out[i + 1] = y
    return np.exp(out)
