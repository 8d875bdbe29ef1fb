"""Arbitration is pure: verify, score and rank typed stages, no chain and no HTTP.

Every `DropReason` that arbitration (or collect's reading of an answer) can give is reached
here from a concrete bad answer, and each refusal's sentence carries the offending values;
the reasons only a live node (and chain) can produce are reached over loopback in
`test_collect.py` and on the fork in `tests/integration/test_auction_submit.py`
(listed in `REACHED_LIVE`).
"""

from __future__ import annotations

import dataclasses

import pytest

from auction.auctioneer import arbitrate, submit
from auction.auctioneer.collect import read_answer
from auction.auctioneer.stages import (
    Asked,
    Lost,
    Proposed,
    Ranked,
    Refused,
    Simulated,
    Simulation,
    Verified,
)
from auction.endpoint import Endpoint
from auction.verdicts import Drop, DropReason, Verdict
from solver.domain import Auction, Execution, Interaction, Solution, Token
from solver.scoring import score
from tests.unit.auction.test_verify import (
    BUYER,
    PUSHED,
    RELAYER,
    SETTLEMENT,
    SOLVER,
    USDC,
    V2_ROUTER,
    WETH,
    cow,
    make_auction,
    through_pushed_pool,
)

DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
NODE = Endpoint("http://127.0.0.1:8701", SOLVER, 0.0)

# reached live: over loopback HTTP in test_collect.py, on the fork in test_auction_submit.py
REACHED_LIVE = {DropReason.NODE_DID_NOT_SEND, DropReason.NODE_REFUSED, DropReason.NO_RECEIPT,
                    DropReason.REVERTED_ON_CHAIN, DropReason.NO_LONGER_SETTLES, DropReason.NO_ANSWER_BY_DEADLINE,
                    DropReason.ANSWERED_LATE, DropReason.UNREACHABLE}


def proposed(solution: Solution, endpoint: Endpoint = NODE) -> Proposed:
    return Proposed(Asked(endpoint, 12), solution)


def refusal(auction: Auction, solution: Solution) -> Drop:
    outcome = arbitrate.verify(auction, proposed(solution), RELAYER)
    assert isinstance(outcome, Refused), outcome
    assert outcome.verdict == outcome.drop.reason.verdict
    return outcome.drop


def simulated(score: int, gas: int, url: str = NODE.url) -> Simulated:
    auction = make_auction()
    verified = Verified(proposed(cow(auction), Endpoint(url, SOLVER, 0.0)), score)
    return Simulated(verified, b"\x01", gas, score)


# -- verify --------------------------------------------------------------------------------

def test_should_verify_an_honest_answer_with_the_auctioneers_own_score() -> None:
    auction = make_auction()
    honest = cow(auction)
    verified = arbitrate.verify(auction, proposed(honest), RELAYER)
    assert isinstance(verified, Verified) and verified.score == honest.score_e18 > 0
    assert verified.proposed.solution is honest


