"""Oracle-guarded prices, the contract's side: an execution flagged as oracle-guarded carries
the intent's signed `maxOracleDeviationBps` (the `Intent` type with that field appended), and
`settle` refuses it when a priced token's clearing price lies further than that from the
owner-set Chainlink-style feeds, or a feed is stale or missing. Unflagged executions (what
`intents.model` signs without the field) are untouched."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from contracts.revert import SettlementReverted
from contracts.settlement import Batch
from contracts.world_spec import DECIMALS
from intents.model import Intent
from intents.signing import sign_digest
from tests.integration.settlement.helpers import Env, assert_refused
from tests.integration.settlement.scenarios import cow_pair

GUARDED_TYPE = ("Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,"
                "uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,"
                "uint256 maxFeeBps,uint256 validTo,uint256 nonce,uint256 maxOracleDeviationBps)")
MAX_DEVIATION_BPS = 100


def _words(values: tuple[int | str, ...]) -> bytes:
    return keccak(b"".join(int(v, 16).to_bytes(32, "big") if isinstance(v, str) else int(v).to_bytes(32, "big")
                           for v in values))


def guarded_digest(env: Env, intent: Intent, max_deviation_bps: int) -> bytes:
    """The EIP-712 digest of the oracle-guarded type, computed here independently of the contract."""
    t = intent.as_tuple()
    struct = abi_encode(
        ["bytes32", "address", "bytes32", "bytes32", "bytes32", "uint8", "bytes32", "uint256", "bytes32", "bytes32",
         "uint256", "uint256", "uint256", "uint256"],
        [keccak(text=GUARDED_TYPE), t[0], _words(t[1]), _words(t[2]), _words(t[3]), t[4], _words(t[5]), t[6],
         _words(t[7]), _words(t[8]), t[9], t[10], t[11], max_deviation_bps])
    return keccak(b"\x19\x01" + env.settlement.domain_separator() + keccak(struct))


def _set_feeds(env: Env, skip: str | None = None) -> None:
    """Every token's feed set by the owner (the world already sets them); `skip`'s removed."""
    for symbol in DECIMALS:
        feed = env.world.deployment.feed(symbol)
        address = "0x" + "00" * 20 if symbol == skip else feed.address  # address(0) removes a feed
        env.settlement.set_price_feed(env.world.deployer.address, env.addr(symbol), address, feed.heartbeat_s,
                                      DECIMALS[symbol])


def _guarded_pair(env: Env, weth_move_bps: int = 0, max_deviation_bps: int = MAX_DEVIATION_BPS) -> Batch:
    """A CoW pair at the reference prices (the feeds' prices), WETH moved by `weth_move_bps`,
    both intents signed as oracle-guarded (the ±2% price bounds stay as signed)."""
    reference = env.ref_prices()
    prices = dict(reference)
    prices[env.addr("WETH")] = reference[env.addr("WETH")] * (10_000 + weth_move_bps) // 10_000
    pair = cow_pair(env, prices=prices)
    for leg in pair.legs:
        leg.signature = sign_digest(guarded_digest(env, leg.intent, max_deviation_bps), leg.key)
    batch = pair.batch(env)
    executions = tuple(replace(e, max_oracle_deviation_bps=max_deviation_bps) for e in batch.executions)
    return Batch(batch.tokens, batch.clearing_prices, executions, batch.interactions)


def test_should_hash_the_guarded_intent_type_on_chain_as_python_does(env: Env) -> None:
    intent = cow_pair(env).legs[0].intent
    assert env.settlement.hash_guarded_intent(intent.as_tuple(), 37) == guarded_digest(env, intent, 37)
    assert guarded_digest(env, intent, 37) != intent.digest(env.chain_id, env.settlement.address)


def test_accepts_clearing_prices_within_the_signed_deviation_from_the_feeds(env: Env) -> None:
    _set_feeds(env)
    batch = _guarded_pair(env, weth_move_bps=99)  # 0.99% from the WETH feed, bound 1%
    receipt = env.settlement.settle(env.solver, batch)
    assert len(env.settlement.executed(receipt)) == 2


def test_rejects_a_clearing_price_further_from_the_feeds_than_signed(env: Env) -> None:
    _set_feeds(env)
    batch = _guarded_pair(env, weth_move_bps=150)  # inside the ±2% bounds, 1.5% from the feed
    reason = assert_refused(env, batch, "OracleDeviation")
    assert reason.args == {"execution": 0, "token": 1, "maxDeviationBps": MAX_DEVIATION_BPS}


def test_rejects_a_stale_feed_and_accepts_it_once_fresh(env: Env) -> None:
    _set_feeds(env)
    heartbeat = env.world.deployment.feed("WETH").heartbeat_s
    env.w3.provider.make_request("evm_increaseTime", [heartbeat + 1])
    env.w3.provider.make_request("evm_mine", [])
    reason = assert_refused(env, _guarded_pair(env), "StaleOracle")
    assert reason.args["execution"] == 0
    # every feed republishes its answer now: the same batch settles
    for symbol in DECIMALS:
        feed = env.w3.eth.contract(address=env.world.deployment.feed(symbol).address,
                                   abi=[{"name": "setAnswer", "type": "function", "stateMutability": "nonpayable",
                                         "inputs": [{"name": "answer", "type": "int256"}], "outputs": []},
                                        {"name": "latestAnswer", "type": "function", "stateMutability": "view",
                                         "inputs": [], "outputs": [{"name": "", "type": "int256"}]}])
        tx = feed.functions.setAnswer(feed.functions.latestAnswer().call()).transact(
            {"from": env.world.deployer.address})
        assert env.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    env.settlement.settle(env.solver, _guarded_pair(env))


def test_rejects_a_token_without_a_feed_and_leaves_unguarded_intents_alone(env: Env) -> None:
    _set_feeds(env, skip="WBTC")  # the weights intents value WBTC too
    reason = assert_refused(env, _guarded_pair(env), "NoPriceFeed")
    assert reason.args == {"execution": 0, "token": env.addr("WBTC")}
    # the same trade signed without the oracle field settles: nothing changes for it
    env.settlement.settle(env.solver, cow_pair(env).batch(env))


def test_rejects_feed_settings_by_a_stranger_or_beyond_19_decimals(env: Env) -> None:
    owner, stranger = env.world.deployer.address, env.world.users[0].address
    feed = env.world.deployment.feed("WETH").address
    for sender, decimals, error in ((stranger, 18, "NotOwner"), (owner, 20, "TooManyDecimals")):
        with pytest.raises(SettlementReverted) as info:
            env.settlement.set_price_feed(sender, env.addr("WETH"), feed, 3600, decimals)
        assert info.value.name == error
    env.settlement.set_price_feed(owner, env.addr("WETH"), feed, 3600, 19)  # the twin: at the limit
    assert env.settlement.contract.functions.priceFeeds(env.addr("WETH")).call() == [feed, 3600, 10**19]
