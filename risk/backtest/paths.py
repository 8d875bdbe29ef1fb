"""Price paths: seeded, vectorised over paths. Shape `(n_steps + 1, n_paths)` (one asset)
or `(n_steps + 1, n_paths, n_assets)` (several); row 0 is the starting price.

Models
- `gbm`: geometric Brownian motion, exact log-normal steps:
  S_{t+dt} = S_t exp((mu - sigma^2/2) dt + sigma sqrt(dt) Z).
- `garch`: GARCH(1,1) volatility clustering (Bollerslev 1986) on per-step log returns:
  h_{t+1} = omega + alpha eps_t^2 + beta h_t, omega = sigma^2 dt (1 - alpha - beta), so the
  long-run annualised volatility is `sigma`. alpha and beta are per *step*; users give
  per-time parameters instead and `garch_per_step` maps them (Nelson 1990, "ARCH models as
  diffusion approximations", J. Econometrics 45: GARCH(1,1) with alpha = xi sqrt(dt/2),
  1 - alpha - beta = theta dt converges as dt -> 0 to dv = theta (v_bar - v) dt + xi v dW
  for the annualised variance v), so hourly and daily steps simulate the same market:
  the variance reverts with the same half-life in hours, not in steps.
- `correlated_gbm`: several assets from a correlation matrix (Cholesky of a PSD matrix;
  a matrix that is not positive semi-definite is refused, naming the field).
- `parse_csv`: replay of the user's own series (timestamp, one price column per token, and
  optionally `gas_gwei`); gaps, duplicate or unordered timestamps and non-positive prices
  are refused by row.
- `block_bootstrap`: a replayed series as a distribution. Path 0 is the series itself
  (so a replay still decides exactly what `keel watch` decided on it); every other path
  glues together blocks of `block` consecutive log returns drawn at random (circular
  block bootstrap, Politis & Romano 1992), which keeps volatility clusters and short-range
  dependence up to the block length. Gas, when replayed, travels with its returns.

Pure: numpy only; the CSV arrives as text (the CLI reads the file).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from risk.policies.errors import PathError

FloatArray = NDArray[np.float64]
SECONDS_PER_YEAR = 365 * 24 * 3600


def _check_positive(name: str, value: float) -> None:
    if not np.isfinite(value) or value <= 0:
        raise PathError(f"{name}: must be a positive number, got {value!r}", name)


def gbm(
    s0: float, sigma: float, dt_years: float, n_steps: int, n_paths: int, seed: int, mu: float = 0.0
) -> FloatArray:
    """GBM paths, shape (n_steps + 1, n_paths)."""
    _check_positive("spot", s0)
    _check_positive("vol", sigma)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_steps, n_paths))
    steps = (mu - 0.5 * sigma * sigma) * dt_years + sigma * np.sqrt(dt_years) * z
    log_path = np.vstack([np.zeros((1, n_paths)), np.cumsum(steps, axis=0)])
    return s0 * np.exp(log_path)


def garch(
    s0: float,
    sigma: float,
    dt_years: float,
    n_steps: int,
    n_paths: int,
    seed: int,
    alpha: float = 0.08,
    beta: float = 0.90,
    mu: float = 0.0,
) -> FloatArray:
    """GARCH(1,1) paths with long-run annual volatility `sigma`, shape (n_steps + 1, n_paths)."""
    _check_positive("spot", s0)
    _check_positive("vol", sigma)
    if alpha < 0 or beta < 0 or alpha + beta >= 1:
        raise PathError(f"garch: need alpha, beta >= 0 and alpha + beta < 1, got {alpha}, {beta}", "garch")
    rng = np.random.default_rng(seed)
    var_long = sigma * sigma * dt_years
    omega = var_long * (1.0 - alpha - beta)
    h = np.full(n_paths, var_long)
    out = np.empty((n_steps + 1, n_paths))
    out[0] = s0
    log_s = np.full(n_paths, np.log(s0))
    for i in range(n_steps):
        eps = np.sqrt(h) * rng.standard_normal(n_paths)
        log_s = log_s + mu * dt_years - 0.5 * h + eps
        out[i + 1] = np.exp(log_s)
        h = omega + alpha * eps * eps + beta * h
    return out


def garch_per_step(half_life_s: float, vol_of_var: float, dt_s: float) -> tuple[float, float]:
    """(alpha, beta) per step of `dt_s` for a variance half-life (seconds) and an annualised
    volatility of variance xi (Nelson 1990's diffusion limit, see the module docstring)."""
    _check_positive("backtest.garch_half_life_hours", half_life_s)
    if not np.isfinite(vol_of_var) or vol_of_var < 0:
        raise PathError(f"backtest.garch_vol_of_var: must be >= 0, got {vol_of_var!r}", "backtest.garch_vol_of_var")
    dt_y = dt_s / SECONDS_PER_YEAR
    theta_dt = 1.0 - np.exp(-np.log(2.0) * dt_s / half_life_s)  # exact per-step reversion
    alpha = vol_of_var * np.sqrt(dt_y / 2.0)
    beta = 1.0 - theta_dt - alpha
    if beta < 0:
        raise PathError(
            f"backtest.garch_vol_of_var: {vol_of_var} is too large for {dt_s / 3600:g}-hour steps "
            f"(alpha {alpha:.3f} + reversion {theta_dt:.3f} > 1); use more steps per day", "backtest.garch_vol_of_var")
    return float(alpha), float(beta)


def check_correlation(corr: FloatArray) -> FloatArray:
    """A symmetric, unit-diagonal, positive semi-definite matrix, or a PathError."""
    c = np.asarray(corr, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise PathError(f"correlation: must be a square matrix, got shape {c.shape}", "correlation")
    if not np.allclose(c, c.T, atol=1e-12):
        raise PathError("correlation: matrix is not symmetric", "correlation")
    if not np.allclose(np.diag(c), 1.0):
        raise PathError("correlation: diagonal entries must all be 1", "correlation")
    if np.any(np.abs(c) > 1.0 + 1e-12):
        raise PathError("correlation: entries must lie in [-1, 1]", "correlation")
    smallest = float(np.linalg.eigvalsh(c).min())
    if smallest < -1e-10:
        raise PathError(
            f"correlation: matrix is not positive semi-definite (smallest eigenvalue {smallest:.4g})",
            "correlation",
        )
    return c


def _psd_factor(c: FloatArray) -> FloatArray:
    """A factor L with L L^T = c, also for singular PSD matrices (eigen-decomposition)."""
    w, v = np.linalg.eigh(c)
    return v * np.sqrt(np.clip(w, 0.0, None))


def correlated_gbm(
    s0: FloatArray,
    vols: FloatArray,
    corr: FloatArray,
    dt_years: float,
    n_steps: int,
    n_paths: int,
    seed: int,
    mu: FloatArray | None = None,
) -> FloatArray:
    """Correlated GBM for k assets, shape (n_steps + 1, n_paths, k)."""
    s = np.asarray(s0, dtype=np.float64)
    v = np.asarray(vols, dtype=np.float64)
    k = s.shape[0]
    for j in range(k):
        _check_positive(f"spot[{j}]", float(s[j]))
        _check_positive(f"vol[{j}]", float(v[j]))
    c = check_correlation(corr)
    if c.shape[0] != k:
        raise PathError(f"correlation: is {c.shape[0]}x{c.shape[0]} but there are {k} assets", "correlation")
    drift = np.zeros(k) if mu is None else np.asarray(mu, dtype=np.float64)
    factor = _psd_factor(c)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_steps, n_paths, k)) @ factor.T
    steps = (drift - 0.5 * v * v) * dt_years + v * np.sqrt(dt_years) * z
    log_path = np.concatenate([np.zeros((1, n_paths, k)), np.cumsum(steps, axis=0)], axis=0)
    return s * np.exp(log_path)