def _broken(auction: Auction) -> dict[DropReason, Solution]:
    """One answer per rule, each breaking exactly that rule."""
    honest = cow(auction)
    seller, buyer = honest.executions
    fees_40_bps = Execution(seller.intent_id, {WETH: -5 * 10**18, USDC: 14_940 * 10**6})
    return {
        DropReason.WRONG_AUCTION: dataclasses.replace(honest, auction_id=8),
        DropReason.WRONG_SOLVER: dataclasses.replace(honest, solver=BUYER.address),
        DropReason.NO_EXECUTIONS: dataclasses.replace(honest, executions=()),
        DropReason.UNKNOWN_INTENT: dataclasses.replace(honest, executions=(Execution("0x" + "ab" * 32, {}),)),
        DropReason.REPEATED_INTENT: dataclasses.replace(honest, executions=(seller, seller)),
        DropReason.FOREIGN_PRICE: dataclasses.replace(honest, prices={**honest.prices, DAI: 10**18}),
        DropReason.PRICE_NOT_POSITIVE: dataclasses.replace(honest, prices={**honest.prices, WETH: 0}),
        DropReason.MISSING_PRICE: dataclasses.replace(honest, prices={USDC: honest.prices[USDC]}),
        DropReason.FOREIGN_FLOW: dataclasses.replace(honest, executions=(
            Execution(seller.intent_id, {**seller.flows, DAI: 1}), buyer)),
        DropReason.OVERDRAWN: dataclasses.replace(honest, executions=(
            Execution(seller.intent_id, {WETH: -11 * 10**18, USDC: 33_000 * 10**6}), buyer)),
        DropReason.PRICE_OUT_OF_BOUNDS: dataclasses.replace(honest, prices={**honest.prices, WETH: 3_101 * 10**18}),
        DropReason.VALUE_NOT_CONSERVED: dataclasses.replace(honest, executions=(
            Execution(seller.intent_id, {WETH: -5 * 10**18, USDC: 15_001 * 10**6}), buyer)),
        DropReason.FEE_ABOVE_MAX: dataclasses.replace(honest, executions=(fees_40_bps, buyer)),
        DropReason.CALLS_RELAYER: dataclasses.replace(honest, interactions=(Interaction(RELAYER, 0, b"\x23"),)),
        DropReason.CALLS_SETTLEMENT: dataclasses.replace(honest, interactions=(Interaction(SETTLEMENT, 0, b""),)),
        DropReason.SINK_NOT_A_POOL_TARGET: dataclasses.replace(honest, sinks={WETH: RELAYER}, interactions=(
            Interaction(V2_ROUTER, 0, b""),)),
        DropReason.SINK_UNPRICED: dataclasses.replace(honest, sinks={DAI: RELAYER}, interactions=(
            Interaction(V2_ROUTER, 0, b""),)),
        DropReason.SINKS_WITHOUT_INTERACTIONS: dataclasses.replace(honest, sinks={WETH: PUSHED.address}),
        DropReason.SINK_INTO_PUSHED_POOL: dataclasses.replace(honest, sinks={WETH: PUSHED.address}, interactions=(
            Interaction(V2_ROUTER, 0, b""),)),
        DropReason.SWAPS_THROUGH_PUSHED_POOL: through_pushed_pool(auction),
        DropReason.UNREADABLE_SWAP: dataclasses.replace(honest, interactions=(Interaction(RELAYER[:-2] + "00", 0,
                                                                                        b"\x5a\xe4\x01\xdc"),)),
        DropReason.SCORE_MISMATCH: dataclasses.replace(honest, score_e18=honest.score_e18 * 2),
        # claims exactly what its gas leaves: nothing, or less (so the claim is honest, the score not positive)
        DropReason.SCORE_NOT_POSITIVE: dataclasses.replace(honest, gas=10**10,
                                                           score_e18=score(auction, honest, 10**10)),
    }


@pytest.mark.parametrize("reason", list(_broken(make_auction())))
def test_refuses_each_broken_rule_with_its_reason_and_the_offending_values(reason: DropReason) -> None:
    auction = make_auction()
    drop = refusal(auction, _broken(auction)[reason])
    assert drop.reason is reason and drop.verdict is Verdict.DROPPED
    assert set(drop.values) == reason.placeholders
    for value in drop.values.values():
        assert str(value) in drop.sentence  # the one line names what was wrong
    assert drop.field is not None and drop.sentence.startswith(drop.field.split("[")[0].split(".")[0])


def test_refuses_a_shape_the_rules_did_not_foresee_as_unverifiable_never_a_crash() -> None:
    auction = make_auction()
    unpriced = {**auction.tokens, USDC: Token(USDC, "USDC", 6, 0)}  # a numeraire with no reference price
    drop = refusal(dataclasses.replace(auction, tokens=unpriced), cow(auction))
    assert drop.reason is DropReason.UNVERIFIABLE and "ZeroDivisionError" in drop.sentence


