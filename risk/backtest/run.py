"""One backtest from a validated policy file: grid, paths, policy variants, engine, rows.

The caller (the CLI) supplies what needs I/O or other rooms: the book (read from its
file), the replayed series (parsed CSV), the start spot(s), and the cost model (built
from the pools by `routing.costs`, or flat). Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from risk.backtest import gas as gas_mod
from risk.backtest import paths as paths_mod
from risk.backtest.cluster import FanOut
from risk.backtest.engine import CostModel, OptionBook, Progress, run_hedge
from risk.backtest.metrics import summarise
from risk.backtest.weights import WeightsCost, run_weights
from risk.backtest.weights import summarise as summarise_weights
from risk.greeks import SECONDS_PER_YEAR
from risk.policies import config
from risk.policies.config import PolicyFile
from risk.policies.errors import PolicyError


@dataclass(frozen=True)
class Grid:
    dt_s: float
    n_steps: int


def option_book(book: Any, underlying: str, now_s: float) -> OptionBook:
    """The rows of an `risk.book.Book` on `underlying`, as the engine's arrays at `now_s`."""
    mask = np.array([u == underlying for u in book.underlying], dtype=bool)
    if not mask.any():
        raise PolicyError(f"book: no position on {underlying}", "book.underlying")
    years = (np.asarray(book.expiry_s, dtype=np.float64)[mask] - now_s) / SECONDS_PER_YEAR
    return OptionBook(book.strike[mask].astype(np.float64), years, book.is_call[mask],
                      book.quantity[mask].astype(np.float64), book.vol[mask].astype(np.float64))


def grid_for(spec: PolicyFile, series: paths_mod.PriceSeries | None, max_years: float | None) -> Grid:
    """The time grid: the replayed series' own, else [backtest] days x steps_per_day, cut at
    the book's nearest expiry (a replay that runs past it is refused)."""
    if series is not None:
        g = Grid(float(series.dt_seconds), len(series.timestamps) - 1)
        if max_years is not None and g.n_steps * g.dt_s / SECONDS_PER_YEAR > max_years + 1e-9:
            raise PolicyError("prices: the series runs past the book's nearest expiry", "prices")
        return g
    dt_s = 86_400.0 / spec.backtest.steps_per_day
    days = spec.backtest.days
    if max_years is not None:
        days = min(days, max_years * 365)
    return Grid(dt_s, max(1, int(days * spec.backtest.steps_per_day)))


def policy_variants(spec: PolicyFile) -> list[Any]:
    return [v for p in spec.policies for v in config.variants(p, spec.gas)]


