"""What every built-in strategy does once it has chosen intents and a router.

translate each intent at reference prices → clear at uniform prices (netting happens
inside, when several intents trade a token in opposite directions) → build executions,
interactions, gas and score. Pure: the liquidity is the auction's snapshot.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from intents.model import Intent
from keel.units import BPS, USD_PRICE_SCALE, usd_value
from solver import joint, joint_bound, joint_mixture, scoring
from solver.breakers import healthy_pools
from solver.clearing import Cleared, Drop, DropCause, RoutedPlan, RouteFn, clear
from solver.closing import close
from solver.domain import Auction, Execution, Solution
from solver.errors import NoSolution
from solver.gas_model import GAS_BASE, GAS_PER_EXECUTION
from solver.joint_wants import joint_want, loosened
from solver.oracle_guard import clearing_bounds
from solver.routing_port import make_route_fn
from solver.strategies import reprice as repricing
from solver.translate import Infeasible, Want, translate

DEADLINE_SLACK_S = 600
JOINT_SHARE = 0.45  # of the time left before the deadline, the most one joint program may take
BOUND_ROOM = 2.0  # the bound (informational) is computed only if this many times the volumes' time is left
PRICED_PROGRAMS = 4  # the uniform-price bound costs about this many settle programs (one model, 8 vertex re-solves warm)
MIXTURE_PROGRAMS = 40  # the mixture bound, about this many (8 copies of the program in one, plus the cases' checks)
MIXTURE_BOUND = "uniform prices (mixture over the price box)"
TRIM_ROUNDS = 2  # times the clearing's drops are trimmed to their least trade and the batch cleared again


def wants_for(auction: Auction, ids: list[str]) -> tuple[dict[str, Want], dict[str, str]]:
    prices = auction.reference_prices()
    wants, skipped = {}, {}
    owners: set[str] = set()
    for intent_id in ids:
        bi = auction.intent(intent_id)
        if bi.intent.owner in owners:
            # outcomes are checked on the owner's balances after the whole batch: one per owner
            skipped[intent_id] = "another intent of the same owner settles in this batch"
            continue
        try:
            if any(t not in prices for t in bi.intent.tokens):
                raise Infeasible("a token has no reference price in the auction")
            want = translate(bi.id, bi.intent, auction.balances.get(bi.intent.owner, {}), prices)
        except Infeasible as exc:
            skipped[intent_id] = str(exc)
            continue
        wants[intent_id] = want
        owners.add(bi.intent.owner)
    return wants, skipped


def estimated_gas(executions: int, routed_gas: int) -> int:
    return GAS_BASE + GAS_PER_EXECUTION * executions + routed_gas


def fee_policy(auction: Auction, wants: dict[str, Want]) -> Callable[[str], int]:
    """Fee per intent: its share of the batch's expected gas, in bps of what it gives, capped by its maxFeeBps."""
    prices = auction.reference_prices()
    given = {i: sum(usd_value(-q, prices[t]) for t, q in w.flows(prices, 0).items() if q < 0) for i, w in wants.items()}
    total = sum(given.values())
    gas_cost = scoring.gas_cost_e18(auction, estimated_gas(len(wants), 150_000 * max(1, len(wants))))
    bps = math.ceil(gas_cost * BPS / total) if total else 0

    def fee_bps(intent_id: str) -> int:
        return min(auction.intent(intent_id).intent.max_fee_bps, bps)

    return fee_bps


def joint_volumes(auction: Auction, wants: dict[str, Want], fee_bps: Callable[[str], int],
                  ) -> tuple[dict[str, Want], dict[str, Any]]:
    """Each want replaced by the joint program's volume for its intent (`joint.SETTLE`, at the
    reference prices), given `JOINT_SHARE` of the time left before the deadline. An intent
    nothing brings into its band keeps the want `translate` made (the clearing then says why it
    drops); so does every intent if HiGHS finds no optimum in time."""
    stats: dict[str, Any] = {}
    started = time.time()
    try:
        out, value_usd, _ = settle_wants(auction, wants, fee_bps, {}, JOINT_SHARE * (auction.deadline_ms / 1000 - started))
    except joint.JointInfeasible as exc:
        stats["joint_volumes"] = f"translate ({exc})"
        return wants, stats
    stats["joint_volumes"] = "joint"
    stats["joint_value_usd"] = value_usd
    stats["joint_volumes_s"] = time.time() - started
    return out, stats


