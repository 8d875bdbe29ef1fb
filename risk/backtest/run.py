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
    return [v for p in spec.policies for v in config.variants(p)]


def hedge_backtest(
    spec: PolicyFile,
    book: OptionBook,
    spot: float,
    model: str,
    n_paths: int,
    seed: int,
    costs: CostModel,
    series: paths_mod.PriceSeries | None = None,
    initial_hedge: float = 0.0,
    record: int = 0,
    progress: Progress | None = None,
    fan_out: FanOut | None = None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows (one per policy variant) and the raw runs; `fan_out` runs the variants elsewhere (a cluster)."""
    assert spec.book is not None
    g = grid_for(spec, series, book.live().nearest_expiry_years)
    vol = spec.backtest.vol or book.live().mean_vol
    dt_y = g.dt_s / SECONDS_PER_YEAR
    if model == "csv":
        assert series is not None
        p = series.path(spec.book.underlying)
    elif model == "garch":
        p = paths_mod.garch(spot, vol, dt_y, g.n_steps, n_paths, seed, spec.backtest.garch_alpha, spec.backtest.garch_beta)
    else:
        p = paths_mod.gbm(spot, vol, dt_y, g.n_steps, n_paths, seed)
    run = partial(run_hedge, dt_s=g.dt_s, book=book, costs=costs, initial_hedge=initial_hedge,
                  target_delta=spec.book.target_delta, vol_half_life_s=spec.backtest.vol_half_life_hours * 3600,
                  record=record)
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
