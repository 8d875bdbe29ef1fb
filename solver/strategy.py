"""A strategy turns an auction into a solution. One method; new ones plug in by name.

    class MyStrategy:
        name = "mine"
        def solve(self, auction: Auction, solver: str) -> Solution: ...

`solver` is the address the node settles from (it goes into `Solution.solver`). A strategy
that can settle nothing raises `solver.errors.NoSolution` with the reason.
Strategies are pure (no I/O): the liquidity they route over is the auction's snapshot.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from keel.errors import UsageError
from solver.domain import Auction, Solution


class Strategy(Protocol):
    name: str

    def solve(self, auction: Auction, solver: str) -> Solution: ...


# name -> "module:Class"; a third-party strategy is named as "package.module:Class".
BUILTIN: dict[str, str] = {
    "baseline": "solver.strategies.baseline:Baseline",
    "milp": "solver.strategies.milp:Milp",
}


def load(name: str) -> Strategy:
    """The strategy called `name` (a built-in name or `module:Class`)."""
    target = BUILTIN.get(name, name)
    if ":" not in target:
        raise UsageError(f"--strategy {name!r}: unknown; built-in strategies are {', '.join(sorted(BUILTIN))}, "
                         "or give module:Class")
    module_name, class_name = target.split(":", 1)
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--strategy {name!r}: cannot load {target} ({exc})") from None
    strategy: Strategy = cls()
    return strategy