def joint_bound_stats(auction: Auction, took_s: float, programmed: int) -> dict[str, Any]:
    """keel's joint bound over every intent of the auction whose tokens are priced (`_bound`:
    bounds every settleable solution), computed only if the time left before the deadline is
    `BOUND_ROOM` times the volumes' time `took_s` (the program over `programmed` intents),
    scaled to the bound's intents (else the stats say it was skipped)."""
    prices = auction.reference_prices()
    intents = {bi.id: bi.intent for bi in auction.intents if all(t in prices for t in bi.intent.tokens)}
    # the bound covers every auction intent, the volumes only those the solver traded: a round of
    # many intents of few owners must not hold its answer for a bound sized by a small program
    expected_s = took_s * max(1.0, len(intents) / max(1, programmed))
    return _bound(auction, intents, auction.deadline_ms / 1000 - time.time(), expected_s)


class Settled(NamedTuple):
    wants: dict[str, Want]
    value_usd: float  # the program's value, without the intents it missed
    missed: frozenset[str]  # intents the program missed (or was told to leave out): they keep their wants


def settle_wants(auction: Auction, wants: dict[str, Want], fee_bps: Callable[[str], int],
                 relative: dict[str, float], time_limit_s: float, leave_out: frozenset[str] = frozenset()) -> Settled:
    """The joint program's volumes (`joint.SETTLE`) with each user's value conservation at the
    clearing prices `relative` to the reference ({}: the reference), as wants, and the program's
    value (USD). Over the pools the router may use (the pool-deviation breaker's cut). An intent
    nothing brings into its band (the program misses it), or whose volume is below dust, keeps
    its want (`translate`'s); the others' volumes then come from the program solved again without
    the missed ones, whose relaxed trades would otherwise still take liquidity and matching from
    them. `leave_out`: intents a caller already found missed (at other prices), left out from the
    start, which saves that second solve. Raises `joint.JointInfeasible` when HiGHS finds no optimum
    within `time_limit_s` (each solve)."""
    prices = auction.reference_prices()
    intents = {bi.id: bi.intent for bi in auction.intents if all(t in prices for t in bi.intent.tokens)}
    usable, _ = healthy_pools(auction.liquidity, prices, 0)
    users = [u for u in joint.joint_intents(list(wants), intents, auction.balances, prices, fee_bps)
             if u.id not in leave_out]
    if not users:  # every intent keeps its want
        return Settled(dict(wants), 0.0, frozenset(wants))
    settle = joint.solve(users, usable, prices, joint.SETTLE, relative, time_limit_s=time_limit_s)
    if settle.missed and len(settle.missed) < len(users):
        again = joint.solve([u for u in users if u.id not in settle.missed], usable, prices, joint.SETTLE, relative,
                            time_limit_s=time_limit_s)
        settle = replace(again, missed=settle.missed + again.missed)
    missed = frozenset(settle.missed) | (leave_out & set(wants))
    out = {}
    for i, want in wants.items():
        intent = intents[i]
        if i in missed:
            out[i] = want  # nothing brings it into its band: the clearing says why
            continue
        jw = joint_want(i, intent, settle.flows_usd[i], auction.balances.get(intent.owner, {}), prices, relative)
        out[i] = want if jw.is_empty else jw
    return Settled(out, settle.objective_usd, missed)


