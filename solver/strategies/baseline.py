"""`baseline`: each intent on its own, best single path, no netting.

With one clearing price per token, intents that trade a token in opposite directions can
only share a batch by netting; the baseline does not net, so it settles the largest set
of intents that all trade each token the same way (largest first) and leaves the rest
for a later round. Every token then flows one way through the pools, exactly as if each
intent had been routed alone along its best path.
"""

from __future__ import annotations

from keel.units import usd_value
from solver.domain import Auction, Solution
from solver.strategies.batch import solve_batch, wants_for


class Baseline:
    name = "baseline"

    def solve(self, auction: Auction, solver: str) -> Solution:
        prices = auction.reference_prices()
        wants, _ = wants_for(auction, [bi.id for bi in auction.intents])

        def size(i: str) -> int:
            return sum(usd_value(abs(q), prices[t]) for t, q in wants[i].flows(prices, 0).items())

        direction: dict[str, int] = {}
        chosen: list[str] = []
        for intent_id in sorted(wants, key=size, reverse=True):
            signs = {t: (1 if q > 0 else -1) for t, q in wants[intent_id].flows(prices, 0).items()}
            if all(direction.get(t, s) == s for t, s in signs.items()):
                chosen.append(intent_id)
                direction.update(signs)
        return solve_batch(auction, solver, chosen, "single-path", self.name)
