"""The solver's breakers on the fork: a stale oracle keeps intents out of the auction until the
feed is fresh again, while gas is still charged at the native token's price; a dead native
feed refuses the round; the pool-deviation breaker's pools are named in the solution."""

from __future__ import annotations

import pytest

from auction import snapshot
from contracts.artifacts import keel
from contracts.feeds import read_round
from keel.units import NATIVE_DECIMALS, usd_price_from_feed
from solver import scoring
from tests.integration.auction_support import weights_intent

STABLES_ONLY = 6  # world user 7 holds USDC and DAI only: its intent never touches WETH


def _take(chain, *signed):
    view = snapshot.WorldView(chain.chain_id, chain.deployment)
    ids = [(s.intent.intent_id(chain.chain_id, chain.settlement), s) for s in signed]
    auction, left_out = snapshot.take(chain.web3(), view, ids, 1, 0)
    return (ids[0][0] if len(ids) == 1 else [i for i, _ in ids]), auction, left_out


def _weth_feed(chain):
    return chain.web3().eth.contract(address=chain.deployment.feed("WETH").address, abi=keel("PriceFeed").abi)


def _make_weth_feed_stale(chain) -> int:
    """The WETH feed's answer, republished as two hours old (its heartbeat is one hour)."""
    w3, feed = chain.web3(), _weth_feed(chain)
    answer = feed.functions.latestAnswer().call()
    now = w3.eth.get_block("latest")["timestamp"]
    w3.eth.wait_for_transaction_receipt(
        feed.functions.setAnswerAt(answer, now - 2 * 3600).transact({"from": chain.deployer.address}))
    return answer


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


def test_a_stale_weth_feed_keeps_weth_out_but_gas_is_still_charged_at_the_native_price(chain) -> None:
    from solver.strategies.milp import Milp

    eth = weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
    stables = weights_intent(chain, STABLES_ONLY, {"USDC": 70, "DAI": 30})
    answer = _make_weth_feed_stale(chain)

    (eth_id, stables_id), auction, left_out = _take(chain, eth, stables)
    assert "WETH oracle breaker" in left_out[eth_id] and [bi.id for bi in auction.intents] == [stables_id]
    assert "WETH" not in {t.symbol for t in auction.tokens.values()}
    # gas is priced by the native token's own feed, at its last answer, stale or not
    assert auction.native_price == usd_price_from_feed(answer, NATIVE_DECIMALS) > 0
    assert auction.gas_price_wei > 0
    gas_usd = scoring.gas_cost_e18(auction, 200_000) / 1e18
    eth_spent = 200_000 * auction.gas_price_wei / 1e18
    assert gas_usd > 0 and abs(gas_usd - eth_spent * answer / 1e8) <= 1e-9 * gas_usd + 1e-18  # ETH × $/ETH

    # a real solution of the stables-only batch is scored net of that gas
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert solution.intent_ids == (stables_id,) and solution.gas > 0
    gas_e18 = scoring.gas_cost_e18(auction, solution.gas)
    assert gas_e18 > 0
    # the score subtracts that gas once (and credits what users paid only up to it: docs/scoring.md)
    assert scoring.score(auction, solution, solution.gas) == (
        scoring.score(auction, solution, 0) + scoring.fees_e18(auction, solution, gas_e18) - gas_e18)

    # the acceptance twin: with the feed fresh, WETH trades again and gas costs the same
    w3 = chain.web3()
    w3.eth.wait_for_transaction_receipt(_weth_feed(chain).functions.setAnswer(answer).transact({"from": chain.deployer.address}))
    _, fresh, left_out = _take(chain, eth, stables)
    assert left_out == {} and fresh.native_price == auction.native_price


ANSWER_SLOT = 4  # PriceFeed's storage: owner+decimals, description, version, roundId, answer, updatedAt


def _set_answer_slot(chain, value: int) -> None:
    """Write the feed's answer straight into storage: PriceFeed refuses a non-positive answer, a broken
    real feed does not."""
    chain.web3().provider.make_request("anvil_setStorageAt", [
        chain.deployment.feed("WETH").address, hex(ANSWER_SLOT), "0x" + value.to_bytes(32, "big").hex()])


def test_a_native_feed_without_a_price_refuses_the_round_rather_than_charge_nothing_for_gas(chain) -> None:
    w3, feed = chain.web3(), _weth_feed(chain)
    answer = feed.functions.latestAnswer().call()
    assert int.from_bytes(w3.eth.get_storage_at(feed.address, ANSWER_SLOT), "big") == answer  # the slot is right
    stables = weights_intent(chain, STABLES_ONLY, {"USDC": 70, "DAI": 30})
    _set_answer_slot(chain, 0)
    assert feed.functions.latestAnswer().call() == 0
    with pytest.raises(snapshot.NoNativePrice, match="gas cannot be valued") as err:
        _take(chain, stables)
    assert "WETH / USD" in str(err.value) and "\n" not in str(err.value)

    # the acceptance twin: the same intent, the feed answering again
    _set_answer_slot(chain, answer)
    sid, auction, left_out = _take(chain, stables)
    assert [bi.id for bi in auction.intents] == [sid] and left_out == {}
    assert auction.native_price == read_round(w3, chain.deployment.native_feed.address).usd_price(NATIVE_DECIMALS)


def test_a_fresh_world_trips_no_breaker(chain) -> None:
    from solver.strategies.milp import Milp

    signed = weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
    _, auction, left_out = _take(chain, signed)
    assert left_out == {}
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert solution.stats["pools_left_out"] == {}
