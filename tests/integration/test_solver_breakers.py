"""The solver's breakers on the fork: a stale oracle keeps intents out of the auction until the
feed is fresh again; the pool-deviation breaker's pools are named in the solution."""

from __future__ import annotations

from auction import snapshot
from contracts.artifacts import keel
from tests.integration.auction_support import weights_intent


def _take(chain, signed):
    view = snapshot.WorldView(chain.chain_id, chain.deployment)
    sid = signed.intent.intent_id(chain.chain_id, chain.settlement)
    auction, left_out = snapshot.take(chain.web3(), view, [(sid, signed)], 1, 0)
    return sid, auction, left_out


def test_a_stale_feed_keeps_its_intents_out_of_the_auction_until_it_is_fresh_again(chain) -> None:
    w3 = chain.web3()
    signed = weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
    feed = w3.eth.contract(address=chain.deployment.feed("WETH").address, abi=keel("PriceFeed").abi)
    answer = feed.functions.latestAnswer().call()
    now = w3.eth.get_block("latest")["timestamp"]
    w3.eth.wait_for_transaction_receipt(
        feed.functions.setAnswerAt(answer, now - 2 * 3600).transact({"from": chain.deployer.address}))

    sid, auction, left_out = _take(chain, signed)
    assert auction.intents == ()
    assert "WETH oracle breaker" in left_out[sid] and "stale-oracle" in left_out[sid]

    w3.eth.wait_for_transaction_receipt(feed.functions.setAnswer(answer).transact({"from": chain.deployer.address}))
    sid, auction, left_out = _take(chain, signed)
    assert [bi.id for bi in auction.intents] == [sid] and left_out == {}


def test_a_fresh_world_trips_no_breaker(chain) -> None:
    from solver.strategies.milp import Milp

    signed = weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
    _, auction, left_out = _take(chain, signed)
    assert left_out == {}
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert solution.stats["pools_left_out"] == {}
