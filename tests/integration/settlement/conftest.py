"""Fixtures of the settlement tests: the deployed settlement on the forked world."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.settlement import Settlement
from contracts.world import World
from tests.integration.settlement.helpers import Env


@pytest.fixture()
def env(chain: World, w3: Any) -> Env:
    return Env(chain, w3, Settlement(w3, chain.settlement), chain.solvers[0].address)
