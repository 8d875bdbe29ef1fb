"""One owner revoking the relayer's allowance after admission must not stall everyone else.

Before: the snapshot read balances only, so a solver cleared the revoked owner's intent with the
others, every candidate's settle() reverted in simulation, and the whole round stayed unsettled,
round after round, for the price of one `approve(relayer, 0)`. Now the snapshot reads each
owner's allowance to the relayer and leaves such an intent out with the reason (the orderbook's
own admission rule: the relayer must be able to pull all the owner holds of an intent token),
and the others settle.
"""

from __future__ import annotations

import time
from typing import Any

from auction.settle_call import batch_for
from auction.snapshot import WorldView, take
from contracts.settlement import Settlement
from contracts.world import World
from intents.chain import chain_time
from solver.strategies.milp import Milp
from tests.adversarial.chain_support import erc20, transact
from tests.integration.auction_support import balances_of, weights_intent


def test_should_leave_out_a_revoked_owner_and_settle_the_others(chain: World, w3: Any) -> None:
    keeps = weights_intent(chain, 1, {"WETH": 40, "USDC": 60})
    revokes = weights_intent(chain, 2, {"WETH": 60, "USDC": 40})
    transact(w3, revokes.intent.owner, erc20(w3, chain.token("WETH")).functions.approve(chain.deployment.relayer, 0))
    ids = {s.intent.owner: s.intent.intent_id(chain.chain_id, chain.settlement) for s in (keeps, revokes)}
    auction, left_out = take(w3, WorldView(chain.chain_id, chain.deployment),
                             [(ids[s.intent.owner], s) for s in (keeps, revokes)], 1,
                             int((max(time.time(), chain_time(w3)) + 10) * 1000))
    assert [bi.id for bi in auction.intents] == [ids[keeps.intent.owner]]
    why = left_out[ids[revokes.intent.owner]]
    assert why.startswith("allowance:") and "WETH" in why and "keel approve WETH" in why, why
    before = balances_of(chain, keeps.intent.owner)
    solution = Milp().solve(auction, chain.solvers[0].address)
    receipt = Settlement(w3, auction.settlement).settle(chain.solvers[0].address, batch_for(auction, solution))
    assert receipt["status"] == 1
    assert balances_of(chain, keeps.intent.owner) != before  # the owner who kept the approval traded
