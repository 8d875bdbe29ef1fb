"""Uniform clearing: one price per token that every intent trades at and the pools can pay.

Pure. Start from reference prices; each pass computes every want's flows at the current
prices, nets them per token (coincidences of wants cancel here), hands the residual —
tokens the batch must sell, tokens it must obtain — to the router, and raises the price
of any token the pools delivered less of than the users are owed (lowers it when they
delivered more), so that the owed amount shrinks to what the pools pay. It stops when
every owed token is covered; the settlement then never pays out more than it takes in.
An intent whose signed price bounds the clearing prices leave, or whose owner cannot
give what its flows take even with its exact buys trimmed to what its holdings pay
(`fit_to_holdings`), is dropped and the batch cleared again without it. Why an
intent is dropped is a `Drop`: a `DropCause` the clearing acts on, and a message for people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from contracts.interaction import Interaction
from intents.model import Intent
from keel.units import BPS, bound_price
from solver.errors import NoSolution
from solver.translate import Infeasible, Want, check_feasible, outcome_met

MAX_PASSES = 12
PRICE_NUDGE = 10**-7  # past exact cover, so integer rounding never leaves a token short
DUST_UNITS = 1_000  # base units netting may leave owed that the receivers absorb
DUST_SHARE = 1e-6  # ... or this share of what they receive, whichever is larger


@dataclass(frozen=True)
class RoutedPlan:
    """What the router will do with the batch's residual: exact amounts, and its calldata."""

    spent: dict[str, int]  # token -> base units the pools take from the settlement
    obtained: dict[str, int]  # token -> base units the pools pay to the settlement
    gas: int
    interactions: tuple[Interaction, ...]
    description: tuple[str, ...] = ()
    hops: tuple[dict[str, Any], ...] = ()  # each swap as plain data (pool, kind, fee_pips, tokens, amounts), in order


RouteFn = Callable[[dict[str, int], dict[str, int]], RoutedPlan]


class DropCause(Enum):
    OUT_OF_BOUNDS = "out of bounds"  # a clearing price left the intent's signed bounds: may pass in a smaller batch
    INFEASIBLE = "infeasible"  # the owner cannot give what the flows take, or ends outside its balance bounds
    OUTCOME_UNREACHABLE = "outcome unreachable"  # the flows do not land the outcome at these prices
    NO_ROUTE = "no route"  # the pools cannot deliver what the intent is owed
    NOT_CONVERGED = "not converged"  # the clearing prices did not settle within MAX_PASSES


@dataclass(frozen=True)
class Drop:
    """Why an intent left the batch: the cause the clearing acts on, and the detail people read."""

    cause: DropCause
    detail: str
    # OUT_OF_BOUNDS only: (token index j, the clearing price ratio, the signed min, the signed max),
    # each numeraire base units per token base unit x 1e18, so a caller with decimals can say it in words
    bounds: tuple[int, int, int, int] | None = None

    def __str__(self) -> str:
        return self.detail

EMPTY_PLAN = RoutedPlan({}, {}, 0, ())


@dataclass(frozen=True)
class Cleared:
    prices: dict[str, int]
    flows: dict[str, dict[str, int]]  # intent id -> token -> signed base units
    plan: RoutedPlan
    dropped: dict[str, Drop]  # intent id -> why
    gross_value: int  # Σ |flow| × price over users (volume through the batch, price units)
    routed_value: int  # value the pools had to carry (price units)
    passes: int
    fees_bps: dict[str, int] = field(default_factory=dict)

    def net(self) -> dict[str, int]:
        return net_flows(self.flows)


