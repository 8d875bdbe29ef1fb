"""`milp`: every intent in one batch; opposite flows net at uniform prices; the residual is
routed by the integer program with split routing and exact polish."""

from __future__ import annotations

from solver.domain import Auction, Solution
from solver.strategies.batch import solve_batch


class Milp:
    name = "milp"

    def solve(self, auction: Auction, solver: str) -> Solution:
        return solve_batch(auction, solver, [bi.id for bi in auction.intents], "milp", self.name)