def _bound(auction: Auction, intents: dict[str, Intent], left_s: float, took_s: float) -> dict[str, Any]:
    """keel's joint bound, the tightest kind the time left allows: `joint_mixture.mixture_bound`
    (one uniform price vector, min over the multipliers; one copy of the program per vertex of the
    price box), else `joint_bound.priced_bound` (the multipliers at the reference duals; 1 +
    2^tokens programs), else `joint.ANY_PRICE` (one), else none. Each is a bound; a kind that
    runs out of time falls to the next."""
    prices = auction.reference_prices()
    everyone = joint.joint_intents(list(intents), intents, auction.balances, prices, lambda _: 0)
    limit = JOINT_SHARE * left_s
    if left_s > BOUND_ROOM * took_s * MIXTURE_PROGRAMS:
        started = time.time()
        try:
            mixture = joint_mixture.mixture_bound(everyone, auction.liquidity, prices, time_limit_s=limit)
            return {"joint_bound_usd": mixture.bound_usd, "joint_bound": MIXTURE_BOUND}
        except joint.JointInfeasible:
            left_s -= time.time() - started
            limit = JOINT_SHARE * left_s
    try:
        if left_s > BOUND_ROOM * took_s * PRICED_PROGRAMS:
            bound, _ = joint_bound.priced_bound(everyone, auction.liquidity, prices, time_limit_s=limit / PRICED_PROGRAMS)
            return {"joint_bound_usd": bound, "joint_bound": "uniform prices (Lagrangian at the reference duals)"}
        if left_s > BOUND_ROOM * took_s:
            bound = joint.solve(everyone, auction.liquidity, prices, joint.ANY_PRICE, time_limit_s=limit).bound_usd
            return {"joint_bound_usd": bound, "joint_bound": "any prices per user (looser)"}
    except joint.JointInfeasible as exc:
        return {"joint_bound": f"not computed: {exc}"}
    return {"joint_bound": "skipped: too close to the deadline"}


def clear_trimming(intents: dict[str, Intent], balances: dict[str, dict[str, int]], prices: dict[str, int],
                   wants: dict[str, Want], least: dict[str, Want], route_fn: RouteFn,
                   fee: Callable[[str], int], start: dict[str, int] | None = None) -> tuple[Cleared, list[str]]:
    """Clear; if the prices do not converge, clear again with every weights want's buys as shares
    (`joint_wants.loosened`); where the clearing drops an intent whose want is more than its least trade (`least`,
    `translate`'s) — the price-impact breaker trips on it, or its outcome misses at the clearing
    prices — trim it back to that and clear again (at most TRIM_ROUNDS times), so the joint
    volume never settles fewer intents than the least trades would. Returns the clearing and the
    intents trimmed."""
    cleared = clear(wants, intents, balances, prices, route_fn, fee, start)
    if any(d.cause is DropCause.NOT_CONVERGED for d in cleared.dropped.values()):
        # exact buys a routed token's price cannot shrink: every weights want's buys as shares instead
        loose = {i: loosened(w, intents[i], start or prices, fee(i)) for i, w in wants.items()}
        if loose != wants:
            wants = loose
            cleared = clear(wants, intents, balances, prices, route_fn, fee, start)
    trimmed: list[str] = []
    for _ in range(TRIM_ROUNDS):
        trim = [i for i in cleared.dropped if wants[i] != least[i]]
        if not trim:
            break
        wants = {**wants, **{i: least[i] for i in trim}}
        trimmed += trim
        cleared = clear(wants, intents, balances, prices, route_fn, fee, start)
    return cleared, trimmed


def reprice(auction: Auction, solver: str, least: dict[str, Want], fee: Callable[[str], int],
            intents: dict[str, Intent], route_fn: RouteFn, first: tuple[Cleared, list[str]],
            round_s: float) -> tuple[Cleared, list[str], str]:
    """Choose the volumes again at better uniform prices (`solver.strategies.reprice`: the prices
    the first clearing found, a price search and a coarse grid, each followed to its fixed point),
    and keep the best-scoring clearing. Every step runs only with time to spare before the
    deadline, relative to what the first round took (`round_s`). Returns the best clearing (the
    first one included), its trimmed intents, and which step won ("" if none)."""
    prices = auction.reference_prices()
    missed: set[str] = set()  # found at one price vector, left out at the next (saves a solve each)

    def settle(wants: dict[str, Want], relative: dict[str, float], limit_s: float) -> dict[str, Want]:
        settled = settle_wants(auction, wants, fee, relative, limit_s, frozenset(missed))
        missed.update(settled.missed)
        return settled.wants

    def clear_from(wants: dict[str, Want], start: dict[str, int]) -> tuple[Cleared, list[str]]:
        return clear_trimming(intents, auction.balances, prices, wants, least, route_fn, fee, start)

    def score(cleared: Cleared) -> int:
        return build_solution(auction, solver, cleared, "", {}, {}, {}).score_e18

    return repricing.reprice(repricing.Repricer(auction, least, fee, intents, settle, clear_from, score, first,
                                                round_s))


