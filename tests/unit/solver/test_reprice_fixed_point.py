"""Repricing: the prices each intent allows a token alone, the grid of starts, following a start
to the clearing's fixed point, and the settle program without the intents it misses."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import pytest

from routing.pools import Liquidity
from solver import joint, price_search
from solver.clearing import Cleared, DropCause, RoutedPlan, clear
from solver.joint_wants import loosened
from solver.routing_port import make_route_fn
from solver.strategies import batch
from solver.strategies import reprice as repricing
from tests.unit.solver.test_clearing import SETTLEMENT, USDC, WETH, liquidity
from tests.unit.solver.test_joint_mixture import DAI, POOLS, PRICES, _with_hedger, three_tokens
from tests.unit.solver.test_reprice import auction_of


def test_the_room_of_a_token_alone_is_every_intents_bounds_on_it_as_token_and_as_numeraire() -> None:
    intents, _ = three_tokens()  # every bound +-2%; 0xc prices WETH in DAI
    lo, hi = price_search.room(intents, PRICES, WETH)
    assert lo == pytest.approx(0.98 + price_search.EDGE, abs=1e-9) and hi == pytest.approx(1.02 - price_search.EDGE, abs=1e-9)
    # DAI is a token of 0xa, 0xb (+-2%) and 0xc's numeraire: WETH per DAI is 1/x there, inside 0.98-1.02
    lo, hi = price_search.room(intents, PRICES, DAI)
    assert lo == pytest.approx(1 / (1.02 - price_search.EDGE), abs=1e-9) and hi == pytest.approx(1.02 - price_search.EDGE, abs=1e-9)
    for t in (WETH, DAI):
        lo, hi = price_search.room(intents, PRICES, t)
        assert price_search.allowed(intents, PRICES, {t: lo}) and price_search.allowed(intents, PRICES, {t: hi})
        assert not price_search.allowed(intents, PRICES, {t: lo - 1e-6})
        assert not price_search.allowed(intents, PRICES, {t: hi + 1e-6})
    assert price_search.room(intents, PRICES, "0xnot-traded") == (1.0, 1.0)


def test_the_grid_tries_every_direction_once_before_any_combination() -> None:
    room = {WETH: (0.98, 1.02), DAI: (0.99, 1.03)}
    points = list(repricing.grid([WETH, DAI], room))
    assert len(points) == 3**2 - 1 and {} not in points
    assert all(len([x for x in p.values() if x != 1.0]) == 1 for p in points[:4])
    assert sorted({p[DAI] for p in points}) == pytest.approx([0.995, 1.0, 1.015])  # half-way to either edge
    many = [f"0x{k}" for k in range(repricing.GRID_TOKENS + 1)]
    axes = list(repricing.grid(many, {t: (0.98, 1.02) for t in many}))
    assert len(axes) == 2 * len(many) and all(len(p) == 1 for p in axes)


class Recording(repricing.Repricer):
    """The repricer, remembering where each attempt started, where its clearing ended and its score."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.tried: list[tuple[str, dict[str, float], dict[str, float], int]] = []

    def attempt(self, relative: dict[str, float], step: str) -> tuple[Cleared, int]:
        cleared, score = super().attempt(relative, step)
        self.tried.append((step, relative, self.relative(cleared), score))
        return cleared, score


def repricer(deadline_s: float = 60.0, batch_of: tuple[dict, dict] | None = None, pools: Liquidity = POOLS) -> Recording:
    intents, balances = batch_of or three_tokens()
    a = dataclasses.replace(auction_of(intents, balances, deadline_s), liquidity=pools)
    least, _ = batch.wants_for(a, list(intents))
    fee = batch.fee_policy(a, least)
    wants = batch.settle_wants(a, least, fee, {}, 30.0).wants
    route = make_route_fn("milp", pools, PRICES, a.gas_price_wei, SETTLEMENT, 2**32)
    first = batch.clear_trimming(intents, balances, PRICES, wants, least, route, fee)
    return Recording(a, least, fee, intents,
                     lambda w, rel, limit: batch.settle_wants(a, w, fee, rel, limit).wants,
                     lambda w, start: batch.clear_trimming(intents, balances, PRICES, w, least, route, fee, start),
                     lambda c: batch.build_solution(a, "0x0", c, "", {}, {}, {}).score_e18, first, 0.01)


def test_a_start_is_followed_until_the_clearing_stays_at_its_prices() -> None:
    r = repricer()
    first_score = r.best_score
    r.to_fixed_point({}, "from the reference")
    # the reference is not where the clearing ends: it moved, and was followed
    assert len(r.tried) >= 2
    assert any(abs(end.get(WETH, 1.0) - 1.0) > repricing.FIXED_POINT_TOLERANCE for _, _, end, _ in r.tried)
    for (_, _, end, _), (_, start, _, _) in zip(r.tried, r.tried[1:], strict=False):
        assert start == end  # each step starts where the last clearing ended
    _, start, end, _ = r.tried[-1]
    if len(r.tried) < repricing.FIXED_POINT_STEPS:  # it stopped because the prices stayed
        assert all(abs(end[t] / start.get(t, 1.0) - 1) <= repricing.FIXED_POINT_TOLERANCE for t in end)
    # the best is kept: no worse than the first clearing nor any attempt
    assert r.best_score == max([first_score] + [s for *_, s in r.tried])


