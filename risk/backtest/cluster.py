"""Fan a backtest sweep out over a Dask cluster: one task per policy variant, same paths for all.

The price paths are drawn once, here, from the run's seed and scattered to every worker; each
task runs one variant over all of them with the very function the local run uses
(`engine.run_hedge` / `weights.run_weights`). A variant's run depends only on the paths and
itself, so the rows are identical to the single-machine run for the same seed (the test
compares them exactly). `scheduler` is a scheduler address (`tcp://host:8786`) or anything
`distributed.Client` accepts (a `LocalCluster` in the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

FanOut = Callable[[Callable[..., list[Any]], Any, Sequence[Any]], list[Any]]


def _one(run: Callable[..., list[Any]], data: Any, variant: Any) -> Any:
    (result,) = run(data, policies=[variant])
    return result


def dask_fan_out(scheduler: Any) -> FanOut:
    """A `FanOut` that runs `run(data, policies=[v])` for each variant `v` on the cluster at `scheduler`."""

    def fan_out(run: Callable[..., list[Any]], data: Any, variants: Sequence[Any]) -> list[Any]:
        from distributed import Client

        from keel.errors import SetupError

        try:
            client = Client(scheduler, timeout="20s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise SetupError(f"--dask: cannot reach the Dask scheduler at {scheduler} ({exc})", "dask") from None
        try:
            shared = client.scatter(data, broadcast=True)  # type: ignore[no-untyped-call]
            futures = [client.submit(_one, run, shared, v, pure=False) for v in variants]
            return list(client.gather(futures))  # type: ignore[no-untyped-call]
        finally:
            client.close()  # type: ignore[no-untyped-call]

    return fan_out
