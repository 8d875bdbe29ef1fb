"""The contract keeps nothing: a solver can take no token the settlement holds or touches
(listed, unlisted, empty token list, ether), can leave no allowance behind, and what a
batch leaves over goes to the fee recipient in the same transaction. Balances before and
after are in every assertion."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import to_checksum_address
from web3.logs import DISCARD

from contracts.artifacts import keel
from contracts.revert import SettlementReverted
from contracts.settlement import Batch, Interaction
from tests.integration.settlement.helpers import FAR, Env, assert_refused, calldata, v2_router
from tests.integration.settlement.scenarios import cow_pair, mixed

HELD_USDC = 5_000 * 10**6  # what someone sent the contract by mistake: nobody may take it


def _hold(env: Env, usdc: int = HELD_USDC) -> str:
    token = env.addr("USDC")
    env.fund(env.world.deployer.address, token, env.settlement.address, usdc)
    return token


def _router_theft(env: Env, thief: str, amount: int) -> Interaction:
    """The allowed V2 router, spending the settlement's standing USDC allowance, for the thief."""
    path = [env.addr("USDC"), env.addr("WETH")]
    return Interaction(v2_router(env).address, 0,
                       calldata(v2_router(env), "swapExactTokensForTokens", amount, 0, path, thief, FAR))


def _batch(env: Env, listed: str, interactions: list[Interaction]) -> Batch:
    """A batch whose token list is a CoW pair's (listed), empty, or the pair without USDC."""
    if listed == "listed":
        scenario = cow_pair(env)
        scenario.interactions.extend(interactions)
        return scenario.batch(env)
    if listed == "empty":
        return Batch((), (), (), tuple(interactions))
    weth = env.addr("WETH")
    return Batch((weth,), (1,), (), tuple(interactions))


@pytest.mark.parametrize("listed", ["listed", "unlisted", "empty"])
def test_rejects_a_direct_transfer_of_a_token_the_contract_holds(env: Env, listed: str) -> None:
    usdc = _hold(env)
    thief = env.world.users[5].address
    steal = Interaction(usdc, 0, calldata(env.erc20(usdc), "transfer", thief, HELD_USDC))
    batch = _batch(env, listed, [steal])
    before = (env.balance(env.settlement.address, usdc), env.balance(thief, usdc))
    reason = assert_refused(env, batch, "ForbiddenInteraction", extra_owners=[thief])
    assert reason.args["target"] == usdc
    assert (env.balance(env.settlement.address, usdc), env.balance(thief, usdc)) == before == (HELD_USDC, before[1])


@pytest.mark.parametrize("listed", ["listed", "unlisted", "empty"])
def test_rejects_a_router_swap_that_spends_a_token_the_contract_holds(env: Env, listed: str) -> None:
    usdc = _hold(env)
    thief = env.world.users[5].address
    batch = _batch(env, listed, [_router_theft(env, thief, HELD_USDC)])
    weth = env.addr("WETH")
    before = (env.balance(env.settlement.address, usdc), env.balance(thief, weth))
    reason = assert_refused(env, batch, "SettlementLostFunds", extra_owners=[thief])
    assert reason.args == {"token": usdc, "before": HELD_USDC, "afterwards": 0}
    assert (env.balance(env.settlement.address, usdc), env.balance(thief, weth)) == before


def test_accepts_the_same_batches_without_the_theft(env: Env) -> None:
    usdc = _hold(env)
    for listed in ("listed", "unlisted", "empty"):
        env.settlement.call(env.solver, _batch(env, listed, []))
    receipt = env.settlement.settle(env.solver, _batch(env, "listed", []))
    assert receipt["status"] == 1
    assert env.balance(env.settlement.address, usdc) == HELD_USDC


def test_rejects_an_interaction_that_spends_the_contracts_ether(env: Env) -> None:
    thief = env.world.users[5].address
    env.w3.provider.make_request("anvil_setBalance", [env.settlement.address, hex(10**18)])
    path = [env.addr("WETH"), env.addr("USDC")]
    router = v2_router(env)
    buy = Interaction(router.address, 10**18, calldata(router, "swapExactETHForTokens", 0, path, thief, FAR))
    usdc_before = env.balance(thief, env.addr("USDC"))
    reason = assert_refused(env, Batch((), (), (), (buy,)), "SettlementLostFunds", extra_owners=[thief])
    assert reason.args == {"token": "0x0000000000000000000000000000000000000000", "before": 10**18, "afterwards": 0}
    assert env.w3.eth.get_balance(env.settlement.address) == 10**18
    assert env.balance(thief, env.addr("USDC")) == usdc_before


def _allowance(env: Env, token: str, spender: str) -> int:
    return int(env.erc20(token).functions.allowance(env.settlement.address, spender).call())