def test_verify_all_keeps_order_and_passes_refusals_through() -> None:
    auction = make_auction()
    honest, late = cow(auction), Refused(Asked(NODE, 9_000), Drop.of(DropReason.ANSWERED_LATE, late_ms=40))
    inflated = dataclasses.replace(honest, score_e18=honest.score_e18 * 2)
    verified, refused = arbitrate.verify_all(auction, [late, proposed(inflated), proposed(honest)], RELAYER)
    assert [v.proposed.solution for v in verified] == [honest]
    assert [r.drop.reason for r in refused] == [DropReason.ANSWERED_LATE, DropReason.SCORE_MISMATCH]


# -- simulate (the pure half) --------------------------------------------------------------------

def test_should_score_a_simulated_solution_at_the_gas_the_simulation_used() -> None:
    auction = make_auction()
    verified = arbitrate.verify(auction, proposed(cow(auction, gas=200_000)), RELAYER)
    assert isinstance(verified, Verified)
    cheaper = arbitrate.accept_simulation(auction, verified, b"\x01", Simulation(150_000))
    dearer = arbitrate.accept_simulation(auction, verified, b"\x01", Simulation(400_000))
    assert isinstance(cheaper, Simulated) and isinstance(dearer, Simulated)
    assert cheaper.score > verified.score > dearer.score > 0 and (cheaper.gas, dearer.gas) == (150_000, 400_000)


SIMULATIONS = [
    (Simulation(None, "InteractionFailed(0, Too little received)", reverted=True), DropReason.SIMULATION_REVERTS),
    (Simulation(None, "ConnectionError: refused", reverted=False), DropReason.SIMULATION_FAILED),
    (Simulation(10**10), DropReason.GAS_EATS_SCORE),
]


@pytest.mark.parametrize(("sim", "reason"), SIMULATIONS)
def test_refuses_a_solution_whose_simulation_reverts_fails_or_costs_more_gas_than_it_is_worth(
        sim: Simulation, reason: DropReason) -> None:
    auction = make_auction()
    verified = arbitrate.verify(auction, proposed(cow(auction)), RELAYER)
    assert isinstance(verified, Verified)
    outcome = arbitrate.accept_simulation(auction, verified, b"\x01", sim)
    assert isinstance(outcome, Refused) and outcome.drop.reason is reason and outcome.verdict is Verdict.DROPPED
    assert (sim.error or str(outcome.score)) in outcome.reason


def test_refuses_a_verified_solution_that_cannot_be_encoded_as_unencodable() -> None:
    auction = make_auction()
    honest = cow(auction)
    unencodable = dataclasses.replace(honest, prices={**honest.prices, WETH: 2**256})  # past uint256
    outcome = submit.encode(auction, Verified(proposed(unencodable), 1))
    assert isinstance(outcome, Refused) and outcome.drop.reason is DropReason.UNENCODABLE
    assert isinstance(submit.encode(auction, Verified(proposed(honest), 1)), bytes)


# -- rank, lose ----------------------------------------------------------------------------------

def test_ranks_by_score_then_less_gas_then_url() -> None:
    a, b = simulated(5, 300_000, "http://a"), simulated(9, 400_000, "http://b")
    c, d = simulated(5, 200_000, "http://c"), simulated(5, 200_000, "http://0")
    ranked = arbitrate.rank([a, b, c, d])
    assert [(r.rank, r.simulated) for r in ranked] == [(1, b), (2, d), (3, c), (4, a)]
    assert arbitrate.rank([]) == []


def test_a_tie_in_score_goes_to_the_solution_that_needs_less_gas_whatever_the_order() -> None:
    heavy, light = simulated(7, 250_000, "http://a"), simulated(7, 180_000, "http://b")
    assert arbitrate.rank([heavy, light])[0].simulated is light
    assert arbitrate.rank([light, heavy])[0].simulated is light


