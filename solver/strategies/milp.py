"""`milp`: every intent in one batch, its volume chosen by the joint program (`solver.joint`:
every intent anywhere in its band, matched and routed at once, at reference prices); opposite
flows net at uniform prices; the residual is routed by the integer program with split routing
and exact polish."""

from __future__ import annotations

from solver.domain import Auction, Solution
from solver.strategies.batch import solve_batch


class Milp:
    name = "milp"

    def __init__(self, with_bound: bool = True) -> None:
        self.with_bound = with_bound  # compute keel's joint bound (two more linear programs) for the stats

    def solve(self, auction: Auction, solver: str) -> Solution:
        return solve_batch(auction, solver, [bi.id for bi in auction.intents], "milp", self.name, joint_program=True,
                           with_bound=self.with_bound)
