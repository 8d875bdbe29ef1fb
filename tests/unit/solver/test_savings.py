"""What batching saved is measured against each intent's best route alone: the milp strategy on
an auction of its own (the joint program's volume, the best split over every pool and path), not
the single-path baseline, which would flatter the batch."""

from __future__ import annotations

import dataclasses
import time

import pytest

from solver.savings import compare, cost_usd
from solver.strategies.baseline import Baseline
from solver.strategies.milp import Milp
from tests.unit.solver.test_joint_mixture import three_tokens
from tests.unit.solver.test_reprice import auction_of


def test_the_alone_yardstick_is_each_intents_milp_solution_in_an_auction_of_its_own() -> None:
    intents, balances = three_tokens()
    a = auction_of(intents, balances, 30.0)
    winner = Milp(with_bound=False).solve(a, "0x0")
    savings = compare(a, winner, "0x0")
    milp_alone = baseline_alone = 0.0
    for e in winner.executions:
        single = dataclasses.replace(a, intents=(a.intent(e.intent_id),), deadline_ms=int(time.time() * 1000) + 10_000)
        milp_alone += cost_usd(single, Milp(with_bound=False).solve(single, "0x0"))
        baseline_alone += cost_usd(single, Baseline().solve(single, "0x0"))
    assert savings.alone_unsettled == ()
    assert savings.alone_cost_usd == pytest.approx(milp_alone, rel=1e-9)
    assert abs(milp_alone - baseline_alone) > 1.0  # the two yardsticks differ here: the test tells them apart
    assert savings.batch_cost_usd == pytest.approx(cost_usd(a, winner), rel=1e-12)
