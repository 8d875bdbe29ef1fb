"""The auctioneer's checks on a candidate solution, before anything touches the chain. Pure.

`check(auction, solution, ...)` raises `Rejected` carrying the `Drop` of the first broken
rule (its `DropReason`, the offending values, and the field to blame); it returns the
score the auctioneer recomputed at the solver's own gas figure. The rules, in order:

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
   settlement itself, and every sink is a pool target the auction lists, for a priced token, that
   the pool-deviation breaker keeps (and sinks come with interactions);
8. no swap goes through a pool the pool-deviation breaker leaves out (`auction.pool_guard`:
   far from the feed or its own TWAP, e.g. pushed before the snapshot), whoever the solver; while
   any pool is left out, every interaction must be a router swap the auctioneer can place (fail closed);
9. the claimed score is not above the auctioneer's recomputation (`solver.scoring.score`
   at the solution's own gas) by more than `SCORE_TOLERANCE_BPS` + 0.001 USD, and that
   recomputation is positive. The solver's number is never used to rank.
"""

from __future__ import annotations

from typing import Any

from auction import pool_guard
from auction.verdicts import Drop, DropReason
from keel.errors import RefusedError
from keel.units import BPS, bound_price
from solver.domain import Auction, Solution
from solver.scoring import score

SCORE_TOLERANCE_BPS = 10  # rounding differences between solver and auctioneer, not more
SCORE_TOLERANCE_E18 = 10**15


class Rejected(RefusedError):
    """A solution that breaks an auction rule: `drop` says which and with what values; `field` names where."""

    def __init__(self, drop: Drop) -> None:
        super().__init__(drop.sentence, drop.field)
        self.drop = drop


def _reject(reason: DropReason, field: str | None, **values: Any) -> Rejected:
    return Rejected(Drop.of(reason, field, **values))


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def check_identity(auction: Auction, solution: Solution, solver: str | None) -> None:
    if solution.auction_id != auction.id:
        raise _reject(DropReason.WRONG_AUCTION, "auctionId", answered=solution.auction_id, auction=auction.id)
    if solver is not None and not _same(solution.solver, solver):
        raise _reject(DropReason.WRONG_SOLVER, "solver", claimed=solution.solver, registered=solver)


def check_intents(auction: Auction, solution: Solution) -> None:
    known = {bi.id.lower() for bi in auction.intents}
    seen: set[str] = set()
    if not solution.executions:
        raise _reject(DropReason.NO_EXECUTIONS, "executions")
    for i, execution in enumerate(solution.executions):
        key = execution.intent_id.lower()
        if key not in known:
            raise _reject(DropReason.UNKNOWN_INTENT, f"executions[{i}].intentId", index=i,
                          intent_id=execution.intent_id, auction=auction.id)
        if key in seen:
            raise _reject(DropReason.REPEATED_INTENT, f"executions[{i}].intentId", index=i,
                          intent_id=execution.intent_id)
        seen.add(key)


def check_prices(auction: Auction, solution: Solution) -> None:
    for token, price in solution.prices.items():
        if token not in auction.tokens:
            raise _reject(DropReason.FOREIGN_PRICE, f"prices.{token}", token=token, auction=auction.id)
        if price <= 0:
            raise _reject(DropReason.PRICE_NOT_POSITIVE, f"prices.{token}", token=token, price=price)
    for i, execution in enumerate(solution.executions):
        for token in auction.intent(execution.intent_id).intent.tokens:
            if solution.prices.get(token, 0) <= 0:
                raise _reject(DropReason.MISSING_PRICE, f"prices.{token}", token=token, index=i)


def check_flows(auction: Auction, solution: Solution) -> None:
    for i, execution in enumerate(solution.executions):
        intent = auction.intent(execution.intent_id).intent
        held = auction.balances.get(intent.owner, {})
        for token, flow in execution.flows.items():
            if token not in intent.tokens:
                raise _reject(DropReason.FOREIGN_FLOW, f"executions[{i}].flows.{token}", index=i, token=token)
            if flow < 0 and -flow > held.get(token, 0):
                raise _reject(DropReason.OVERDRAWN, f"executions[{i}].flows.{token}", index=i, token=token,
                              pulled=-flow, held=held.get(token, 0))