def test_rejects_an_interaction_that_grants_an_allowance_and_the_removed_solver_pulls_nothing(env: Env) -> None:
    usdc = _hold(env)
    attacker = env.world.users[5].address
    approve = Interaction(usdc, 0, calldata(env.erc20(usdc), "approve", attacker, 2**256 - 1))
    reason = assert_refused(env, _batch(env, "listed", [approve]), "ForbiddenInteraction", extra_owners=[attacker])
    assert reason.args == {"index": 0, "target": usdc}
    # even a token the owner listed as a target by mistake cannot be made to approve
    env.settlement.set_interaction_target(env.world.deployer.address, usdc, True)
    reason = assert_refused(env, _batch(env, "listed", [approve]), "InteractionGrantsAllowance", extra_owners=[attacker])
    assert reason.args == {"index": 0, "selector": bytes.fromhex("095ea7b3")}
    assert _allowance(env, usdc, attacker) == 0
    # its twin: the same listed token, called with a selector that grants nothing, is accepted
    look = Interaction(usdc, 0, calldata(env.erc20(usdc), "balanceOf", attacker))
    env.settlement.call(env.solver, _batch(env, "listed", [look]))
    # the owner removes the solver: nothing it did lets anyone pull the contract's tokens
    allow = env.w3.eth.contract(address=env.world.deployment.contracts.allow_list, abi=keel("SolverAllowList").abi)
    env.w3.eth.wait_for_transaction_receipt(
        allow.functions.removeSolver(env.solver).transact({"from": env.world.deployer.address}))
    before = (env.balance(env.settlement.address, usdc), env.balance(attacker, usdc))
    tx = env.erc20(usdc).functions.transferFrom(env.settlement.address, attacker, 1).transact(
        {"from": attacker, "gas": 100_000})
    assert env.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    assert (env.balance(env.settlement.address, usdc), env.balance(attacker, usdc)) == before == (HELD_USDC, before[1])


def test_should_pay_what_a_batch_leaves_over_to_the_fee_recipient_and_keep_nothing(env: Env) -> None:
    scenario = mixed(env)  # the better DEX fill leaves USDC over
    recipient = env.world.users[7].address
    env.settlement.set_fee_recipient(env.world.deployer.address, recipient)
    tokens = [env.addr(s) for s in ("USDC", "WETH", "WBTC", "DAI")]
    held = {t: env.balance(env.settlement.address, t) for t in tokens}
    got = {t: env.balance(recipient, t) for t in tokens}
    receipt = env.settlement.settle(env.solver, scenario.batch(env))
    assert {t: env.balance(env.settlement.address, t) for t in tokens} == held
    paid = env.settlement.contract.events.FeePaid().process_receipt(receipt, errors=DISCARD)
    assert paid, "the mixed scenario leaves USDC over"
    for event in paid:
        token, amount = event["args"]["token"], event["args"]["amount"]
        assert event["args"]["recipient"] == recipient and amount > 0
        assert env.balance(recipient, token) - got[token] == amount


def _refused(fn: Any) -> str:
    with pytest.raises(SettlementReverted) as info:
        fn()
    return info.value.name


def test_rejects_interaction_configuration_by_anyone_but_the_owner_and_forbidden_targets(env: Env) -> None:
    owner, stranger, s = env.world.deployer.address, env.world.users[0].address, env.settlement
    router = v2_router(env).address
    assert _refused(lambda: s.set_interaction_target(stranger, stranger, True)) == "NotOwner"
    assert _refused(lambda: s.set_allowance(stranger, env.addr("DAI"), stranger, 1)) == "NotOwner"
    assert _refused(lambda: s.set_fee_recipient(stranger, stranger)) == "NotOwner"
    for forbidden in (s.relayer(), env.world.deployment.contracts.allow_list, s.address):
        assert _refused(lambda f=forbidden: s.set_interaction_target(owner, f, True)) == "TargetNotAllowable"
    assert _refused(lambda: s.set_allowance(owner, env.addr("DAI"), stranger, 1)) == "SpenderNotATarget"
    assert _refused(lambda: s.set_fee_recipient(owner, "0x" + "00" * 20)) == "ZeroAddress"
    # the acceptance twins
    s.set_interaction_target(owner, stranger, True)
    assert s.is_interaction_target(stranger) and s.is_interaction_target(router)
    s.set_allowance(owner, env.addr("DAI"), stranger, 7)
    assert _allowance(env, env.addr("DAI"), stranger) == 7
    s.set_allowance(owner, env.addr("DAI"), stranger, 0)
    assert _allowance(env, env.addr("DAI"), stranger) == 0
    s.set_fee_recipient(owner, stranger)
    assert s.fee_recipient() == stranger


def test_rejects_guarding_more_tokens_than_the_cap(env: Env) -> None:
    owner, s = env.world.deployer.address, env.settlement
    art = keel("WorldToken")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    router = v2_router(env).address
    room = 16 - len(s.guarded_tokens())
    for k in range(room + 1):
        tx = factory.constructor(f"T{k}", f"T{k}", 18, owner).transact({"from": owner})
        token = env.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        if k < room:
            s.set_allowance(owner, token, router, 1)  # accepted up to the cap
        else:
            assert _refused(lambda t=token: s.set_allowance(owner, t, router, 1)) == "TooManyGuardedTokens"
    assert len(s.guarded_tokens()) == 16


def test_rejects_listing_more_interaction_targets_than_the_cap(env: Env) -> None:
    owner, s = env.world.deployer.address, env.settlement
    listed = s.interaction_targets()
    room = 16 - len(listed)
    extra = [to_checksum_address(f"0x{0xbeef0000 + k:040x}") for k in range(room + 1)]
    for target in extra[:room]:
        s.set_interaction_target(owner, target, True)  # accepted up to the cap
    assert len(s.interaction_targets()) == 16
    assert _refused(lambda: s.set_interaction_target(owner, extra[room], True)) == "TooManyTargets"
    s.set_interaction_target(owner, extra[0], False)  # removing makes room again
    assert not s.is_interaction_target(extra[0]) and s.interaction_targets() == [*listed, *extra[1:room]]
    s.set_interaction_target(owner, extra[room], True)
    assert s.is_interaction_target(extra[room])