def test_should_tell_a_ranked_solution_it_lost_to_the_winners_score() -> None:
    second = arbitrate.rank([simulated(5 * 10**18, 1, "http://a"), simulated(9 * 10**18, 1, "http://b")])[1]
    lost = arbitrate.lose(second, 9 * 10**18)
    assert isinstance(lost, Lost) and lost.verdict is Verdict.LOST and lost.drop.reason is DropReason.OUTRANKED
    assert lost.reason == "ranked 2: score $5.00 < winner's $9.00" and (lost.rank, lost.score) == (2, 5 * 10**18)


def test_rank_all_splits_what_simulated_from_what_was_refused() -> None:
    good = simulated(3, 1)
    bad = Refused(good.verified, Drop.of(DropReason.SIMULATION_FAILED, error="x"))
    ranked, refused = arbitrate.rank_all([bad, good])
    assert [r.simulated for r in ranked] == [good] and refused == [bad]


# -- collect's reading of an answer (pure) ---------------------------------------------------

ANSWERS = [
    (200, "<html>502</html>", DropReason.NOT_JSON, "not JSON"),
    (500, '{"error": "strategy crashed", "kind": "StrategyCrashed"}', DropReason.SOLVER_ERROR, "HTTP 500"),
    (200, '{"solution": {"auctionId": "seven"}, "reason": null}', DropReason.MALFORMED, "solution.auctionId"),
    (200, "[1, 2]", DropReason.MALFORMED, "malformed"),
    (200, '{"solution": null, "reason": "nothing trades"}', DropReason.NO_SOLUTION, "nothing trades"),
]


@pytest.mark.parametrize(("status", "text", "reason", "fragment"), ANSWERS)
def test_reads_an_unusable_answer_as_refused_with_why(status: int, text: str, reason: DropReason,
                                                      fragment: str) -> None:
    outcome = read_answer(Asked(NODE, 5), status, text)
    assert isinstance(outcome, Refused) and outcome.drop.reason is reason and fragment in outcome.reason
    assert outcome.solution is None and outcome.endpoint == NODE and outcome.latency_ms == 5


def test_reads_a_solution_as_proposed() -> None:
    from auction import wire

    solution = cow(make_auction())
    answer = read_answer(Asked(NODE, 5), 200, wire.SolveResponseModel(
        solution=wire.solution_to_model(solution), reason=None).model_dump_json())
    assert isinstance(answer, Proposed) and answer.solution == solution


# -- the stages hold their order ---------------------------------------------------------------

def test_a_stage_can_only_be_built_from_the_one_before() -> None:
    auction = make_auction()
    p = proposed(cow(auction))
    v = Verified(p, 1)
    s = Simulated(v, b"", 1, 1)
    with pytest.raises(TypeError, match="verified must be a Verified"):
        Simulated(p, b"", 1, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="simulated must be a Simulated"):
        Ranked(v, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="proposed must be a Proposed"):
        Verified(Asked(NODE, 1), 1)  # type: ignore[arg-type]
    r = Ranked(s, 1)
    assert (r.simulated.verified.proposed.asked.endpoint, Refused(r, Drop.of(DropReason.NO_RECEIPT, tx_hash="0x1",
                                                                              error="Timeout")).pending) == (NODE, True)


# the reasons reached by one test each above (the parametrised ones are read from their tables)
REACHED_ONE_BY_ONE = {DropReason.UNVERIFIABLE, DropReason.UNENCODABLE, DropReason.OUTRANKED,
                      DropReason.DOES_NOT_FIT}  # the last in test_split.py


def test_every_drop_reason_is_reached_by_a_test_here_or_live() -> None:
    here = (set(_broken(make_auction())) | {r for _, r in SIMULATIONS} | {r for _, _, r, _ in ANSWERS}
            | REACHED_ONE_BY_ONE)
    assert not here & REACHED_LIVE
    assert set(DropReason) == here | REACHED_LIVE, set(DropReason) - here - REACHED_LIVE
