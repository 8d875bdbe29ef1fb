"""What batching saved: the winning batch against routing each intent alone.

Pure. Each settled intent is solved again in an auction of its own (same block, same
pools, same reference prices) by the baseline strategy — its best single path, no
netting, its own settlement and gas — and its cost to the user (value given minus value
received at reference prices) plus that gas is summed. The batch's cost is the same sum
over the winning solution, with the batch's one gas bill. The difference is what the
coincidences of wants and the shared routing saved the users.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from solver import scoring
from solver.domain import Auction, Solution
from solver.errors import NoSolution
from solver.strategies.baseline import Baseline


@dataclass(frozen=True)
class Savings:
    batch_cost_usd: float
    alone_cost_usd: float
    alone_unsettled: tuple[str, ...]  # intents that could not be settled alone at all

    @property
    def saved_usd(self) -> float:
        return self.alone_cost_usd - self.batch_cost_usd


def cost_usd(auction: Auction, solution: Solution) -> float:
    prices = auction.reference_prices()
    users = sum(scoring.cost_e18(e.flows, prices) for e in solution.executions)
    return (users + scoring.gas_cost_e18(auction, solution.gas)) / 1e18


def compare(auction: Auction, winner: Solution, solver: str) -> Savings:
    alone_total = 0.0
    unsettled = []
    for execution in winner.executions:
        single = replace(auction, intents=(auction.intent(execution.intent_id),))
        try:
            alone = Baseline().solve(single, solver)
        except NoSolution:
            unsettled.append(execution.intent_id)
            continue
        alone_total += cost_usd(single, alone)
    return Savings(cost_usd(auction, winner), alone_total, tuple(unsettled))
