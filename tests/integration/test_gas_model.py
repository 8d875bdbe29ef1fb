"""keel's gas model (`solver.gas_model`) against the gas real settlements use, on the fork.

Batches of 10, 40 and 120 random weights and hedge intents (two-token, four-token and mixed),
solved by `milp` and settled; each receipt's gasUsed against the model's estimate of that
transaction: within 5% on every one. The same measurement, over more sizes, re-fits the
constants: `.venv/bin/python bench/gas_model.py` (see `solver/gas_model.py`).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.gas_model import KINDS, measure
from solver import gas_model


@pytest.mark.parametrize(("kind", "size"), [("2 tokens", 40), ("4 tokens", 40), ("mixed", 10), ("mixed", 120)])
def test_the_gas_estimate_is_within_5_percent_of_the_gas_a_settlement_uses(chain: Any, kind: str, size: int) -> None:
    shape, used = measure(chain, size, KINDS[kind], seed=7)
    estimate = gas_model.settlement_gas(shape)
    error = (estimate - used) / used
    print(f"\n{kind} × {size}: {len(shape.execution_tokens)} executions, {len(shape.interaction_calls)} interactions, "
          f"estimate {estimate:,} vs measured {used:,} ({error:+.2%})")
    assert len(shape.execution_tokens) >= size * 3 // 4
    assert abs(error) <= 0.05
