"""Netting (issue 13): matched volume moves user to user, a batch without interactions never
touches the contract's own balances, and its fee goes from the sellers straight to the fee
recipient. Balances before and after, and the receipt's Transfer logs, are in the assertions."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD

from tests.integration.settlement.helpers import E18, Env, assert_refused, cost, owners_of
from tests.integration.settlement.scenarios import Scenario, cow_pair, mixed, rebalance_leg

TRANSFER = keccak(text="Transfer(address,address,uint256)")
HELD = {"USDC": 5_000 * 10**6, "WETH": 3 * E18}  # what someone sent the contract by mistake


def _hold(env: Env) -> dict[str, int]:
    """Put USDC and WETH in the settlement: a batch must neither pay from it nor sweep it."""
    for symbol, amount in HELD.items():
        env.fund(env.world.deployer.address, env.addr(symbol), env.settlement.address, amount)
    return {env.addr(s): env.balance(env.settlement.address, env.addr(s)) for s in HELD}


def _transfers(receipt: Any) -> list[tuple[str, str, str, int]]:
    """(token, from, to, amount) of every ERC-20 Transfer log of the receipt."""
    out = []
    for log in receipt["logs"]:
        topics = [bytes(t) for t in log["topics"]]
        if len(topics) == 3 and topics[0] == TRANSFER:
            out.append((to_checksum_address(log["address"]), to_checksum_address(topics[1][12:]),
                        to_checksum_address(topics[2][12:]), int.from_bytes(bytes(log["data"]), "big")))
    return out


def _settle(env: Env, scenario: Scenario) -> tuple[Any, dict, dict]:
    batch = scenario.batch(env)
    owners = [*owners_of(batch), env.settlement.address, env.settlement.fee_recipient()]
    before = env.snapshot(owners, batch.tokens)
    receipt = env.settlement.settle(env.solver, batch)
    return receipt, before, env.snapshot(owners, batch.tokens)


def test_should_move_a_cow_pair_user_to_user_without_touching_the_contract(env: Env) -> None:
    held = _hold(env)
    scenario = cow_pair(env)
    receipt, before, after = _settle(env, scenario)
    for leg in scenario.legs:
        for token, flow in leg.flows.items():
            assert after[(leg.intent.owner, token)] - before[(leg.intent.owner, token)] == flow
    assert {t: after[(env.settlement.address, t)] for t in held} == held
    moves = _transfers(receipt)
    seller, buyer = (leg.intent.owner for leg in scenario.legs)
    # two transfers, each straight from one user to the other; none from or to the contract
    assert sorted(moves) == sorted([(env.addr("WETH"), seller, buyer, 10 * E18),
                                    (env.addr("USDC"), buyer, seller, scenario.legs[1].flows[env.addr("USDC")] * -1)])
    assert all(env.settlement.address not in (src, dst) for _t, src, dst, _a in moves)


def test_rejects_a_batch_without_interactions_whose_buys_exceed_its_sells(env: Env) -> None:
    held = _hold(env)
    prices = env.ref_prices()
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    want = 2 * E18  # less than the contract holds: it must still not pay it
    buyer = rebalance_leg(env, 1, prices, usdc, cost(want, prices[weth], prices[usdc]), weth, receive=want)
    reason = assert_refused(env, Scenario(prices, [buyer]).batch(env), "BuysExceedSells")
    assert reason.args == {"token": weth, "excess": want}
    assert {t: env.balance(env.settlement.address, t) for t in held} == held
    # its twin: the same buy with a seller of as much WETH in the batch settles
    seller = rebalance_leg(env, 0, prices, weth, want, usdc)
    receipt, _before, after = _settle(env, Scenario(prices, [seller, buyer]))
    assert receipt["status"] == 1
    assert {t: after[(env.settlement.address, t)] for t in held} == held


def test_should_pay_the_fee_from_the_sellers_straight_to_the_fee_recipient(env: Env) -> None:
    held = _hold(env)
    recipient = env.world.users[7].address
    env.settlement.set_fee_recipient(env.world.deployer.address, recipient)
    prices = env.ref_prices()
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    fee = 10 * E18 * 20 // 10_000  # 20 bps of the buyer's WETH, under its 30 bps cap
    pay = cost(10 * E18, prices[weth], prices[usdc])
    seller = rebalance_leg(env, 0, prices, weth, 10 * E18, usdc, receive=pay)
    buyer = rebalance_leg(env, 1, prices, usdc, pay, weth, receive=10 * E18 - fee)
    receipt, before, after = _settle(env, Scenario(prices, [seller, buyer]))
    assert after[(recipient, weth)] - before[(recipient, weth)] == fee
    assert {t: after[(env.settlement.address, t)] for t in held} == held
    moves = _transfers(receipt)
    assert (weth, seller.intent.owner, recipient, fee) in moves
    assert all(env.settlement.address not in (src, dst) for _t, src, dst, _a in moves)
    paid = env.settlement.contract.events.FeePaid().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["token"], e["args"]["recipient"], e["args"]["amount"]) for e in paid] == [(weth, recipient, fee)]


def test_should_settle_a_batch_with_interactions_and_a_matched_part(env: Env) -> None:
    held = _hold(env)
    scenario = mixed(env)  # a CoW pair, a V2-routed and a V3-routed sale of WETH
    receipt, before, after = _settle(env, scenario)
    for leg in scenario.legs:
        for token, flow in leg.flows.items():
            assert after[(leg.intent.owner, token)] - before[(leg.intent.owner, token)] == flow
    assert {t: after[(env.settlement.address, t)] for t in held} == held
    moves = _transfers(receipt)
    seller, buyer = scenario.legs[0].intent.owner, scenario.legs[1].intent.owner
    weth = env.addr("WETH")
    # the pair's WETH goes straight to its buyer; only the routed sales pass through the contract
    assert (weth, seller, buyer, 10 * E18) in moves
    into = sum(a for t, _s, d, a in moves if t == weth and d == env.settlement.address)
    assert into == 7 * E18
