"""Netting (issue 13): matched volume moves user to user, a batch without interactions never
touches the contract's own balances, its fee goes from the sellers straight to the fee
recipient, and a sale can go straight into a listed pool that pays the user (sinks), never
to anyone else and never topped up from the contract's holdings. Balances before and after,
and the receipt's Transfer logs, are in the assertions."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD

from contracts.artifacts import npm
from contracts.interaction import Interaction
from contracts.settlement import Batch, make_batch
from tests.integration.settlement.helpers import (
    E18,
    UNBOUNDED,
    Env,
    assert_refused,
    balances_intent,
    calldata,
    cost,
    owners_of,
    proceeds,
)
from tests.integration.settlement.scenarios import (
    Leg,
    Scenario,
    cow_pair,
    mixed,
    rebalance_leg,
    v2_quote,
)

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


# ---- sinks: a sale pulled straight into a listed pool that pays the user -------------------

def _pair(env: Env) -> Any:
    """The USDC/WETH V2 pair, listed by the owner as an interaction target."""
    address = env.world.deployment.v2_pair("USDC", "WETH")
    env.settlement.set_interaction_target(env.world.deployer.address, address, True)
    return env.w3.eth.contract(address=address, abi=npm("UniswapV2Pair").abi)


def _swap_to(env: Env, pair: Any, out: int, to: str) -> Interaction:
    """`pair.swap` paying `out` USDC to `to` for the WETH the pair was sent."""
    amounts = (out, 0) if pair.functions.token0().call() == env.addr("USDC") else (0, out)
    return Interaction(pair.address, 0, calldata(pair, "swap", *amounts, to, b""))


def _sales(env: Env, user: int, lots: int, promised: int) -> list[Leg]:
    """`lots` executions of users[user], each selling 1 WETH for `promised` / lots USDC, with
    balance bounds loose enough for all of them together (nonces 1..lots)."""
    acct = env.world.users[user]
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    prices = {usdc: env.ref_prices()[usdc], weth: promised * env.ref_prices()[usdc] // (lots * E18)}
    legs = []
    for nonce in range(1, lots + 1):
        got = proceeds(E18, prices[weth], prices[usdc])
        intent = balances_intent(acct.address, [usdc, weth], prices, [0, 0], [UNBOUNDED, UNBOUNDED], nonce=nonce)
        legs.append(Leg(intent, acct.private_key, {weth: -E18, usdc: got}))
    return legs


def test_should_pull_a_sale_straight_into_a_listed_pool_that_pays_the_user(env: Env) -> None:
    held = _hold(env)
    pair = _pair(env)
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    out = v2_quote(env, 2 * E18, [weth, usdc])
    legs = _sales(env, 4, 2, out)  # one owner, two executions: the pool's payment counts once
    user = legs[0].intent.owner
    scenario = Scenario({usdc: env.ref_prices()[usdc], weth: out * env.ref_prices()[usdc] // (2 * E18)}, legs,
                        [_swap_to(env, pair, out, user)])
    batch = make_batch(scenario.prices, [leg.row(env) for leg in legs], scenario.interactions, sinks={weth: pair.address})
    before = env.snapshot([user, env.settlement.address], [usdc, weth])
    receipt = env.settlement.settle(env.solver, batch)
    after = env.snapshot([user, env.settlement.address], [usdc, weth])
    promised = sum(leg.flows[usdc] for leg in legs)
    assert after[(user, weth)] - before[(user, weth)] == -2 * E18
    assert after[(user, usdc)] - before[(user, usdc)] == out >= promised  # the pool paid it all, rounding included
    assert {t: after[(env.settlement.address, t)] for t in held} == held
    moves = _transfers(receipt)
    assert sorted(moves) == sorted([(weth, user, pair.address, E18), (weth, user, pair.address, E18),
                                    (usdc, pair.address, user, out)])


def test_rejects_a_pool_that_pays_the_user_less_than_due_even_with_the_contracts_holdings(env: Env) -> None:
    _hold(env)
    pair = _pair(env)
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    out = v2_quote(env, 2 * E18, [weth, usdc])
    short = 1_000 * 10**6  # the flows promise this much more than the pool pays
    legs = _sales(env, 4, 2, out + short)
    user = legs[0].intent.owner
    prices = {usdc: env.ref_prices()[usdc], weth: (out + short) * env.ref_prices()[usdc] // (2 * E18)}
    batch = make_batch(prices, [leg.row(env) for leg in legs], [_swap_to(env, pair, out, user)],
                       sinks={weth: pair.address})
    # the settlement would have to pay the difference from what it holds: refused
    reason = assert_refused(env, batch, "SettlementLostFunds", extra_owners=[pair.address])
    assert reason.args["token"] == usdc and reason.args["before"] - reason.args["afterwards"] >= short - 2


def test_rejects_a_sink_that_is_not_a_listed_target_and_sinks_without_interactions(env: Env) -> None:
    pair = _pair(env)
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    thief = env.world.users[5].address
    out = v2_quote(env, E18, [weth, usdc])
    legs = _sales(env, 4, 1, out)
    prices = {usdc: env.ref_prices()[usdc], weth: out * env.ref_prices()[usdc] // E18}
    rows = [leg.row(env) for leg in legs]
    swap = [_swap_to(env, pair, out, legs[0].intent.owner)]
    reason = assert_refused(env, make_batch(prices, rows, swap, sinks={weth: thief}), "SinkNotATarget",
                            extra_owners=[thief])
    assert reason.args == {"token": 1, "sink": thief}
    wrong = make_batch(prices, rows, swap, sinks={weth: pair.address})
    one = Batch(wrong.tokens, wrong.clearing_prices, wrong.executions, wrong.interactions, sinks=wrong.sinks[:1])
    assert assert_refused(env, one, "SinksLengthMismatch").args == {"expected": 2, "actual": 1}
    direct = Batch(wrong.tokens, wrong.clearing_prices, wrong.executions, (), sinks=wrong.sinks)
    assert assert_refused(env, direct, "SinksLengthMismatch").args == {"expected": 0, "actual": 2}
    # the twin: the pair as WETH's sink settles
    assert env.settlement.settle(env.solver, wrong)["status"] == 1
