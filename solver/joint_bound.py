"""keel's joint bound with one uniform price vector: a Lagrangian bound over the price box.

For the users whose numeraire is the batch's most common one (group G), each user's value
conservation at uniform clearing prices rho (each token's price over its reference) is moved
out of the constraints of `solver.joint`'s program and into its objective with a multiplier
lambda_i >= 0 (the dual of its row in the fixed-price program at the reference prices). For
fixed lambda, L(rho) = max over flows of [objective - sum_i lambda_i (value received - value
given at rho)] is at least the best score of any solution clearing at rho (weak duality), and
convex in rho (a maximum of functions affine in rho), so its maximum over the box of prices
the G users' signed bounds allow (each token within [min lo, max hi] of its reference, the
numeraire fixed) lies at one of the box's vertices. Users outside G keep the any-price
relaxation. So the maximum over the vertices, plus `joint.BOUND_SLACK`, bounds every
settleable solution (`docs/scoring.md`). One model, re-solved warm at each vertex (only the
costs change). Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from keel.units import bound_price
from routing.pools import Liquidity
from solver.joint import (
    BOUND_SLACK,
    FIXED_PRICE,
    PRICED,
    JointIntent,
    build_model,
    price_value,
    run_model,
    solve,
)


def priced_bound(intents: list[JointIntent], liquidity: Liquidity, prices: Mapping[str, int],
                 time_limit_s: float = math.inf) -> tuple[float, int]:
    """keel's joint bound (the module docstring says why it bounds) and the vertices solved."""
    fixed = solve(intents, liquidity, prices, FIXED_PRICE, time_limit_s=time_limit_s)
    group = {i: fixed.multipliers.get(i, 0.0) for i in common_group(intents)}
    vertices = vertices_of(price_box([ji for ji in intents if ji.id in group], prices))
    # one model; from one vertex to the next only the costs change, so simplex restarts from the
    # last optimal basis (still feasible) instead of solving from scratch
    built = build_model(intents, liquidity, prices, PRICED, vertices[0], group, time_limit_s)
    base = list(built.model.cost)
    best = -math.inf
    for n, relative in enumerate(vertices):
        if n:
            built.model.cost = list(base)
            for ji in intents:
                if ji.id in group:
                    price_value(built.model, built.cols[ji.id], relative, group[ji.id])
                    price_value(built.model, built.cols[ji.id], vertices[0], -group[ji.id])
            _set_costs(built.h, built.model.cost)
            built.h.setOptionValue("solver", "simplex")
        _, objective, _ = run_model(built)
        best = max(best, objective + BOUND_SLACK * built.scale)
    return best, len(vertices)


def _set_costs(h: Any, cost: list[float]) -> None:
    import numpy as np

    h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), np.array(cost))


def common_group(intents: list[JointIntent]) -> list[str]:
    """The intents whose numeraire is the batch's most common one (ties: the smallest address)."""
    numeraires = [ji.intent.tokens[0] for ji in intents]
    if not numeraires:
        return []
    common = max(sorted(set(numeraires)), key=numeraires.count)
    return [ji.id for ji in intents if ji.intent.tokens[0] == common]


def price_box(users: list[JointIntent], prices: Mapping[str, int]) -> dict[str, tuple[float, float]]:
    """Per token, the clearing price over its reference that some user's signed bounds allow."""
    box: dict[str, tuple[float, float]] = {}
    for ji in users:
        intent = ji.intent
        numeraire = prices[intent.tokens[0]]
        for j, t in enumerate(intent.tokens[1:], start=1):
            ref = bound_price(prices[t], numeraire)
            lo, hi = intent.min_price[j] / ref, intent.max_price[j] / ref
            old = box.get(t, (lo, hi))
            box[t] = (min(old[0], lo), max(old[1], hi))
    return box


def vertices_of(box: dict[str, tuple[float, float]]) -> list[dict[str, float]]:
    out: list[dict[str, float]] = [{}]
    for t, (lo, hi) in sorted(box.items()):
        out = [{**v, t: x} for v in out for x in ((lo, hi) if hi > lo else (lo,))]
    return out