GAS_COLUMN = "gas_gwei"


@dataclass(frozen=True)
class PriceSeries:
    """A replayed series: unix-second timestamps (strictly increasing, even spacing) and prices
    (and the gas price, when the CSV has a `gas_gwei` column)."""

    timestamps: NDArray[np.int64]
    prices: dict[str, FloatArray]

    @property
    def dt_seconds(self) -> int:
        return int(self.timestamps[1] - self.timestamps[0])

    def gas(self) -> FloatArray | None:
        """The replayed gas price per row (gwei), or None."""
        return self.prices.get(GAS_COLUMN)

    def path(self, token: str) -> FloatArray:
        """One token's prices as a single path, shape (n_steps + 1, 1)."""
        if token not in self.prices:
            raise PathError(f"prices: no column {token!r} (columns: {', '.join(self.prices)})", "prices")
        return self.prices[token].reshape(-1, 1)


def parse_csv(text: str, source: str = "prices.csv") -> PriceSeries:
    """Parse `timestamp,<TOKEN>,...` rows. Refuses empty cells (gaps), timestamps that repeat,
    go backwards or skip a step (spacing must be constant), and non-positive prices."""
    rows = list(csv.reader(io.StringIO(text, newline="")))  # the csv module needs newline="" (a lone \r ends a line)
    rows = [r for r in rows if r and any(cell.strip() for cell in r)]
    if len(rows) < 3:
        raise PathError(f"{source}: needs a header and at least two rows of prices", source)
    header = [h.strip() for h in rows[0]]
    if header[0].lower() != "timestamp" or len(header) < 2:
        raise PathError(f"{source}: header must be 'timestamp,<TOKEN>,...', got {','.join(header)!r}", f"{source}:header")
    tokens = header[1:]
    if len(set(tokens)) != len(tokens):
        raise PathError(f"{source}: a token column appears twice in the header", f"{source}:header")
    stamps: list[int] = []
    values: list[list[float]] = []
    for line_no, row in enumerate(rows[1:], start=2):
        where = f"{source}:row {line_no}"
        if len(row) != len(header):
            raise PathError(f"{where}: has {len(row)} cells, header has {len(header)}", where)
        try:
            stamp = int(row[0].strip())
        except ValueError as exc:
            raise PathError(f"{where}: timestamp {row[0]!r} is not unix seconds", where) from exc
        prices: list[float] = []
        for token, cell in zip(tokens, row[1:], strict=True):
            if not cell.strip():
                raise PathError(f"{where}: gap, no {token} price", where)
            try:
                price = float(cell)
            except ValueError as exc:
                raise PathError(f"{where}: {token} price {cell!r} is not a number", where) from exc
            if not np.isfinite(price) or price < 0 or (price == 0 and token != GAS_COLUMN):
                what = "the gas price must be >= 0" if token == GAS_COLUMN else f"{token} price must be positive"
                raise PathError(f"{where}: {what}, got {cell.strip()}", where)
            prices.append(price)
        if stamps and stamp == stamps[-1]:
            raise PathError(f"{where}: duplicate timestamp {stamp}", where)
        if stamps and stamp < stamps[-1]:
            raise PathError(f"{where}: timestamp {stamp} goes backwards", where)
        stamps.append(stamp)
        values.append(prices)
    steps = np.diff(np.asarray(stamps, dtype=np.int64))
    step = int(steps[0])
    for i, gap in enumerate(steps, start=1):
        if gap != step:
            where = f"{source}:row {i + 2}"
            raise PathError(f"{where}: gap, timestamps step by {gap}s here but {step}s before", where)
    array = np.asarray(values, dtype=np.float64)
    return PriceSeries(
        np.asarray(stamps, dtype=np.int64), {t: array[:, j] for j, t in enumerate(tokens)}
    )


