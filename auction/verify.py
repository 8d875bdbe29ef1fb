"""The auctioneer's checks on a candidate solution, before anything touches the chain. Pure.

`check(auction, solution, ...)` raises `Rejected` naming the first broken rule and its
field; it returns the score the auctioneer recomputed at the solver's own gas figure.
The rules, in order:

1. it answers this auction, from the solver that was asked;
2. it executes intents of this auction only, each at most once;
3. every price is positive and belongs to a token of the auction, and every token an
   execution touches has one;
4. every flow is on one of its intent's tokens, and no owner gives more than they hold;
5. every clearing price lies within each executed intent's signed bounds
   (`p_j * 1e18 // p_0` in `[minPrice_j, maxPrice_j]`, as the contract computes it);
6. value is conserved at the clearing prices and the fee is within `maxFeeBps` (the
   contract's own inequalities, so a candidate that fails them is never simulated);
7. no interaction targets the Relayer (which holds the users' approvals) or the
   settlement itself;
8. the claimed score is not above the auctioneer's recomputation (`solver.scoring.score`
   at the solution's own gas) by more than `SCORE_TOLERANCE_BPS` + 0.001 USD, and that
   recomputation is positive. The solver's number is never used to rank.
"""

from __future__ import annotations

from keel.errors import RefusedError
from keel.units import BPS, bound_price
from solver.domain import Auction, Solution
from solver.scoring import score

SCORE_TOLERANCE_BPS = 10  # rounding differences between solver and auctioneer, not more
SCORE_TOLERANCE_E18 = 10**15


class Rejected(RefusedError):
    """A solution that breaks an auction rule; `field` names where."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def check_identity(auction: Auction, solution: Solution, solver: str | None) -> None:
    if solution.auction_id != auction.id:
        raise Rejected(f"auctionId: answers auction {solution.auction_id}, not {auction.id}", "auctionId")
    if solver is not None and not _same(solution.solver, solver):
        raise Rejected(f"solver: {solution.solver} is not the registered account {solver}", "solver")


def check_intents(auction: Auction, solution: Solution) -> None:
    known = {bi.id.lower() for bi in auction.intents}
    seen: set[str] = set()
    if not solution.executions:
        raise Rejected("executions: empty", "executions")
    for i, execution in enumerate(solution.executions):
        key = execution.intent_id.lower()
        if key not in known:
            raise Rejected(f"executions[{i}].intentId: {execution.intent_id} is not in auction {auction.id}",
                           f"executions[{i}].intentId")
        if key in seen:
            raise Rejected(f"executions[{i}].intentId: {execution.intent_id} is executed twice", f"executions[{i}].intentId")
        seen.add(key)


def check_prices(auction: Auction, solution: Solution) -> None:
    for token, price in solution.prices.items():
        if token not in auction.tokens:
            raise Rejected(f"prices.{token}: not a token of auction {auction.id}", f"prices.{token}")
        if price <= 0:
            raise Rejected(f"prices.{token}: must be positive, got {price}", f"prices.{token}")
    for i, execution in enumerate(solution.executions):
        for token in auction.intent(execution.intent_id).intent.tokens:
            if solution.prices.get(token, 0) <= 0:
                raise Rejected(f"prices.{token}: executions[{i}] trades it but it has no price", f"prices.{token}")


def check_flows(auction: Auction, solution: Solution) -> None:
    for i, execution in enumerate(solution.executions):
        intent = auction.intent(execution.intent_id).intent
        held = auction.balances.get(intent.owner, {})
        for token, flow in execution.flows.items():
            if token not in intent.tokens:
                raise Rejected(f"executions[{i}].flows.{token}: not a token of the intent", f"executions[{i}].flows.{token}")
            if flow < 0 and -flow > held.get(token, 0):
                raise Rejected(f"executions[{i}].flows.{token}: pulls {-flow}, the owner holds {held.get(token, 0)}",
                               f"executions[{i}].flows.{token}")


def check_bounds(auction: Auction, solution: Solution) -> None:
    for i, execution in enumerate(solution.executions):
        intent = auction.intent(execution.intent_id).intent
        numeraire = solution.prices[intent.tokens[0]]
        for j in range(1, len(intent.tokens)):
            relative = bound_price(solution.prices[intent.tokens[j]], numeraire)
            if not intent.min_price[j] <= relative <= intent.max_price[j]:
                raise Rejected(
                    f"prices.{intent.tokens[j]}: {relative} (numeraire per unit × 1e18) is outside executions[{i}]'s "
                    f"signed bounds [{intent.min_price[j]}, {intent.max_price[j]}]", f"prices.{intent.tokens[j]}")


def check_value(auction: Auction, solution: Solution) -> None:
    for i, execution in enumerate(solution.executions):
        intent = auction.intent(execution.intent_id).intent
        given = sum(-q * solution.prices[t] for t, q in execution.flows.items() if q < 0)
        received = sum(q * solution.prices[t] for t, q in execution.flows.items() if q > 0)
        if received > given:
            raise Rejected(f"executions[{i}].flows: pays out more value than it takes at the clearing prices",
                           f"executions[{i}].flows")
        if (given - received) * BPS > intent.max_fee_bps * given:
            raise Rejected(f"executions[{i}].flows: the fee exceeds the intent's maxFeeBps {intent.max_fee_bps}",
                           f"executions[{i}].flows")


def check_interactions(solution: Solution, settlement: str, relayer: str | None) -> None:
    for k, interaction in enumerate(solution.interactions):
        if relayer is not None and _same(interaction.target, relayer):
            raise Rejected(f"interactions[{k}].target: the Relayer holds the users' approvals; no interaction may call it",
                           f"interactions[{k}].target")
        if _same(interaction.target, settlement):
            raise Rejected(f"interactions[{k}].target: the settlement may not call itself", f"interactions[{k}].target")


def check_score(auction: Auction, solution: Solution) -> int:
    recomputed = score(auction, solution, solution.gas)
    tolerance = abs(recomputed) * SCORE_TOLERANCE_BPS // BPS + SCORE_TOLERANCE_E18
    if solution.score_e18 > recomputed + tolerance:
        raise Rejected(f"score: score mismatch: claimed {solution.score_e18}, recomputed {recomputed}", "score")
    if recomputed <= 0:
        raise Rejected(f"score: not positive ({recomputed}): the batch costs its users more than they allowed", "score")
    return recomputed


def check(auction: Auction, solution: Solution, solver: str | None = None, relayer: str | None = None) -> int:
    """Every rule above; returns the recomputed score (USD × 1e18) or raises `Rejected`."""
    check_identity(auction, solution, solver)
    check_intents(auction, solution)
    check_prices(auction, solution)
    check_flows(auction, solution)
    check_bounds(auction, solution)
    check_value(auction, solution)
    check_interactions(solution, auction.settlement, relayer)
    return check_score(auction, solution)
