"""The chain for tests: one upstream world + one fork per session, snapshot/revert per test.

A missing anvil or npm install is a setup error (the fixture raises), never a skip.
Every process started here is stopped by PID at the end of the session, pass or fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contracts import chain as chain_mod
from contracts.world import World
from tests.pg import db_location, pg_server  # noqa: F401  (fixtures: Postgres for the storage suites)


@pytest.fixture(scope="session")
def chain_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[chain_mod.ChainHandle]:
    handle = chain_mod.start(log_dir=tmp_path_factory.mktemp("anvil-logs"))
    try:
        yield handle
    finally:
        chain_mod.stop(handle)


@pytest.fixture(scope="session")
def world(chain_handle: chain_mod.ChainHandle) -> World:
    return chain_handle.world()


@pytest.fixture()
def chain(world: World) -> Iterator[World]:
    """The world on the fork, with every change reverted after the test."""
    w3 = world.web3()
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield world
    finally:
        reverted = w3.provider.make_request("evm_revert", [snapshot])
        if not reverted.get("result"):
            raise RuntimeError(f"evm_revert({snapshot}) failed: {reverted}")
        # anvil's automine may have been switched off by a test
        w3.provider.make_request("evm_setAutomine", [True])


@pytest.fixture()
def w3(chain: World) -> Any:
    return chain.web3()