def net_flows(flows: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for per_token in flows.values():
        for token, q in per_token.items():
            out[token] = out.get(token, 0) + q
    return out


def within_bounds(intent: Intent, prices: dict[str, int]) -> Drop | None:
    """None if every intent token's clearing price lies in the signed bounds (as the contract
    computes them); else why not."""
    numeraire = prices[intent.tokens[0]]
    for j, token in enumerate(intent.tokens[1:], start=1):
        ratio = bound_price(prices[token], numeraire)
        if not intent.min_price[j] <= ratio <= intent.max_price[j]:
            return Drop(DropCause.OUT_OF_BOUNDS, f"clearing price of tokens[{j}] ({ratio}) outside its signed bounds "
                                                 f"[{intent.min_price[j]}, {intent.max_price[j]}]",
                        (j, ratio, intent.min_price[j], intent.max_price[j]))
    return None


def clear(
    wants: dict[str, Want],
    intents: dict[str, Intent],
    balances: dict[str, dict[str, int]],
    reference: dict[str, int],
    route: RouteFn,
    fee_bps: Callable[[str], int],
    start: dict[str, int] | None = None,
) -> Cleared:
    """Clear `wants` at uniform prices, starting from `start` (default: `reference`; a solver that
    chose its prices starts there). `route(sells, buys)` routes a residual exactly."""
    live = {i: w for i, w in wants.items() if not w.is_empty}
    dropped: dict[str, Drop] = {}
    origin = dict(start or reference)
    prices = dict(origin)
    passes = 0
    while True:
        prices, flows, plan, passes, culprits = _converge(live, intents, balances, prices, route, fee_bps, passes)
        if not culprits:
            break
        for intent_id in _to_drop(culprits, live, prices, origin, intents):
            dropped[intent_id] = culprits[intent_id]
            del live[intent_id]
        prices = dict(origin)
    gross = sum(abs(q) * prices[t] for f in flows.values() for t, q in f.items()) // 2
    routed = sum(q * prices[t] for t, q in plan.spent.items())
    return Cleared(prices, flows, plan, dropped, gross, routed, passes, {i: fee_bps(i) for i in flows})


def _converge(
    live: dict[str, Want],
    intents: dict[str, Intent],
    balances: dict[str, dict[str, int]],
    prices: dict[str, int],
    route: RouteFn,
    fee_bps: Callable[[str], int],
    passes: int,
) -> tuple[dict[str, int], dict[str, dict[str, int]], RoutedPlan, int, dict[str, Drop]]:
    """Iterate prices to cover the residual; returns the intents to drop (all found in one pass)."""
    plan = EMPTY_PLAN
    flows: dict[str, dict[str, int]] = {}
    for _ in range(MAX_PASSES):
        passes += 1
        flows, culprits = _flows_at(live, intents, balances, prices, fee_bps)
        if culprits:
            return prices, flows, plan, passes, culprits
        absorb_dust(flows, live)
        net = net_flows(flows)
        sells = {t: -q for t, q in net.items() if q < 0}
        buys = {t: q for t, q in net.items() if q > 0}
        if not buys:
            return prices, flows, EMPTY_PLAN, passes, {}  # everything netted (or only surplus left)
        try:
            plan = route(sells, buys) if sells else EMPTY_PLAN
        except NoSolution as exc:
            token = max(buys, key=lambda t: buys[t] * prices[t])
            return prices, flows, plan, passes, {_largest_receiver(flows, token): Drop(DropCause.NO_ROUTE, str(exc))}
        delivered = {t: plan.obtained.get(t, 0) - plan.spent.get(t, 0) for t in buys}
        absorb_dust(flows, live, delivered)
        short = {t: need for t, need in net_flows(flows).items() if need > 0 and delivered.get(t, 0) < need}
        if not short and _close(buys, plan):
            return prices, flows, plan, passes, {}
        prices = dict(prices)
        for token, need in buys.items():
            got = plan.obtained.get(token, 0) - plan.spent.get(token, 0)
            if got <= 0:
                # the pools cannot deliver this token at all: drop the biggest intent that wants it
                return prices, flows, plan, passes, {
                    _largest_receiver(flows, token): Drop(DropCause.NO_ROUTE, f"no route delivers {token}")}
            prices[token] = max(1, int(prices[token] * (need / got) * (1 + PRICE_NUDGE)))
    # did not converge: drop the intent with the largest owed residual
    net = net_flows(flows)
    worst_token = max(net, key=lambda t: net[t] * prices[t])
    return prices, flows, plan, passes, {
        _largest_receiver(flows, worst_token): Drop(DropCause.NOT_CONVERGED, "clearing prices did not converge")}


def _flows_at(
    live: dict[str, Want],
    intents: dict[str, Intent],
    balances: dict[str, dict[str, int]],
    prices: dict[str, int],
    fee_bps: Callable[[str], int],
) -> tuple[dict[str, dict[str, int]], dict[str, Drop]]:
    """Every live want's flows at `prices`, and every intent those prices fail (with why)."""
    flows: dict[str, dict[str, int]] = {}
    culprits: dict[str, Drop] = {}
    for intent_id, want in live.items():
        intent = intents[intent_id]
        held = balances.get(intent.owner, {})
        outside = within_bounds(intent, prices)
        if outside is not None:
            culprits[intent_id] = outside
            continue
        f = fit_to_holdings(want, want.flows(prices, fee_bps(intent_id)), held, prices, fee_bps(intent_id))
        try:
            check_feasible(want, f, held, intent)
        except Infeasible as exc:
            culprits[intent_id] = Drop(DropCause.INFEASIBLE, str(exc))
            continue
        if not outcome_met(intent, held, f, prices):
            culprits[intent_id] = Drop(DropCause.OUTCOME_UNREACHABLE, "outcome not reachable at the clearing prices")
            continue
        flows[intent_id] = f
    return flows, culprits


def fit_to_holdings(want: Want, flows: dict[str, int], held: dict[str, int], prices: dict[str, int],
                    fee_bps: int) -> dict[str, int]:
    """`flows`, or where they sell more of a balancing token than the owner holds — its exact buys
    priced above what its volumes were planned at (a hedger whose plan spends its whole numeraire,
    the clearing then raising the price of what it buys) — the flows with its exact buys trimmed
    to what its holdings pay at these prices: trim instead of drop, as the price-impact breaker
    does. The caller still checks the trimmed flows against the owner's band, so a trim that
    leaves the band drops the intent as before. Integer; each buy rounded down."""
    if not any(q < 0 and t in want.balancing and held.get(t, 0) < -q for t, q in flows.items()):
        return flows
    sells = {t: q for t, q in want.exact.items() if q < 0}
    buys = {t: q for t, q in want.exact.items() if q > 0}
    received = sum(q * prices[t] for t, q in buys.items())
    if not buys or not received:
        return flows
    given = sum(-q * prices[t] for t, q in sells.items())
    # the balancing tokens are sold in their shares: the scarcest one caps the extra value, less a
    # base unit per token for the round-ups in `Want.flows`
    extra = min(max(0, held.get(t, 0) - 1) * prices[t] * BPS // share for t, share in want.balancing.items())
    payable = (given + max(0, extra - sum(prices[t] for t in want.balancing))) * (BPS - fee_bps) // BPS
    if not 0 < payable < received:
        return flows
    trimmed = {t: q * payable // received for t, q in buys.items()}
    fitted = Want(want.intent_id, want.owner, {**sells, **{t: q for t, q in trimmed.items() if q}}, want.balancing)
    out = fitted.flows(prices, fee_bps)
    return out if all(q >= 0 or held.get(t, 0) >= -q for t, q in out.items()) else flows


def _to_drop(
    culprits: dict[str, Drop],
    live: dict[str, Want],
    prices: dict[str, int],
    reference: dict[str, int],
    intents: dict[str, Intent],
) -> list[str]:
    """Which failing intents to drop before clearing again.

    An intent the prices push out of its signed bounds may be fine once the batch is
    smaller, so of those only the heaviest quarter of the ones pushing prices that way
    go (largest first); every other failure drops at once.
    """
    out_of_bounds = [i for i, d in culprits.items() if d.cause is DropCause.OUT_OF_BOUNDS]
    others = [i for i in culprits if i not in out_of_bounds]
    pressure = {}
    for i in out_of_bounds:
        # in the intent's own numeraire, as its bounds are: selling a token whose relative
        # price fell, or buying one whose relative price rose, is what pushed it there
        numeraire = intents[i].tokens[0]
        flows = live[i].flows(reference, 0)
        pressure[i] = 0
        for t, q in flows.items():
            if t == numeraire:
                continue
            moved = prices[t] * reference[numeraire] - reference[t] * prices[numeraire]
            pressure[i] += q * reference[t] * (1 if moved > 0 else -1 if moved < 0 else 0)
    pushing = sorted((i for i in out_of_bounds if pressure[i] > 0), key=lambda i: pressure[i], reverse=True)
    if pushing:
        return others + pushing[: max(1, len(pushing) // 4)]
    return others + out_of_bounds


def _largest_receiver(flows: dict[str, dict[str, int]], token: str) -> str:
    return max((i for i, f in flows.items() if f.get(token, 0) > 0), key=lambda i: flows[i][token])


def absorb_dust(flows: dict[str, dict[str, int]], wants: dict[str, Want], delivered: dict[str, int] | None = None) -> None:
    """Where netting (and the pools' `delivered` amounts) leave the settlement owing a token by a
    rounding dust, the largest receiver of that token takes the dust less (in place): no pool
    can route a few wei, and the user's outcome has room for it, while the settlement must
    never pay out more than it holds."""
    net = net_flows(flows)
    for token, total_owed in net.items():
        owed = total_owed - (delivered or {}).get(token, 0)
        if owed <= 0:
            continue
        received = sum(f.get(token, 0) for f in flows.values() if f.get(token, 0) > 0)
        # only a balancing leg may shrink: an exact leg is what an outcome was computed from
        takers = [i for i, f in flows.items() if f.get(token, 0) > owed and token not in wants[i].exact]
        if takers and owed <= max(DUST_UNITS, received * DUST_SHARE):
            flows[max(takers, key=lambda i: flows[i][token])][token] -= owed


def _close(buys: dict[str, int], plan: RoutedPlan, tolerance: float = 2e-4) -> bool:
    """The pools pay at most `tolerance` more than owed (else lower the price: users get more)."""
    for token, need in buys.items():
        got = plan.obtained.get(token, 0) - plan.spent.get(token, 0)
        if got > need * (1 + tolerance) + 1:
            return False
    return True
