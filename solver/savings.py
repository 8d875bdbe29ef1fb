"""What batching saved: the winning batch against routing each intent alone.

Pure. Each settled intent is solved again in an auction of its own (same block, same
pools, same reference prices) by the `milp` strategy — its best route alone: the joint
program's volume for that intent and the best split over every pool and path, with its own
settlement and gas (not the single-path `baseline`, which inflates what batching saves). A solution's cost is what leaves the users as a
whole: the value the pools keep (LP fees and price impact, at reference prices) plus the
gas of its settlement. Solver fees are a transfer that pays that gas, so they are not
counted twice. The batch's cost against the sum of the costs alone is what the
coincidences of wants and the shared settlement saved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from solver import scoring
from solver.domain import Auction, Solution
from solver.errors import NoSolution
from solver.strategies.milp import Milp

ALONE_DEADLINE_MS = 10_000  # each intent's own auction, solved alone


@dataclass(frozen=True)
class Savings:
    batch_cost_usd: float
    alone_cost_usd: float
    alone_unsettled: tuple[str, ...]  # intents that could not be settled alone at all

    @property
    def saved_usd(self) -> float:
        return self.alone_cost_usd - self.batch_cost_usd


def cost_usd(auction: Auction, solution: Solution) -> float:
    pools = float(solution.stats.get("pool_cost_usd", 0.0))
    return pools + scoring.gas_cost_e18(auction, solution.gas) / 1e18


def compare(auction: Auction, winner: Solution, solver: str) -> Savings:
    alone_total = 0.0
    unsettled = []
    for execution in winner.executions:
        # a deadline of its own: the batch's may have passed by now, and a solver short of time
        # falls back to the least trade, which would flatter the batch
        single = replace(auction, intents=(auction.intent(execution.intent_id),),
                         deadline_ms=int(time.time() * 1000) + ALONE_DEADLINE_MS)
        try:
            alone = Milp(with_bound=False).solve(single, solver)
        except NoSolution:
            unsettled.append(execution.intent_id)
            continue
        alone_total += cost_usd(single, alone)
    return Savings(cost_usd(auction, winner), alone_total, tuple(unsettled))