def price_paths(spec: PolicyFile, underlying: str, spot: float, vol: float, model: str, n_paths: int, seed: int,
                g: Grid, series: paths_mod.PriceSeries | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(price paths, replayed gas paths or None) for the model: gbm, garch (per-time
    parameters), or csv (the series as path 0, block-bootstrap resamples after it)."""
    dt_y = g.dt_s / SECONDS_PER_YEAR
    if model == "csv":
        assert series is not None
        block = max(1, min(round(spec.backtest.block_hours * 3600 / g.dt_s), g.n_steps))
        return paths_mod.block_bootstrap(series.path(underlying)[:, 0], n_paths, block, seed, series.gas())
    if model == "garch":
        alpha, beta = paths_mod.garch_per_step(spec.backtest.garch_half_life_hours * 3600,
                                               spec.backtest.garch_vol_of_var, g.dt_s)
        return paths_mod.garch(spot, vol, dt_y, g.n_steps, n_paths, seed, alpha, beta), None
    return paths_mod.gbm(spot, vol, dt_y, g.n_steps, n_paths, seed), None


def gas_paths(spec: PolicyFile, gas_model: str | None, g: Grid, n_paths: int, seed: int,
              replayed: np.ndarray | None) -> np.ndarray | None:
    """The gas price per step and path: replayed with the prices if the CSV had it, else
    `gas_model` (or the file's [gas] model); None means constant at the reference price."""
    if replayed is not None:
        return replayed
    model = gas_model or spec.gas.model
    if model == "constant":
        return None
    if model != "mean-reverting":
        raise PolicyError(f"gas: {model!r} is not constant or mean-reverting", "gas")
    return gas_mod.mean_reverting(spec.costs.gas_price_gwei, spec.gas.half_life_hours * 3600, spec.gas.log_sd,
                                  g.dt_s, g.n_steps, n_paths, seed)


def hedge_backtest(
    spec: PolicyFile,
    book: OptionBook,
    spot: float,
    model: str,
    n_paths: int,
    seed: int,
    costs: CostModel,
    series: paths_mod.PriceSeries | None = None,
    initial_hedge: float | None = None,
    record: int = 0,
    progress: Progress | None = None,
    gas_model: str | None = None,
    fan_out: FanOut | None = None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows (one per policy variant) and the raw runs. `initial_hedge=None` starts hedged;
    `fan_out` (`risk.backtest.cluster.dask_fan_out`) runs the variants elsewhere (a cluster)."""
    assert spec.book is not None
    g = grid_for(spec, series, book.live().nearest_expiry_years)
    vol = spec.backtest.vol or book.live().mean_vol
    p, replayed_gas = price_paths(spec, spec.book.underlying, spot, vol, model, n_paths, seed, g, series)
    gas = gas_paths(spec, gas_model, g, p.shape[1], seed, replayed_gas)
    run = partial(run_hedge, dt_s=g.dt_s, book=book, costs=costs, initial_hedge=initial_hedge,
                  target_delta=spec.book.target_delta, vol_half_life_s=spec.backtest.vol_half_life_hours * 3600,
                  record=record, gas_gwei=gas)
    runs = run(p, policies=policy_variants(spec), progress=progress) if fan_out is None \
        else fan_out(run, p, policy_variants(spec))
    return [summarise(r) for r in runs], runs


def weights_backtest(
    spec: PolicyFile,
    spots: dict[str, float],
    model: str,
    n_paths: int,
    seed: int,
    costs: WeightsCost,
    series: paths_mod.PriceSeries | None = None,
    record: int = 0,
    progress: Callable[[int, int], None] | None = None,
    fan_out: FanOut | None = None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    pf = spec.portfolio
    assert pf is not None
    k = len(pf.tokens)
    target = np.asarray(pf.target, dtype=np.float64) / 100.0
    vols = np.asarray(pf.vols if pf.vols is not None else [0.0] + [0.7] * (k - 1), dtype=np.float64)
    corr = np.asarray(pf.correlation if pf.correlation is not None else np.eye(k), dtype=np.float64)
    if vols.shape != (k,):
        raise PolicyError(f"portfolio.vols: needs {k} entries, one per token", "portfolio.vols")
    corr = paths_mod.check_correlation(corr)
    if corr.shape[0] != k:
        raise PolicyError(f"portfolio.correlation: must be {k}x{k}", "portfolio.correlation")
    cov = np.diag(vols) @ corr @ np.diag(vols)
    g = grid_for(spec, series, None)
    if model == "csv":
        assert series is not None
        cols = [np.ones(len(series.timestamps)) if j == 0 else series.path(t)[:, 0] for j, t in enumerate(pf.tokens)]
        prices = np.stack(cols, axis=1)[:, None, :]
    else:
        risky = list(pf.tokens[1:])
        s0 = np.array([spots[t] / spots[pf.tokens[0]] for t in risky])
        sim = paths_mod.correlated_gbm(s0, np.maximum(vols[1:], 1e-9), corr[1:, 1:], g.dt_s / SECONDS_PER_YEAR,
                                       g.n_steps, n_paths, seed)
        prices = np.concatenate([np.ones((g.n_steps + 1, n_paths, 1)), sim], axis=2)
    run = partial(run_weights, dt_s=g.dt_s, target=target, costs=costs, value0=pf.value, cov=cov,
                  vol_half_life_s=spec.backtest.vol_half_life_hours * 3600, record=record)
    runs = run(prices, policies=policy_variants(spec)) if fan_out is None else fan_out(run, prices, policy_variants(spec))
    if progress is not None:
        progress(g.n_steps, g.n_steps)
    return [summarise_weights(r) for r in runs], runs