def in_words(auction: Auction, intent_id: str, drop: Drop) -> str:
    """A drop as people read it: out-of-bounds prices in the numeraire per whole token, with symbols."""
    if drop.bounds is None:
        return drop.detail
    j, ratio, low, high = drop.bounds
    tokens = auction.intent(intent_id).intent.tokens
    num, tok = auction.tokens.get(tokens[0]), auction.tokens.get(tokens[j])
    if num is None or tok is None:
        return drop.detail

    def whole(x: int) -> str:  # numeraire per whole token: ratio / 1e18 scaled by the two decimals
        return f"{x * 10**tok.decimals / 10**(num.decimals + 18):,.6g}"

    return (f"clearing price {whole(ratio)} {num.symbol} per {tok.symbol} is outside the intent's signed bounds "
            f"[{whole(low)}, {whole(high)}] {num.symbol} per {tok.symbol} (its slippage); it may pass in a later round")


def swap_deadline_s(auction: Auction) -> int:
    """The router swaps' deadline: past the auction's, and never before an intent of the batch
    stops being valid (the settlement checks each validTo against the chain's clock, which may
    run ahead of the wall clock the auction's deadline is on; a swap deadline on the wall clock
    alone made such a chain's settlement revert "EXPIRED")."""
    return max(auction.deadline_ms // 1000 + DEADLINE_SLACK_S, max((bi.intent.valid_to for bi in auction.intents), default=0))


def solve_batch(auction: Auction, solver: str, ids: list[str], method: str, name: str,
                joint_program: bool = False, with_bound: bool = True) -> Solution:
    """Translate, (with `joint_program`) choose volumes by the joint program, clear, build.

    An intent the clearing would drop (the price-impact breaker, an outcome missed at the
    clearing prices) is first trimmed back to its least trade (`translate`'s volume, the inner
    band's nearest edge) and the batch cleared again (`clear_trimming`)."""
    started = time.perf_counter()
    wants, skipped = wants_for(auction, ids)
    translated = time.perf_counter()
    if not wants:
        raise NoSolution("no intent in the auction can be met: " + "; ".join(skipped.values()) if skipped else "empty auction")
    prices = auction.reference_prices()
    fee = fee_policy(auction, wants)
    least = wants
    joint_stats: dict[str, Any] = {}
    if joint_program:
        wants, joint_stats = joint_volumes(auction, wants, fee)
    programmed = time.perf_counter()
    notes: dict[str, Any] = {}
    route_fn, route_s = _timed_route(auction, method, notes)
    intents = {i: clearing_bounds(auction.intent(i).intent, prices) for i in wants}  # the oracle guard, too
    cleared, trimmed = clear_trimming(intents, auction.balances, prices, wants, least, route_fn, fee)
    cleared_at, routed_s = time.perf_counter(), route_s[0]
    if joint_stats.get("joint_volumes") == "joint":
        round_s = cleared_at - translated
        cleared, trimmed, joint_stats["repriced"] = reprice(auction, solver, least, fee, intents, route_fn,
                                                             (cleared, trimmed), round_s)
    done = time.perf_counter()
    reprice_s = done - cleared_at - (route_s[0] - routed_s)  # its programs and clearing, not its routing
    if joint_stats.get("joint_volumes") == "joint" and with_bound:
        # informational, after the solution: it may use what time is left, never the solution's
        joint_stats.update(joint_bound_stats(auction, joint_stats["joint_volumes_s"], len(wants)))
    bounded = time.perf_counter()
    timings = {"translate_s": translated - started, "joint_s": programmed - translated, "route_s": route_s[0],
               "net_and_clear_s": done - programmed - route_s[0] - reprice_s, "reprice_s": reprice_s,
               "bound_s": bounded - done}
    reasons = {**skipped, **{i: in_words(auction, i, drop) for i, drop in cleared.dropped.items()}}
    if not cleared.flows:
        raise NoSolution("nothing settles: " + "; ".join(f"{k[:10]}: {v}" for k, v in reasons.items()))
    solution = build_solution(auction, solver, cleared, name, reasons, timings, notes.get("pools_left_out", {}))
    if "joint_bound_usd" in joint_stats:
        bound = joint_stats["joint_bound_usd"]
        score_usd = solution.score_e18 / 1e18
        solution.stats.update(joint_stats, trimmed_to_least_trade=trimmed, gap_to_bound_usd=bound - score_usd,
                              share_of_bound=score_usd / bound if bound > 0 else None)
    elif joint_stats:
        solution.stats.update(joint_stats, trimmed_to_least_trade=trimmed)
    return solution


def _timed_route(auction: Auction, method: str, notes: dict[str, Any]) -> tuple[RouteFn, list[float]]:
    """The router for the clearing, and a one-element list it adds its time to."""
    inner = make_route_fn(method, auction.liquidity, auction.reference_prices(), auction.gas_price_wei,
                          auction.settlement, swap_deadline_s(auction), notes=notes, twaps=auction.twaps)
    route_s = [0.0]

    def route_fn(sells: dict[str, int], buys: dict[str, int]) -> RoutedPlan:
        t = time.perf_counter()
        try:
            return inner(sells, buys)
        finally:
            route_s[0] += time.perf_counter() - t

    return route_fn, route_s


def build_solution(auction: Auction, solver: str, cleared: Cleared, name: str, dropped: dict[str, str],
                   timings: dict[str, float], pools_left_out: dict[str, str]) -> Solution:
    executions = tuple(Execution(i, f) for i, f in cleared.flows.items())
    traded = {t for f in cleared.flows.values() for t in f} | set(cleared.plan.spent) | set(cleared.plan.obtained)
    for i in cleared.flows:
        traded |= set(auction.intent(i).intent.tokens)
    prices = {t: cleared.prices[t] for t in sorted(traded, key=lambda a: int(a, 16))}
    gas = estimated_gas(len(executions), cleared.plan.gas)
    draft = Solution(auction.id, solver, prices, executions, cleared.plan.interactions, 0, gas)
    matched = max(cleared.gross_value - cleared.routed_value, 0)
    reference = auction.reference_prices()
    pool_cost = (sum(q * reference[t] for t, q in cleared.plan.spent.items())
                 - sum(q * reference[t] for t, q in cleared.plan.obtained.items()))
    stats = {
        "strategy": name,
        "intents": len(executions),
        "dropped": dropped,
        "route": list(cleared.plan.description),
        "hops": list(cleared.plan.hops),
        "volume_usd": cleared.gross_value / USD_PRICE_SCALE,
        "routed_usd": cleared.routed_value / USD_PRICE_SCALE,
        "matched_share": (matched / cleared.gross_value) if cleared.gross_value else 0.0,
        "pool_cost_usd": pool_cost / USD_PRICE_SCALE,  # value the pools kept (fees, impact) at reference prices
        "clearing_passes": cleared.passes,
        "fees_bps": cleared.fees_bps,
        "timings": timings,
        "pools_left_out": pools_left_out,  # by the pool-deviation breaker
    }
    # a route the settlement can run closed (pair swaps paying the users) is sent that way
    return close(auction, Solution(auction.id, solver, prices, executions, cleared.plan.interactions,
                                   scoring.score(auction, draft, gas), gas, stats))
