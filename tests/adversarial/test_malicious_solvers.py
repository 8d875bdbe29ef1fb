"""Malicious solvers in one real round on the fork, and what `keel auction show` tells the
operator about each.

An honest `baseline` node competes with nodes that inflate their score, quote a price
outside the users' bounds, steal through an interaction, add an interaction that reverts,
answer after the deadline, or answer garbage. None of them wins, none moves a user's
funds, and `keel auction show <round>` (run in-process, table and `--json`) names each
one's verdict and why. The bad strategies are `tests/fakes/strategies.py`'s.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from auction.auctioneer import Auctioneer
from auction.node import make_app
from auction.registry import Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView
from contracts.settlement import Settlement
from intents.lifecycle import SETTLED
from orderbook.store import SqliteStore
from solver.strategies.baseline import Baseline
from tests.fakes import strategies as bad
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server, run_cli
from tests.integration.auction_support import balances_of, hedge_intent, weights_intent
from tests.integration.test_auction_round import Shared, submit_all

DEADLINE_S = 8.0
# each bad node, and the words its drop reason must contain
BAD = {
    "inflated": "score mismatch",
    "out-of-bounds": "outside",
    "thief": "Relayer",
    "reverting": "simulation reverts",
    "late": "late",
    "garbage": "malformed",
}


def test_should_never_let_a_malicious_solver_win_and_show_why_each_was_dropped(
    chain: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orderbook, rounds_db = SqliteStore(tmp_path / "ob.db"), tmp_path / "auction.db"
    rounds, registry = RoundStore(rounds_db), Registry(rounds_db)
    signed = [weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}), hedge_intent(chain, 4, book_delta=-8.0)]
    ids = submit_all(chain, orderbook, signed)
    owners = {s.intent.owner for s in signed}
    before = {o: balances_of(chain, o) for o in owners}
    honest_account, bad_account = chain.solvers[0].address, chain.solvers[2].address
    shared, rpc = Shared(), chain.rpc_url
    nodes = {
        "honest": Server(make_app(Baseline(), honest_account, rpc, **trusting(chain.settlement))),
        "inflated": Server(make_app(bad.Inflated(shared), bad_account, rpc, **trusting(chain.settlement))),
        "out-of-bounds": Server(make_app(bad.OutOfBounds(shared), bad_account, rpc, **trusting(chain.settlement))),
        "thief": Server(make_app(bad.Thief(shared, chain.deployment.relayer), bad_account, rpc, **trusting(chain.settlement))),
        "reverting": Server(make_app(bad.Reverting(shared), bad_account, rpc, **trusting(chain.settlement))),
        "late": Server(make_app(bad.Sleepy(shared), bad_account, rpc, honour_deadline=False, **trusting(chain.settlement))),
        "garbage": Server(bad.garbage_app("wrong-shape")),
    }
    for name, srv in nodes.items():
        registry.register(honest_account if name == "honest" else bad_account, srv.url)
    auctioneer = Auctioneer(chain.web3(), WorldView(chain.chain_id, chain.deployment), orderbook, rounds,
                            registry.all, deadline_s=DEADLINE_S, signer=AUCTIONEER)
    try:
        result = asyncio.run(auctioneer.run_round())
    finally:
        for srv in nodes.values():
            srv.stop()
        orderbook_rows = {i: orderbook.get(i) for i in ids}
        for store in (orderbook, rounds, registry):
            store.close()

    assert result is not None and result.status == "settled" and result.winner == nodes["honest"].url
    winner = next(c for c in result.candidates if c.verdict == "settled")
    # users' funds moved exactly by the honest solution's flows, once
    settlement = Settlement(chain.web3(), chain.settlement)
    for intent_id, row in orderbook_rows.items():
        flows = next((e.flows for e in winner.solution.executions if e.intent_id == intent_id), {})
        after = balances_of(chain, row.owner)
        assert all(after[t] == before[row.owner][t] + flows.get(t, 0) for t in after), row.owner
        assert (row.status == SETTLED) == bool(flows) == settlement.is_nonce_spent(row.owner, row.nonce)

    # `keel auction show` names every bad node's verdict and reason
    shown = run_cli(capsys, "auction", "show", str(result.round_id), "--db", str(rounds_db), "--json")
    assert shown.code == 0, shown.err
    record = json.loads(shown.out)
    by_url = {c["solverUrl"]: c for c in record["candidates"]}
    assert by_url[nodes["honest"].url]["verdict"] == "settled"
    for name, fragment in BAD.items():
        candidate = by_url[nodes[name].url]
        assert candidate["verdict"] == "dropped" and fragment in candidate["reason"], (name, candidate)
    table = run_cli(capsys, "auction", "show", str(result.round_id), "--db", str(rounds_db))
    assert table.code == 0 and table.out.count("dropped") == len(BAD) and "settled" in table.out