def check_bounds(auction: Auction, solution: Solution) -> None:
    for i, execution in enumerate(solution.executions):
        intent = auction.intent(execution.intent_id).intent
        numeraire = solution.prices[intent.tokens[0]]
        for j in range(1, len(intent.tokens)):
            relative = bound_price(solution.prices[intent.tokens[j]], numeraire)
            if not intent.min_price[j] <= relative <= intent.max_price[j]:
                token = intent.tokens[j]
                raise _reject(DropReason.PRICE_OUT_OF_BOUNDS, f"prices.{token}", token=token, relative=relative,
                              index=i, low=intent.min_price[j], high=intent.max_price[j])


def check_value(auction: Auction, solution: Solution) -> None:
    for i, execution in enumerate(solution.executions):
        intent = auction.intent(execution.intent_id).intent
        given = sum(-q * solution.prices[t] for t, q in execution.flows.items() if q < 0)
        received = sum(q * solution.prices[t] for t, q in execution.flows.items() if q > 0)
        if received > given:
            raise _reject(DropReason.VALUE_NOT_CONSERVED, f"executions[{i}].flows", index=i)
        if (given - received) * BPS > intent.max_fee_bps * given:
            raise _reject(DropReason.FEE_ABOVE_MAX, f"executions[{i}].flows", index=i, max_fee_bps=intent.max_fee_bps)


def check_interactions(solution: Solution, settlement: str, relayer: str | None) -> None:
    for k, interaction in enumerate(solution.interactions):
        if relayer is not None and _same(interaction.target, relayer):
            raise _reject(DropReason.CALLS_RELAYER, f"interactions[{k}].target", index=k)
        if _same(interaction.target, settlement):
            raise _reject(DropReason.CALLS_SETTLEMENT, f"interactions[{k}].target", index=k)


def check_sinks(auction: Auction, solution: Solution, left_out: dict[str, str]) -> None:
    """A sink receives users' sells before any interaction runs: only a pool target the auction
    lists (the contract refuses any other target too), only for a token the batch prices, and
    never a pool the breaker leaves out (`left_out`: `pool_guard.pools_left_out`)."""
    if solution.sinks and not solution.interactions:
        raise _reject(DropReason.SINKS_WITHOUT_INTERACTIONS, "sinks")
    targets = {p.lower() for p in auction.pool_targets}
    priced = {t.lower() for t in solution.prices}
    pushed = {p.lower(): why for p, why in left_out.items()}
    for token, sink in solution.sinks.items():
        if token.lower() not in priced:
            raise _reject(DropReason.SINK_UNPRICED, f"sinks.{token}", token=token)
        if sink.lower() not in targets:
            raise _reject(DropReason.SINK_NOT_A_POOL_TARGET, f"sinks.{token}", token=token, sink=sink)
        if sink.lower() in pushed:  # the users' sells would be donated to a pool whose price was pushed
            raise _reject(DropReason.SINK_INTO_PUSHED_POOL, f"sinks.{token}", token=token, sink=sink,
                          why=pushed[sink.lower()])


def check_pools(auction: Auction, solution: Solution, left_out: dict[str, str]) -> None:
    for k, pool, why in pool_guard.findings(auction, solution, left_out)[:1]:
        if pool == pool_guard.UNREAD:
            raise _reject(DropReason.UNREADABLE_SWAP, f"interactions[{k}]", index=k, why=why)
        raise _reject(DropReason.SWAPS_THROUGH_PUSHED_POOL, f"interactions[{k}]", index=k, pool=pool, why=why)


def check_score(auction: Auction, solution: Solution) -> int:
    recomputed = score(auction, solution, solution.gas)
    tolerance = abs(recomputed) * SCORE_TOLERANCE_BPS // BPS + SCORE_TOLERANCE_E18
    if solution.score_e18 > recomputed + tolerance:
        raise _reject(DropReason.SCORE_MISMATCH, "score", claimed=solution.score_e18, recomputed=recomputed)
    if recomputed <= 0:
        raise _reject(DropReason.SCORE_NOT_POSITIVE, "score", recomputed=recomputed)
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
    left_out = pool_guard.pools_left_out(auction)  # the breaker's cut, read by both checks below
    check_sinks(auction, solution, left_out)
    check_pools(auction, solution, left_out)
    return check_score(auction, solution)
