"""An independent fixed-price batch program, for checking keel's joint bound: one Clarabel solve (cvxpy).

At one uniform clearing price vector rho (each token's price over its reference), the best
score before gas of any batch solution clearing at rho: every intent's flows anywhere its
owner's balances allow, its value conservation at rho (value received <= value given), the
score's allowance rate * min(value given, progress) less the value the user gives up at
reference prices, and the pools as exact constant-product pieces under rotated second-order
cones (`bench.convex_reference.pieces`: built from the raw pool data, V3 liquidity summed in
integers). It shares no code with `solver/joint.py` (no tangent cuts, no segments from
`routing.curves`, its own distance and allowance terms), so `keel`'s bound — which must lie
above this optimum at every rho inside the signed price box — is checked against a second
formulation and a second solver. Values in units of the batch's total distance to target.

It is an *estimate* to Clarabel's tolerance (~1e-8 of the scale), and like the convex router
it leaves out pool pieces whose first rate is 1,000x off the reference price, so it can only
sit a hair *below* the true fixed-price optimum: a bound under it is wrong. Needs the `dev`
extras (cvxpy, clarabel).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.convex_reference import MAX_WIDTH, pieces
from intents.model import Intent, IntentKind
from keel.units import BPS, USD_PRICE_SCALE
from routing.pools import Liquidity
from solver.scoring import UNBOUNDED, band_bps


def distance_before_usd(intent: Intent, held_usd: Mapping[str, float], prices: Mapping[str, int]) -> float:
    if intent.kind == IntentKind.WEIGHTS:
        total = sum(held_usd.values())
        return sum(max(0.0, held_usd[t] - total * w / BPS) for t, w in zip(intent.tokens, intent.target_weight_bps,
                                                                            strict=True))
    return sum(abs(held_usd[t] - centre_usd(intent, j, prices)) for j, t in enumerate(intent.tokens)
               if intent.max_balance[j] < UNBOUNDED)


def centre_usd(intent: Intent, j: int, prices: Mapping[str, int]) -> float:
    return (intent.min_balance[j] + intent.max_balance[j]) // 2 * prices[intent.tokens[j]] / USD_PRICE_SCALE


def net_fixed_price_usd(intents: Mapping[str, Intent], balances: Mapping[str, Mapping[str, int]],
                        liquidity: Liquidity, prices: Mapping[str, int], relative: Mapping[str, float]) -> float:
    """A net-sells solution at `relative` prices: the program solved, then again with each user's
    tokens held to the directions of that optimum's net flows (one way each, so the sells it counts
    are net sells, as a settlement's are). A lower estimate of the best net-sells value at those
    prices, which keel's bound (branched on washes) must lie above."""
    _, flows = fixed_price_usd(intents, balances, liquidity, prices, relative, with_flows=True)
    ways = {(i, t): (-1 if q < 0 else 1 if q > 0 else 0) for i, per in flows.items() for t, q in per.items()}
    return fixed_price_usd(intents, balances, liquidity, prices, relative, ways=ways)


def fixed_price_usd(intents: Mapping[str, Intent], balances: Mapping[str, Mapping[str, int]],
                    liquidity: Liquidity, prices: Mapping[str, int], relative: Mapping[str, float],
                    ways: Mapping[tuple[str, str], int] | None = None, with_flows: bool = False) -> Any:
    """The fixed-price optimum at `relative` clearing prices (1 = reference), USD before gas. With
    `ways`, each (intent, token) listed only sells it (-1), only buys it (+1) or neither (0); with
    `with_flows`, also each intent's net flows (value / scale, buy > 0)."""
    import cvxpy as cp
    import numpy as np

    held = {i: {t: max(0, balances.get(it.owner, {}).get(t, 0)) * prices[t] / USD_PRICE_SCALE for t in it.tokens}
            for i, it in intents.items()}
    scale = max(1.0, sum(distance_before_usd(it, held[i], prices) for i, it in intents.items()))
    ps = pieces(liquidity, prices, scale * USD_PRICE_SCALE)
    tokens = sorted({t for p in ps for t in (p.token_in, p.token_out)} | {t for it in intents.values() for t in it.tokens})
    net: dict[str, object] = dict.fromkeys(tokens, 0)  # what the settlement keeps of each token, value / scale
    objective = 0
    constraints = []
    variables: dict[str, Any] = {}
    for i, it in intents.items():
        n = len(it.tokens)
        h = np.array([held[i][t] / scale for t in it.tokens])
        sell, buy = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
        variables[i] = (sell, buy)
        for j, t in enumerate(it.tokens):
            way = (ways or {}).get((i, t))
            if way is not None and way <= 0:
                constraints.append(buy[j] == 0)
            if way is not None and way >= 0:
                constraints.append(sell[j] == 0)
        after = h + buy - sell
        allowance = cp.Variable(nonneg=True)
        constraints += [sell <= h, allowance <= cp.sum(sell),
                        allowance <= distance_before_usd(it, held[i], prices) / scale - _distance(it, after, prices, scale),
                        np.array([relative.get(t, 1.0) for t in it.tokens]) @ (buy - sell) <= 0]
        rate = (it.max_fee_bps + band_bps(it, dict(prices))) / BPS
        objective += rate * allowance - cp.sum(sell - buy)
        for j, t in enumerate(it.tokens):
            net[t] = net[t] + sell[j] - buy[j]
    if ps:
        k = len(ps)
        r_in = np.array([p.r_in for p in ps])
        r_out = np.array([p.r_out for p in ps])
        gamma = np.array([p.gamma for p in ps])
        width = np.array([p.width for p in ps])
        u, v, w = cp.Variable(k, nonneg=True), cp.Variable(k, nonneg=True), cp.Variable(k, nonneg=True)
        depth = 1 + cp.multiply(gamma / r_in, u)
        constraints += [cp.SOC(w + depth, cp.vstack([2 * u, w - depth]), axis=0),
                        v <= cp.multiply(gamma * r_out / r_in, u - cp.multiply(gamma / r_in, w))]
        finite = np.flatnonzero(width < MAX_WIDTH)
        if finite.size:
            constraints.append(u[finite] <= width[finite])
        for n_, p in enumerate(ps):
            net[p.token_out] = net[p.token_out] + v[n_]
            net[p.token_in] = net[p.token_in] - u[n_]
    constraints += [net[t] >= 0 for t in tokens if not isinstance(net[t], int)]
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in ("optimal", "optimal_inaccurate") or problem.value is None:
        raise ValueError(f"the reference program is {problem.status}")
    if not with_flows:
        return float(problem.value) * scale
    # a net flow within the solver's tolerance of 0 counts as no trade
    flows = {i: {t: (0.0 if abs(q) < 1e-7 else float(q)) for t, q in zip(intents[i].tokens, buy.value - sell.value,
                                                                       strict=True)}
             for i, (sell, buy) in variables.items()}
    return float(problem.value) * scale, flows


def _distance(intent: Intent, after: Any, prices: Mapping[str, int], scale: float) -> Any:
    """The scoring distance after the trade (convex in the flows at fixed prices)."""
    import cvxpy as cp

    if intent.kind == IntentKind.WEIGHTS:
        total = cp.sum(after)
        return sum(cp.pos(after[j] - total * w / BPS) for j, w in enumerate(intent.target_weight_bps))
    return sum(cp.abs(after[j] - centre_usd(intent, j, prices) / scale) for j in range(len(intent.tokens))
               if intent.max_balance[j] < UNBOUNDED)
