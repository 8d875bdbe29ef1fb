"""`keel backtest --dask`: the sweep fanned out over a Dask cluster (an in-process `LocalCluster`)
gives exactly the rows of the single-machine run for the same seed.

A book's rows depend on the wall clock (time to expiry from now), so the book is compared on one
`OptionBook` built once, through `run.hedge_backtest`; the CLI is compared on a replayed price
file (its own timestamps) and on a portfolio, where no clock enters.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from commands.backtest import _book, _spec, cost_model
from risk.backtest import run
from risk.backtest.cluster import dask_fan_out
from tests.helpers import run_cli
from tests.unit.risk.backtest.test_cli import ROOT, _policy


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture()
def scheduler(cluster: LocalCluster) -> str:
    return str(cluster.scheduler_address)


def variants_run_on(cluster: LocalCluster) -> int:
    """How many tasks the cluster's workers have executed so far."""
    return sum(int(w.state.executed_count) for w in cluster.workers.values())


def test_the_dask_sweep_of_a_book_gives_the_local_rows_for_the_same_seed(tmp_path: Path, scheduler: str,
                                                                        cluster: LocalCluster) -> None:
    spec = _spec(_policy(tmp_path))
    book = run.option_book(_book(spec, None), spec.book.underlying, time.time())
    costs = cost_model(spec, spec.book.underlying, spec.book.numeraire, 3000.0, None)
    local, _ = run.hedge_backtest(spec, book, 3000.0, "gbm", 300, 7, costs)
    ran = variants_run_on(cluster)
    spread, _ = run.hedge_backtest(spec, book, 3000.0, "gbm", 300, 7, costs, fan_out=dask_fan_out(scheduler))
    assert len(local) == 3 and local[0]["trades_mean"] > 0
    assert variants_run_on(cluster) - ran == 3  # one task per variant, on the cluster
    assert spread == local


PORTFOLIO = """
[portfolio]
tokens = ["USDC", "WETH", "WBTC"]
target = [40, 40, 20]
[costs]
model = "flat"
flat_bps = 5
[backtest]
days = 5
steps_per_day = 24
[[policies]]
name = "time"
kind = "time"
interval_hours = 24
sweep = [2, 24]
[[policies]]
name = "threshold"
kind = "threshold"
band = 0.02
"""


@pytest.mark.parametrize("policy,extra", [("book", ["--model", f"csv:{ROOT / 'samples' / 'prices.csv'}"]),
                                          ("portfolio", ["--paths", "300"])], ids=["replayed-book", "portfolio"])
def test_keel_backtest_dask_prints_the_local_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  scheduler: str, policy: str, extra: list[str]) -> None:
    path = _policy(tmp_path) if policy == "book" else _policy(tmp_path, PORTFOLIO)
    args = ["backtest", "--policy", str(path), "--seed", "7", *extra, "--json"]
    local = run_cli(capsys, *args)
    assert local.code == 0, local.err
    spread = run_cli(capsys, *args, "--dask", scheduler)
    assert spread.code == 0, spread.err
    rows = json.loads(local.out)
    assert len(rows) == 3
    assert json.loads(spread.out) == rows