def test_reprice_follows_the_grids_best_starts_when_there_is_time_and_none_without() -> None:
    r = repricer()
    _, _, _ = repricing.reprice(r)
    steps = [s for s, *_ in r.tried]
    assert steps[0] == "clearing prices" and "box point" in steps
    boxes = [start for s, start, _, _ in r.tried if s == "box point"]
    assert all(price_search.allowed(r.intents, PRICES, start) for start in boxes)
    assert r.best_score == max([s for *_, s in r.tried] + [r.best_score])
    late = repricer(deadline_s=-1.0)
    kept, _, won = repricing.reprice(late)
    assert late.tried == [] and won == "" and kept is late.best


def _weth_target(dai: float) -> float:
    return 1.005 + 0.5 * (dai - 1.0)


def fake(score: Callable[[float, float], float], round_s: float = 0.001, deadline_s: float = 60.0,
         first: tuple[float, float] = (0.99, 1.0)) -> Recording:
    """A repricer over a stand-in clearing, instant and exact: DAI stays where its start puts it;
    WETH, as a routed token whose price carries its pool cost, moves half-way from its start to
    `_weth_target(DAI)` each clearing, so a start needs several clearings to reach its fixed point.
    `score(dai, weth)` in USD, at the clearing's relative prices; `first` the first clearing's."""
    intents, balances = three_tokens()
    a = auction_of(intents, balances, deadline_s)

    def clearing(dai: float, weth: float) -> Cleared:
        priced = {USDC: PRICES[USDC], DAI: round(PRICES[DAI] * dai), WETH: round(PRICES[WETH] * weth)}
        return Cleared(priced, {}, RoutedPlan({}, {}, 0, ()), {}, 0, 0, 1)

    def clear_from(_: dict, start: dict[str, int]) -> tuple[Cleared, list[str]]:
        dai, weth = start[DAI] / PRICES[DAI], start[WETH] / PRICES[WETH]
        return clearing(dai, weth + (_weth_target(dai) - weth) / 2), []

    def scored(c: Cleared) -> int:
        return round(1e18 * score(c.prices[DAI] / PRICES[DAI], c.prices[WETH] / PRICES[WETH]))

    return Recording(a, {}, lambda _: 0, intents, lambda w, rel, limit: w, clear_from, scored,
                     (clearing(*first), []), round_s)


def _peaked(dai: float, weth: float) -> float:
    """Peaks at DAI +0.6% with WETH where the clearing takes it (off its target, it costs)."""
    return 1_000 - 1e6 * (dai - 1.006) ** 2 - 1e6 * (weth - _weth_target(dai)) ** 2


def test_following_a_start_returns_the_best_score_on_its_way_not_the_last() -> None:
    r = fake(lambda dai, weth: 1_000 - 1e6 * abs(weth - 1.003))  # WETH's path 1.0025, 1.00375, 1.004375
    reached = r.to_fixed_point({}, "from the reference")
    scores = [score for *_, score in r.tried]
    assert len(scores) == repricing.FIXED_POINT_STEPS and reached == max(scores) > scores[-1]


def test_the_price_search_climbs_the_score_of_fixed_points_moving_only_the_prices_the_clearing_leaves() -> None:
    """The search must follow each start to its fixed point (one clearing leaves WETH off its
    target), never move WETH itself (the clearing sets it), and climb DAI to the peak."""
    r = fake(_peaked)
    r.to_fixed_point({}, "clearing prices")
    assert r.best_start == {}
    before = r.best_score
    repricing._search(r)
    assert r.best_score > before and r.won == "price search"
    assert r.relative(r.best)[DAI] == pytest.approx(1.006, abs=2 * price_search.MIN_STEP)
    searched = [(start, end) for step, start, end, _ in r.tried if step == "price search"]
    # its starts are followed: some start where the clearing before ended
    assert any(start == end for (_, end), (start, _) in itertools.pairwise(searched))
    # every start the search tried has WETH where a clearing had put it, never moved by the search
    ends: set[float] = set()
    for step, start, end, _ in r.tried:
        if step == "price search" and WETH in start:
            assert any(start[WETH] == pytest.approx(e, rel=1e-9) for e in ends)
        ends.add(end[WETH])


