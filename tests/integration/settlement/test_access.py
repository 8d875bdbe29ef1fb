"""Who may call what: solvers only, the owner's pause, the allow-list, the relayer, and no
re-entry into settle() from a token or an interaction."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.artifacts import keel
from contracts.interaction import Interaction
from contracts.revert import SettlementReverted
from contracts.settlement import Batch, make_batch
from tests.integration.settlement.helpers import (
    E18,
    Env,
    assert_refused,
    balances_intent,
    calldata,
    v2_router,
)
from tests.integration.settlement.scenarios import cow_pair, v2_rebalance


def _allow_list(env: Env) -> Any:
    return env.w3.eth.contract(address=env.world.deployment.contracts.allow_list, abi=keel("SolverAllowList").abi)


def _empty_settle_calldata(env: Env) -> bytes:
    return Batch((), ()).calldata()


def test_rejects_a_caller_that_is_not_an_allow_listed_solver(env: Env) -> None:
    stranger = env.world.users[3].address
    reason = assert_refused(env, cow_pair(env).batch(env), "NotSolver", sender=stranger)
    assert reason.args == {"caller": stranger}


def test_should_let_every_world_solver_settle(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    for solver in env.world.solvers:
        env.settlement.call(solver.address, batch)


def test_should_refuse_a_solver_once_the_owner_removes_it(env: Env) -> None:
    allow = _allow_list(env)
    owner = env.world.deployer.address
    env.w3.eth.wait_for_transaction_receipt(allow.functions.removeSolver(env.solver).transact({"from": owner}))
    assert_refused(env, cow_pair(env).batch(env), "NotSolver")
    env.w3.eth.wait_for_transaction_receipt(allow.functions.addSolver(env.solver).transact({"from": owner}))
    env.settlement.settle(env.solver, cow_pair(env).batch(env))


def test_rejects_allow_list_edits_by_anyone_but_its_owner(env: Env) -> None:
    allow = _allow_list(env)
    stranger = env.world.users[0].address
    tx = allow.functions.addSolver(stranger).transact({"from": stranger, "gas": 100_000})
    assert env.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    assert not allow.functions.isSolver(stranger).call()


def test_should_stop_settle_while_paused_and_resume_once_lifted(env: Env) -> None:
    owner = env.world.deployer.address
    env.settlement.pause(owner)
    assert env.settlement.paused()
    assert_refused(env, cow_pair(env).batch(env), "Paused")
    env.settlement.unpause(owner)
    assert not env.settlement.paused()
    receipt = env.settlement.settle(env.solver, cow_pair(env).batch(env))
    assert len(env.settlement.executed(receipt)) == 2


def test_rejects_pause_and_unpause_by_anyone_but_the_owner(env: Env) -> None:
    for who in (env.solver, env.world.users[0].address):
        with pytest.raises(SettlementReverted) as info:
            env.settlement.pause(who)
        assert info.value.name == "NotOwner" and info.value.revert.args == {"caller": who}
    env.settlement.pause(env.world.deployer.address)
    with pytest.raises(SettlementReverted) as info:
        env.settlement.unpause(env.solver)
    assert info.value.name == "NotOwner"
    assert env.settlement.paused()


def test_rejects_an_interaction_that_targets_the_relayer(env: Env) -> None:
    pair = cow_pair(env)
    relayer = env.settlement.relayer()
    victim = env.world.users[6].address
    steal = calldata(env.w3.eth.contract(address=relayer, abi=keel("Relayer").abi), "transferAll",
                     [(env.addr("USDC"), victim, env.solver, 10**6)])
    pair.interactions.append(Interaction(relayer, 0, steal))
    reason = assert_refused(env, pair.batch(env), "ForbiddenInteraction", extra_owners=[victim])
    assert reason.args == {"index": 0, "target": relayer}


def test_rejects_relayer_pulls_from_anyone_but_the_settlement(env: Env) -> None:
    relayer = env.w3.eth.contract(address=env.settlement.relayer(), abi=keel("Relayer").abi)
    victim = env.world.users[6].address
    before = env.balance(victim, env.addr("USDC"))
    tx = relayer.functions.transferAll([(env.addr("USDC"), victim, env.solver, 10**6)]).transact(
        {"from": env.solver, "gas": 200_000})
    assert env.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    assert env.balance(victim, env.addr("USDC")) == before


def test_rejects_a_failing_interaction_naming_it_and_its_reason(env: Env) -> None:
    scenario = v2_rebalance(env)
    swap = scenario.interactions[0]
    greedy = bytearray(swap.call_data)
    greedy[4 + 32 : 4 + 64] = (2**200).to_bytes(32, "big")  # amountOutMin no pool can meet
    scenario.interactions[0] = Interaction(swap.target, 0, bytes(greedy))
    reason = assert_refused(env, scenario.batch(env), "InteractionFailed")
    assert reason.args["index"] == 0
    assert reason.inner is not None and reason.inner.name == "Error"
    assert "INSUFFICIENT_OUTPUT_AMOUNT" in reason.inner.args["message"]


def test_should_accept_the_empty_batch_the_reentrancy_attacks_replay(env: Env) -> None:
    env.settlement.call(env.solver, Batch((), ()))


def test_rejects_a_reentrant_call_from_an_interaction(env: Env) -> None:
    attacker = env.deploy("ReentrantInteraction")
    # make the attacker a solver, so only the reentrancy guard can stop it
    allow = _allow_list(env)
    env.w3.eth.wait_for_transaction_receipt(
        allow.functions.addSolver(attacker.address).transact({"from": env.world.deployer.address}))
    env.settlement.set_interaction_target(env.world.deployer.address, attacker.address, True)  # so only the guard stops it
    pair = cow_pair(env)
    attack = calldata(attacker, "attack", env.settlement.address, _empty_settle_calldata(env))
    pair.interactions.append(Interaction(attacker.address, 0, attack))
    reason = assert_refused(env, pair.batch(env), "InteractionFailed")
    assert reason.inner is not None and reason.inner.name == "ReentrantCall"


def test_rejects_a_reentrant_call_from_a_malicious_token(env: Env) -> None:
    token = env.deploy("MaliciousToken")
    user = env.world.users[0].address
    for tx in (token.functions.mint(user, 5 * E18).transact({"from": user}),
               token.functions.approve(env.settlement.relayer(), 2**256 - 1).transact({"from": user})):
        env.w3.eth.wait_for_transaction_receipt(tx)
    allow = _allow_list(env)
    env.w3.eth.wait_for_transaction_receipt(
        allow.functions.addSolver(token.address).transact({"from": env.world.deployer.address}))
    usdc = env.addr("USDC")
    prices = {usdc: 10**24, token.address: 10**12}
    held = env.balance(user, usdc)
    intent = balances_intent(user, [usdc, token.address], prices, [0, 0], [2**256 - 1, 2**256 - 1], nonce=9,
                             max_fee_bps=10_000)
    batch = make_batch(prices, [env.row(intent, env.world.users[0].private_key, {token.address: -E18})])
    env.settlement.call(env.solver, batch)  # the same batch with the hook unarmed settles
    env.w3.eth.wait_for_transaction_receipt(
        token.functions.setHook(env.settlement.address, _empty_settle_calldata(env)).transact({"from": user}))
    assert_refused(env, batch, "ReentrantCall")
    assert token.functions.balanceOf(user).call() == 5 * E18
    assert env.balance(user, usdc) == held


def _false_token_pair(env: Env) -> tuple[Any, Batch, str]:
    """users 0 and 1 trade 1 FalseReturnToken for 1 USDC with each other (no DEX)."""
    token = env.deploy("FalseReturnToken")
    seller, buyer = env.world.users[0], env.world.users[1]
    for tx in (token.functions.mint(seller.address, 5 * E18).transact({"from": seller.address}),
               token.functions.approve(env.settlement.relayer(), 2**256 - 1).transact({"from": seller.address})):
        env.w3.eth.wait_for_transaction_receipt(tx)
    usdc = env.addr("USDC")
    prices = {usdc: 10**24, token.address: 10**12}  # 1e18 token units are worth 1e6 USDC units
    unbounded = [2**256 - 1, 2**256 - 1]
    sell = balances_intent(seller.address, [usdc, token.address], prices, [0, 0], unbounded, nonce=31)
    buy = balances_intent(buyer.address, [usdc, token.address], prices, [0, 0], unbounded, nonce=31)
    batch = make_batch(prices, [env.row(sell, seller.private_key, {token.address: -E18, usdc: 10**6}),
                                env.row(buy, buyer.private_key, {usdc: -(10**6), token.address: E18})])
    return token, batch, buyer.address


def test_should_pay_a_token_whose_transfer_returns_true(env: Env) -> None:
    token, batch, buyer = _false_token_pair(env)
    env.settlement.settle(env.solver, batch)
    assert token.functions.balanceOf(buyer).call() == E18


def test_rejects_a_payment_the_token_reports_as_failed(env: Env) -> None:
    token, batch, buyer = _false_token_pair(env)
    seller = batch.executions[0].owner
    env.w3.eth.wait_for_transaction_receipt(token.functions.setFailing(True).transact({"from": buyer}))
    # the pair's token moves seller → buyer through the relayer: its false is refused there
    reason = assert_refused(env, batch, "TransferFailed")
    assert reason.args == {"token": token.address, "from": seller, "to": buyer, "amount": E18}
    assert token.functions.balanceOf(buyer).call() == 0


def test_rejects_a_payout_from_the_settlement_the_token_reports_as_failed(env: Env) -> None:
    token, pair, buyer = _false_token_pair(env)
    env.w3.eth.wait_for_transaction_receipt(token.functions.mint(env.settlement.address, 5 * E18).transact(
        {"from": buyer}))
    # the buyer alone, in a batch with an interaction: its token is a residual buy the settlement pays
    router = v2_router(env)
    look = Interaction(router.address, 0, calldata(router, "factory"))
    batch = Batch(pair.tokens, pair.clearing_prices, pair.executions[1:], (look,))
    env.w3.eth.wait_for_transaction_receipt(token.functions.setFailing(True).transact({"from": buyer}))
    reason = assert_refused(env, batch, "TransferFailed")
    assert reason.args == {"token": token.address, "from": env.settlement.address, "to": buyer, "amount": E18}
    assert token.functions.balanceOf(buyer).call() == 0
    # its twin: the token working, the settlement pays the buyer from what it holds... and the
    # keeps-nothing check refuses that, since nothing in the batch sourced it
    env.w3.eth.wait_for_transaction_receipt(token.functions.setFailing(False).transact({"from": buyer}))
    with pytest.raises(SettlementReverted) as info:
        env.settlement.call(env.solver, batch)
    assert info.value.name == "SettlementLostFunds"