def log_returns(paths: FloatArray) -> FloatArray:
    return np.diff(np.log(paths), axis=0)


def block_bootstrap(
    series: FloatArray, n_paths: int, block: int, seed: int, gas: FloatArray | None = None
) -> tuple[FloatArray, FloatArray | None]:
    """(paths, gas paths) of shape (len(series), n_paths) from one replayed series.

    Path 0 is `series` itself; the others start at series[0] and follow circular blocks of
    `block` returns (1 <= block <= number of returns). `gas`, if given, is resampled at the
    same rows (the gas price seen at the start of each return)."""
    s = np.asarray(series, dtype=np.float64)
    r = np.diff(np.log(s))
    n = r.shape[0]
    if not 1 <= block <= n:
        raise PathError(f"backtest.block_hours: a block must be 1 to {n} steps long, got {block}", "backtest.block_hours")
    if n_paths < 1:
        raise PathError("paths: need at least one path", "paths")
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // block)
    starts = rng.integers(0, n, size=(n_blocks, n_paths))
    idx = (starts[:, None, :] + np.arange(block)[None, :, None]) % n  # (blocks, block, paths)
    idx = idx.reshape(n_blocks * block, n_paths)[:n]
    idx[:, 0] = np.arange(n)  # path 0 replays the series as it was
    log_paths = np.vstack([np.zeros((1, n_paths)), np.cumsum(r[idx], axis=0)])
    paths = s[0] * np.exp(log_paths)
    paths[:, 0] = s
    if gas is None:
        return paths, None
    g = np.asarray(gas, dtype=np.float64)
    rows = np.vstack([idx, (idx[-1:] + 1) % (n + 1)])
    rows[:, 0] = np.arange(n + 1)
    return paths, g[rows]
