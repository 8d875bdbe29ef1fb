"""Close a routed solution: pay its pools up front and let them pay the users, when that is exact.

A *closed* batch (SECURITY.md, "Where users' tokens go") is one the settlement can run without
reading or moving its own holdings, ~7k gas less on a lone trade: every surplus sell goes
straight to a sink (an owner-listed V2 pair), every interaction is such a pair's own
`swap(amount0Out, amount1Out, to, "")` paying someone other than the settlement, and each buyer's
balance must then have risen by what it is owed (`ResidualNotPaid` otherwise). `close` rewrites a
solution that routed its residual through router swaps into that shape when its route allows
it, and returns the solution unchanged otherwise (the router path is always correct):

- every hop is a V2 pair the auction lists as a pool target, each pool once;
- no token is both sold and bought by the executions (nothing is matched internally, so each
  sold token's surplus is its whole sell and each buyer is owed its whole buy);
- each sold token enters exactly one hop, with exactly the amount sold (the sink receives it);
- every other hop's input is exactly the output of the one hop before it (which pays this
  hop's pair), and any token a hop both receives and passes on is no execution's;
- each bought token has one buying execution, paid by the hops that end in that token, at least
  its flow — and since the pair pays the buyer all it swaps out (through the router the
  settlement pays the flow and keeps the rounding), the buyer's outcome must still hold with
  what the pools pay (a hedge band a few wei wide could otherwise be overshot: a review's case).

A closed solution declares `CLOSED_BATCH_SAVING` less gas (measured on the fork: 49–61k below the
same solution through the router) and its score is recomputed at that gas.

Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from routing.evaluate import Hop
from routing.execute import pair_swap
from solver import scoring
from solver.domain import Auction, Interaction, Solution
from solver.gas_model import CLOSED_BATCH_SAVING
from solver.translate import outcome_met


def _hops(raw: Sequence[Mapping[str, Any]]) -> list[Hop]:
    return [Hop(h["pool"], h["kind"], int(h["fee_pips"]), h["token_in"], h["token_out"], int(h["amount_in"]),
                int(h["amount_out"])) for h in raw]


def _flows(auction: Auction, solution: Solution) -> tuple[dict[str, int], dict[str, list[tuple[str, int]]]]:
    """What the executions sell of each token, and who buys each token (owner, flow)."""
    sold: dict[str, int] = {}
    buyers: dict[str, list[tuple[str, int]]] = {}
    for execution in solution.executions:
        owner = auction.intent(execution.intent_id).intent.owner
        for token, flow in execution.flows.items():
            if flow < 0:
                sold[token.lower()] = sold.get(token.lower(), 0) - flow
            elif flow > 0:
                buyers.setdefault(token.lower(), []).append((owner, flow))
    return sold, buyers


def closed_interactions(auction: Auction, solution: Solution) -> tuple[tuple[Interaction, ...], dict[str, str]] | None:
    """The pair swaps and sinks that settle `solution`'s route as a closed batch, or None when
    its route does not allow it (the module's list)."""
    hops = _hops(solution.stats.get("hops") or ())
    targets = {p.lower() for p in auction.pool_targets}
    if not hops or any(h.kind != "v2" or h.pool.lower() not in targets for h in hops):
        return None
    if len({h.pool.lower() for h in hops}) != len(hops):
        return None
    sold, buyers = _flows(auction, solution)
    if set(sold) & set(buyers) or any(len(b) != 1 for b in buyers.values()):
        return None
    entering = Counter(h.token_in.lower() for h in hops)
    if any(n != 1 for n in entering.values()) or any(entering[t] != 1 for t in sold):
        return None
    by_input = {h.token_in.lower(): h for h in hops}
    paid: dict[str, int] = {}
    swaps: list[Interaction] = []
    for hop in hops:
        token_in, token_out = hop.token_in.lower(), hop.token_out.lower()
        if token_in in sold:
            if hop.amount_in != sold[token_in]:
                return None
        elif token_in in buyers or _produced(hops, hop) != hop.amount_in:
            return None
        if token_out in buyers:
            swaps.append(pair_swap(hop, buyers[token_out][0][0]))
            paid[token_out] = paid.get(token_out, 0) + hop.amount_out
        elif token_out in by_input and token_out not in sold:
            swaps.append(pair_swap(hop, by_input[token_out].pool))
        else:
            return None
    if any(paid.get(t, 0) < b[0][1] for t, b in buyers.items()) or not _outcomes_hold(auction, solution, paid):
        return None
    sinks = {h.token_in: h.pool for h in hops if h.token_in.lower() in sold}
    return tuple(swaps), sinks


def _outcomes_hold(auction: Auction, solution: Solution, paid: Mapping[str, int]) -> bool:
    """Every buyer's outcome, on its balances after the batch with what the pools pay it in place
    of its flows of the tokens they pay (the contract's check, `translate.outcome_met`)."""
    for execution in solution.executions:
        intent = auction.intent(execution.intent_id).intent
        flows = {t: (paid[t.lower()] if q > 0 and t.lower() in paid else q) for t, q in execution.flows.items()}
        if paid.keys() & {t.lower() for t, q in execution.flows.items() if q > 0} and not outcome_met(
                intent, auction.balances.get(intent.owner, {}), flows, solution.prices):
            return False
    return True


def _produced(hops: Sequence[Hop], hop: Hop) -> int | None:
    """What the one hop before `hop` that ends in its input token delivers (None: not exactly one)."""
    before = [h for h in hops[:hops.index(hop)] if h.token_out.lower() == hop.token_in.lower()]
    return before[0].amount_out if len(before) == 1 else None


def close(auction: Auction, solution: Solution) -> Solution:
    """`solution` settled as a closed batch when its route allows it (`closed_interactions`), else unchanged."""
    closed = closed_interactions(auction, solution)
    if closed is None:
        return solution
    interactions, sinks = closed
    gas = max(solution.gas - CLOSED_BATCH_SAVING, 0)
    draft = replace(solution, interactions=interactions, sinks=sinks, gas=gas, stats={**solution.stats, "closed": True})
    return replace(draft, score_e18=scoring.score(auction, draft, gas))