def test_the_steps_run_when_each_is_quick_even_if_the_first_round_was_slow() -> None:
    """A first round of 1 s (a loaded machine) and 8 s left: a search of instant steps fits, and
    runs — each step is gated on what steps measure to take, not on multiples of the first round."""
    r = fake(_peaked, round_s=1.0, deadline_s=8.0)
    repricing.reprice(r)
    steps = {step for step, *_ in r.tried}
    assert {"clearing prices", "box point", "price search"} <= steps
    assert r.left_s() > repricing.RESERVE * r.round_s - 0.5  # and the reserve is kept
    late = fake(_peaked, round_s=1.0, deadline_s=2.5)  # no room for even one attempt past the reserve
    repricing.reprice(late)
    assert late.tried == []


def test_the_searchs_guide_leaves_out_an_intent_the_program_misses() -> None:
    """A hedger who must buy 1 WETH (~$3,000) with $2,000: the settle program misses it, yet its
    relaxed trades still count in the program's value; the guide that ranks prices leaves it out."""
    intents, balances = _with_hedger(2_000)
    pools = Liquidity.from_json(liquidity())
    r = repricer(batch_of=(intents, balances), pools=pools)
    prices = {USDC: PRICES[USDC], WETH: PRICES[WETH]}
    jis = joint.joint_intents(list(r.least), intents, balances, prices, r.fee)
    relative = {WETH: 1.004}
    with_it = joint.solve(jis, pools, prices, joint.SETTLE, relative)
    assert with_it.missed == ("0xh",)
    without = joint.solve([ji for ji in jis if ji.id != "0xh"], pools, prices, joint.SETTLE, relative)
    assert with_it.objective_usd > without.objective_usd + 1.0  # the missed hedger's phantom allowance
    assert r.value(relative) == pytest.approx(without.objective_usd, rel=1e-9)
    assert r.value({WETH: 1.002}) == pytest.approx(
        joint.solve([ji for ji in jis if ji.id != "0xh"], pools, prices, joint.SETTLE, {WETH: 1.002}).objective_usd,
        rel=1e-9)


def test_a_clearing_whose_exact_buys_do_not_converge_clears_again_with_the_buys_as_shares() -> None:
    """One intent alone (all of it routed): raising WETH's price cannot shrink the exact DAI leg
    the pools deliver short of, and the prices never settle; as shares they do."""
    intents, balances = three_tokens()
    one = {"0xa": intents["0xa"]}
    a = auction_of(one, balances)
    least, _ = batch.wants_for(a, ["0xa"])
    fee = batch.fee_policy(a, least)
    wants = batch.settle_wants(a, least, fee, {}, 30.0).wants
    assert wants["0xa"].exact[DAI] > 0 and wants["0xa"].balancing == {WETH: 10_000}
    route = make_route_fn("milp", POOLS, PRICES, a.gas_price_wei, SETTLEMENT, 2**32)
    assert clear(wants, one, balances, PRICES, route, fee).dropped["0xa"].cause is DropCause.NOT_CONVERGED
    cleared, trimmed = batch.clear_trimming(one, balances, PRICES, wants, least, route, fee)
    assert "0xa" in cleared.flows and trimmed == []  # settled, and not cut back to its least trade
    loose = loosened(wants["0xa"], intents["0xa"], PRICES, fee("0xa"))
    assert set(loose.balancing) == {WETH, DAI} and all(q < 0 for q in loose.exact.values())
    # the shares keep the planned split, to a bp of the value received
    planned_dai = wants["0xa"].exact[DAI] * PRICES[DAI]
    assert abs(loose.flows(PRICES, fee("0xa"))[DAI] * PRICES[DAI] - planned_dai) <= planned_dai * 2 // 10_000
    # a balances want, or one without exact buys, is left as it is
    assert loosened(loose, intents["0xa"], PRICES, 0) is loose


def test_an_intent_the_program_misses_takes_nothing_from_the_others_volumes() -> None:
    """The hedger nothing brings into its band keeps its own want, and the others' volumes (and the
    program's value) are what they would be without it: its relaxed trades must not take
    liquidity or matching from them."""
    intents, balances = _with_hedger(2_000)
    pools = Liquidity.from_json(liquidity())
    a = dataclasses.replace(auction_of(intents, balances), liquidity=pools)
    least, _ = batch.wants_for(a, list(intents))
    fee = batch.fee_policy(a, least)
    others = {i: w for i, w in least.items() if i != "0xh"}
    for relative in ({}, {WETH: 1.004}):
        wants, value, missed = batch.settle_wants(a, least, fee, relative, 30.0)
        alone, alone_value, _ = batch.settle_wants(a, others, fee, relative, 30.0)
        assert missed == {"0xh"}
        # told, it leaves the hedger out from the start: the same volumes
        assert batch.settle_wants(a, least, fee, relative, 30.0, frozenset({"0xh"})).wants == wants
        assert wants["0xh"] == least["0xh"]
        assert {i: wants[i] for i in others} == alone
        assert value == pytest.approx(alone_value, rel=1e-9)
