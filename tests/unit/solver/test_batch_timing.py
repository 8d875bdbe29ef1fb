"""The batch strategy's clocks: the router swaps' deadline, and the time gate of keel's bound."""

from __future__ import annotations

import dataclasses

from solver.strategies.batch import DEADLINE_SLACK_S, swap_deadline_s
from tests.unit.auction.test_verify import make_auction


def test_should_outlast_every_intent_of_the_batch_when_the_chain_clock_runs_ahead() -> None:
    auction = make_auction(deadline_s=5.0)
    latest = max(bi.intent.valid_to for bi in auction.intents)
    early = dataclasses.replace(auction, deadline_ms=(latest - 10 * DEADLINE_SLACK_S) * 1000)
    assert swap_deadline_s(early) == latest  # the wall-clock deadline alone would have been 9 slacks too early


def test_should_keep_the_auctions_deadline_plus_slack_when_it_is_later() -> None:
    auction = make_auction()
    late = dataclasses.replace(auction, deadline_ms=(max(bi.intent.valid_to for bi in auction.intents) + 1) * 1000)
    assert swap_deadline_s(late) == late.deadline_ms // 1000 + DEADLINE_SLACK_S


def test_the_bounds_time_gate_counts_every_intent_the_bound_covers() -> None:
    """The bound runs over every auction intent; the volumes' time is for the intents the
    solver traded. Sized by a one-intent program, a two-intent bound expects twice the time,
    and a round with the same time left settles for a cheaper kind of bound."""
    from solver.strategies.batch import joint_bound_stats

    auction = make_auction(deadline_s=6.0)  # the Lagrangian needs 2 x 4 programs' time: 4 s of the 6
    assert len(auction.intents) == 2
    both = joint_bound_stats(auction, took_s=0.5, programmed=2)
    one = joint_bound_stats(auction, took_s=0.5, programmed=1)
    assert both["joint_bound"] == "uniform prices (Lagrangian at the reference duals)", both
    assert one["joint_bound"] == "any prices per user (looser)", one
