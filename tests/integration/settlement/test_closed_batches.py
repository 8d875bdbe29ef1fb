"""Closed batches (issue 13, the lone trade's gas): a routed batch whose every interaction is a
`swap` on an owner-proven pool target (its factory's CREATE2 address), paying someone other
than the contract, with no callback and no ether, and whose every surplus sell goes to a sink,
cannot move the contract's holdings, so the contract neither reads nor re-checks them and
pays nothing itself. Every way of reaching the holdings makes the batch not closed (checked by
tracing which balances the settlement reads) or refuses it; balances before and after are in
the assertions. Also the allow-list's mirror of its solvers into the settlement."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import to_checksum_address

from contracts import deploy, revert
from contracts.artifacts import keel, npm
from contracts.interaction import Interaction
from contracts.revert import SettlementReverted
from contracts.settlement import Batch, make_batch
from tests.integration.settlement.helpers import (
    E18,
    FAR,
    UNBOUNDED,
    Env,
    assert_refused,
    balances_intent,
    calldata,
    proceeds,
    v2_router,
)
from tests.integration.settlement.scenarios import Leg, v2_quote

HELD = {"USDC": 5_000 * 10**6, "WETH": 3 * E18, "DAI": 7_000 * E18}  # sent to the contract by mistake
BALANCE_OF = "0x70a08231"


def _hold(env: Env) -> dict[str, int]:
    for symbol, amount in HELD.items():
        env.fund(env.world.deployer.address, env.addr(symbol), env.settlement.address, amount)
    return {env.addr(s): env.balance(env.settlement.address, env.addr(s)) for s in HELD}


def _holdings(env: Env) -> dict[str, int]:
    return {env.addr(s): env.balance(env.settlement.address, env.addr(s)) for s in HELD}


def _pool(env: Env) -> Any:
    """The USDC/WETH V2 pair, listed as a pool target (proven by the factory's CREATE2 address)."""
    env.settlement.set_pool_target(env.world.deployer.address, env.world.deployment.uniswap.v2_factory,
                                   deploy.v2_pair_init_code_hash(), env.addr("USDC"), env.addr("WETH"), True)
    address = env.world.deployment.v2_pair("USDC", "WETH")
    assert env.settlement.is_pool_target(address)
    return env.w3.eth.contract(address=address, abi=npm("UniswapV2Pair").abi)


def _swap(env: Env, pair: Any, out: int, to: str, data: bytes = b"") -> Interaction:
    amounts = (out, 0) if pair.functions.token0().call() == env.addr("USDC") else (0, out)
    return Interaction(pair.address, 0, calldata(pair, "swap", *amounts, to, data))


def _lone_sale(env: Env, pair: Any, promised: int | None = None, user: int = 4,
               extra: tuple[Interaction, ...] = (), to: str | None = None, nonce: int = 1,
               out: int | None = None) -> tuple[Batch, str, int]:
    """One user sells 1 WETH into `pair` (WETH's sink) and the pair pays `to` (the user) `out`
    (default: what the pair pays for 1 WETH now)."""
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    out = v2_quote(env, E18, [weth, usdc]) if out is None else out
    promised = out if promised is None else promised
    acct = env.world.users[user]
    prices = {usdc: env.ref_prices()[usdc], weth: promised * env.ref_prices()[usdc] // E18}
    intent = balances_intent(acct.address, [usdc, weth], prices, [0, 0], [UNBOUNDED, UNBOUNDED], nonce=nonce)
    leg = Leg(intent, acct.private_key, {weth: -E18, usdc: proceeds(E18, prices[weth], prices[usdc])})
    swap = _swap(env, pair, out, to or acct.address)
    batch = make_batch(prices, [leg.row(env)], [swap, *extra], sinks={weth: pair.address})
    return batch, acct.address, out


def _own_reads(env: Env, batch: Batch, reverts: bool = False) -> set[str]:
    """The tokens whose `balanceOf(settlement)` the settlement calls for `batch` (a traced
    eth_call; up to the revert when it `reverts`)."""
    call = {"from": env.solver, "to": env.settlement.address, "data": "0x" + batch.calldata().hex()}
    trace = env.w3.provider.make_request("debug_traceCall", [call, "latest", {"tracer": "callTracer"}])["result"]
    assert ("error" in trace) == reverts, trace.get("error")
    me = env.settlement.address.lower()[2:]
    return {to_checksum_address(frame["to"]) for frame in trace.get("calls", [])
            if frame.get("input", "").startswith(BALANCE_OF) and frame["input"][-40:].lower() == me}


def _revert_of(env: Env, fn: Any, sender: str) -> Any:
    """The decoded revert of calling `fn` from `sender` (an eth_call that must fail)."""
    tx = {"from": sender, "to": fn.address, "data": fn._encode_transaction_data()}
    answer = env.w3.provider.make_request("eth_call", [tx, "latest"])
    assert "error" in answer, answer
    data = answer["error"].get("data")
    return revert.decode(data.get("data") if isinstance(data, dict) else data)


# ---- the closed lone trade ----------------------------------------------------------------

def test_should_settle_a_closed_lone_trade_without_reading_or_moving_the_contracts_holdings(env: Env) -> None:
    held = _hold(env)
    pair = _pool(env)
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    batch, user, out = _lone_sale(env, pair)
    assert _own_reads(env, batch) == set()
    before = env.snapshot([user], [usdc, weth])
    receipt = env.settlement.settle(env.solver, batch)
    after = env.snapshot([user], [usdc, weth])
    assert after[(user, weth)] - before[(user, weth)] == -E18
    assert after[(user, usdc)] - before[(user, usdc)] == out
    assert _holdings(env) == held
    assert [e["owner"] for e in env.settlement.executed(receipt)] == [user]


def _v2_out(pair: Any, token_in: str, amount_in: int, sold_before: int = 0, paid_before: int = 0) -> int:
    """What the pair pays for `amount_in` of `token_in`, after a first swap into it that added
    `sold_before` and took `paid_before` (Uniswap V2's formula, fee 0.3%)."""
    r0, r1, _ = pair.functions.getReserves().call()
    r_in, r_out = (r0, r1) if pair.functions.token0().call() == token_in else (r1, r0)
    r_in, r_out = r_in + sold_before, r_out - paid_before
    return amount_in * 997 * r_out // (r_in * 1000 + amount_in * 997)


def test_a_second_settle_in_one_transaction_checks_its_own_targets(env: Env) -> None:
    """A closed batch keeps each (owner, token)'s target in transient storage, which lasts the
    whole transaction; `checkPaid` clears it. So a solver contract that settles twice in one
    transaction cannot let the first batch's surplus to a user stand in for what the second batch
    owes it: paid `extra` more than due by the first, short by `extra` in the second, it is
    refused (with a stale target it would pass); both paid in full, the same pair of calls settles."""
    pair = _pool(env)
    twice = env.deploy("SettleTwice")
    allow = _allow_list(env)
    env.w3.eth.wait_for_transaction_receipt(
        allow.functions.addSolver(twice.address).transact({"from": env.world.deployer.address}))
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    extra = 100 * 10**6
    out1 = _v2_out(pair, weth, E18)
    out2 = _v2_out(pair, weth, E18, sold_before=E18, paid_before=out1)
    first, user, _ = _lone_sale(env, pair, promised=out1 - extra, nonce=1, out=out1)
    short, _, _ = _lone_sale(env, pair, promised=out2 + extra, nonce=2, out=out2)
    full, _, _ = _lone_sale(env, pair, nonce=2, out=out2)

    both = twice.functions.settleTwice(env.settlement.address, first.calldata(), short.calldata())
    reason = _revert_of(env, both, env.solver)
    assert reason.name == "ResidualNotPaid"
    assert reason.args["token"] == usdc and reason.args["owner"] == user
    assert extra - 2 <= reason.args["missing"] <= extra

    before = env.snapshot([user], [usdc, weth])
    tx = twice.functions.settleTwice(env.settlement.address, first.calldata(), full.calldata())
    assert env.w3.eth.wait_for_transaction_receipt(tx.transact({"from": env.solver}))["status"] == 1
    after = env.snapshot([user], [usdc, weth])
    assert after[(user, weth)] - before[(user, weth)] == -2 * E18
    assert after[(user, usdc)] - before[(user, usdc)] == out1 + out2


def test_reads_the_holdings_when_the_same_pair_is_listed_as_a_router(env: Env) -> None:
    """The twin: the pair listed by `setInteractionTarget` (a router: the owner vouches for no
    code) makes the same batch not closed: every batch token's balance is read before and after."""
    held = _hold(env)
    pair = _pool(env)
    env.settlement.set_interaction_target(env.world.deployer.address, pair.address, True)
    assert not env.settlement.is_pool_target(pair.address)
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    batch, _user, _out = _lone_sale(env, pair)
    assert {usdc, weth} <= _own_reads(env, batch)
    assert env.settlement.settle(env.solver, batch)["status"] == 1
    assert _holdings(env) == held


def test_rejects_a_closed_batch_whose_pool_pays_less_than_due_and_pays_nothing_itself(env: Env) -> None:
    held = _hold(env)
    pair = _pool(env)
    usdc = env.addr("USDC")
    out = v2_quote(env, E18, [env.addr("WETH"), usdc])
    short = 1_000 * 10**6  # the flows promise this much more than the pool pays
    batch, user, _out = _lone_sale(env, pair, promised=out + short)
    assert _own_reads(env, _lone_sale(env, pair)[0]) == set()  # the paying twin is closed
    reason = assert_refused(env, batch, "ResidualNotPaid", extra_owners=[pair.address])
    assert reason.args["token"] == usdc and reason.args["owner"] == user
    assert short - 2 <= reason.args["missing"] <= short
    assert _holdings(env) == held


# ---- what makes a batch not closed --------------------------------------------------------

def test_a_pool_swap_that_pays_the_contract_is_not_closed_and_the_contract_keeps_nothing(env: Env) -> None:
    held = _hold(env)
    pair = _pool(env)
    recipient = env.world.users[7].address
    env.settlement.set_fee_recipient(env.world.deployer.address, recipient)
    usdc = env.addr("USDC")
    batch, user, out = _lone_sale(env, pair, to=env.settlement.address)
    assert {usdc, env.addr("WETH")} <= _own_reads(env, batch)
    before = env.snapshot([user, recipient], [usdc])
    env.settlement.settle(env.solver, batch)
    after = env.snapshot([user, recipient], [usdc])
    paid = after[(user, usdc)] - before[(user, usdc)]
    assert paid > 0 and paid + after[(recipient, usdc)] - before[(recipient, usdc)] == out
    assert _holdings(env) == held


@pytest.mark.parametrize("how", ["callback data", "ether"])
def test_a_pool_swap_with_a_callback_or_ether_is_not_closed(env: Env, how: str) -> None:
    _hold(env)
    pair = _pool(env)
    batch, user, out = _lone_sale(env, pair)
    swap = batch.interactions[0]
    if how == "callback data":
        # the same swap with one byte of data: the pair would call `to` back (an EOA here: it reverts)
        odd = _swap(env, pair, out, user, b"\x01")
    else:
        odd = Interaction(swap.target, 1, swap.call_data)
    changed = Batch(batch.tokens, batch.clearing_prices, batch.executions, (odd,), sinks=batch.sinks)
    # not closed: the settlement reads its own balances first; the call then fails in the pair
    with pytest.raises(SettlementReverted) as info:
        env.settlement.call(env.solver, changed)
    assert info.value.name == "InteractionFailed"
    assert {env.addr("USDC"), env.addr("WETH")} <= _own_reads(env, changed, reverts=True)



def _reshaped(batch: Batch, call_data: bytes) -> Batch:
    swap = batch.interactions[0]
    return Batch(batch.tokens, batch.clearing_prices, batch.executions,
                 (Interaction(swap.target, 0, call_data),), sinks=batch.sinks)


def test_a_swap_whose_to_word_has_dirty_high_bits_is_not_closed(env: Env) -> None:
    """The pair masks `to` to its low 160 bits, so dirty high bits could hide the settlement
    as the payee of a "closed" batch: such a word makes the batch not closed (a review's mutant)."""
    _hold(env)
    pair = _pool(env)
    batch, _user, _out = _lone_sale(env, pair)
    data = bytearray(batch.interactions[0].call_data)
    data[4 + 2 * 32] = 0x01  # the `to` word's top byte
    changed = _reshaped(batch, bytes(data))
    try:
        env.settlement.call(env.solver, changed)
        reverts = False
    except SettlementReverted:
        reverts = True
    assert {env.addr("USDC"), env.addr("WETH")} <= _own_reads(env, changed, reverts=reverts)


def test_a_swap_with_trailing_bytes_or_another_data_offset_is_not_closed(env: Env) -> None:
    """Only the exact 164-byte encoding (data at offset 0x80, length 0) is closed: a `data`
    offset pointing at another word could hand the pair non-empty data (a callback), so any
    other shape takes every keeps-nothing check — and still settles, holdings unchanged."""
    held = _hold(env)
    pair = _pool(env)
    batch, _user, _out = _lone_sale(env, pair)
    plain = batch.interactions[0].call_data
    trailing = _reshaped(batch, plain + bytes(32))
    moved = bytearray(plain)
    moved[4 + 3 * 32:4 + 4 * 32] = (0x20).to_bytes(32, "big")  # data's length read from amount1Out's word
    offset = _reshaped(batch, bytes(moved))
    assert {env.addr("USDC"), env.addr("WETH")} <= _own_reads(env, trailing)
    assert {env.addr("USDC"), env.addr("WETH")} <= _own_reads(env, offset)
    assert env.settlement.settle(env.solver, offset)["status"] == 1
    assert _holdings(env) == held


def test_a_closed_batch_counts_one_owners_two_buys_once_each(env: Env) -> None:
    """One owner, two executions each selling 1 WETH for USDC: the pool must pay both dues; a
    pool that pays one is refused (`ResidualNotPaid`, the missing due), the one that pays both
    settles — the running target per (owner, token) never counts a payment twice."""
    held = _hold(env)
    pair = _pool(env)
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    out = v2_quote(env, 2 * E18, [weth, usdc])
    prices = {usdc: env.ref_prices()[usdc], weth: (out // 2) * env.ref_prices()[usdc] // E18}
    acct = env.world.users[4]
    due = proceeds(E18, prices[weth], prices[usdc])
    legs = [Leg(balances_intent(acct.address, [usdc, weth], prices, [0, 0], [UNBOUNDED, UNBOUNDED], nonce=nonce),
                acct.private_key, {weth: -E18, usdc: due}) for nonce in (1, 2)]
    both = make_batch(prices, [leg.row(env) for leg in legs], [_swap(env, pair, 2 * due, acct.address)],
                      sinks={weth: pair.address})
    one = make_batch(prices, [leg.row(env) for leg in legs], [_swap(env, pair, due, acct.address)],
                     sinks={weth: pair.address})
    assert _own_reads(env, both) == set()
    reason = assert_refused(env, one, "ResidualNotPaid", extra_owners=[pair.address])
    assert reason.args["owner"] == acct.address and due - 2 <= reason.args["missing"] <= due
    before = env.balance(acct.address, usdc)
    assert env.settlement.settle(env.solver, both)["status"] == 1
    assert env.balance(acct.address, usdc) - before == 2 * due
    assert _holdings(env) == held


def test_a_closed_swap_paying_the_relayer_is_refused(env: Env) -> None:
    held = _hold(env)
    pair = _pool(env)
    batch, _user, _out = _lone_sale(env, pair, to=env.settlement.relayer())
    assert_refused(env, batch, "ResidualNotPaid", extra_owners=[pair.address, env.settlement.relayer()])
    assert _holdings(env) == held

def test_a_surplus_without_a_sink_is_not_closed(env: Env) -> None:
    """A second user sells DAI for USDC in the same batch: DAI's surplus has no sink (it would
    come into the contract), so the batch is not closed — the contract would pay that user's
    USDC from what it holds, and the keeps-nothing check refuses it (closed, the refusal would
    have been `ResidualNotPaid`)."""
    held = _hold(env)
    pair = _pool(env)
    usdc, weth, dai = env.addr("USDC"), env.addr("WETH"), env.addr("DAI")
    lone, user, out = _lone_sale(env, pair)
    ref = env.ref_prices()
    prices = {usdc: ref[usdc], weth: out * ref[usdc] // E18, dai: ref[dai]}
    seller = env.world.users[6]
    sold = 1_000 * E18
    intent = balances_intent(seller.address, [usdc, dai], prices, [0, 0], [UNBOUNDED, UNBOUNDED], nonce=1)
    dai_leg = Leg(intent, seller.private_key, {dai: -sold, usdc: proceeds(sold, prices[dai], prices[usdc])})
    acct = env.world.users[4]
    weth_intent = balances_intent(acct.address, [usdc, weth], prices, [0, 0], [UNBOUNDED, UNBOUNDED], nonce=1)
    weth_leg = Leg(weth_intent, acct.private_key, {weth: -E18, usdc: proceeds(E18, prices[weth], prices[usdc])})
    batch = make_batch(prices, [weth_leg.row(env), dai_leg.row(env)], list(lone.interactions),
                       sinks={weth: pair.address})
    assert {usdc, weth, dai} <= _own_reads(env, batch, reverts=True)
    reason = assert_refused(env, batch, "SettlementLostFunds", extra_owners=[pair.address])
    assert reason.args["token"] == usdc and reason.args["before"] == held[usdc]
    assert _holdings(env) == held and user == acct.address


@pytest.mark.parametrize("symbol", ["USDC", "DAI"])
def test_rejects_a_theft_riding_on_a_pool_swap(env: Env, symbol: str) -> None:
    """A pool swap plus the allowed router spending the contract's standing allowance of a held
    token, listed in the batch (USDC) or not (DAI, guarded): not closed, so refused."""
    held = _hold(env)
    pair = _pool(env)
    thief = env.world.users[5].address
    token, weth = env.addr(symbol), env.addr("WETH")
    amount = HELD[symbol]
    theft = Interaction(v2_router(env).address, 0, calldata(v2_router(env), "swapExactTokensForTokens", amount, 0,
                                                              [token, weth], thief, FAR))
    batch, _user, _out = _lone_sale(env, pair, extra=(theft,))
    before = env.balance(thief, weth)
    reason = assert_refused(env, batch, "SettlementLostFunds", extra_owners=[thief])
    assert reason.args == {"token": token, "before": amount, "afterwards": 0}
    assert _holdings(env) == held and env.balance(thief, weth) == before


def test_rejects_a_direct_transfer_riding_on_a_pool_swap_even_from_a_token_listed_as_a_router(env: Env) -> None:
    held = _hold(env)
    pair = _pool(env)
    usdc = env.addr("USDC")
    thief = env.world.users[5].address
    env.settlement.set_interaction_target(env.world.deployer.address, usdc, True)  # the owner's mistake
    steal = Interaction(usdc, 0, calldata(env.erc20(usdc), "transfer", thief, HELD["USDC"]))
    batch, _user, _out = _lone_sale(env, pair, extra=(steal,))
    before = env.balance(thief, usdc)
    reason = assert_refused(env, batch, "SettlementLostFunds", extra_owners=[thief])
    assert reason.args == {"token": usdc, "before": HELD["USDC"], "afterwards": 0}
    assert _holdings(env) == held and env.balance(thief, usdc) == before


# ---- listing pools ------------------------------------------------------------------------

def _refused(fn: Any) -> Any:
    with pytest.raises(SettlementReverted) as info:
        fn()
    return info.value


def test_lists_only_a_deployed_pair_at_the_factorys_create2_address_and_never_gives_it_an_allowance(env: Env) -> None:
    owner, s = env.world.deployer.address, env.settlement
    factory = env.world.deployment.uniswap.v2_factory
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    wrong = _refused(lambda: s.set_pool_target(owner, factory, b"\x11" * 32, usdc, weth, True))
    assert wrong.name == "PoolNotDeployed"
    assert not s.is_pool_target(wrong.revert.args["pool"]) and not s.is_interaction_target(wrong.revert.args["pool"])
    assert _refused(lambda: s.set_pool_target(env.world.users[0].address, factory, deploy.v2_pair_init_code_hash(),
                                              usdc, weth, True)).name == "NotOwner"
    # the twin: the right init code hash, the tokens in either order, lists the real pair
    s.set_pool_target(owner, factory, deploy.v2_pair_init_code_hash(), weth, usdc, True)
    pair = env.world.deployment.v2_pair("USDC", "WETH")
    assert s.is_pool_target(pair) and s.is_interaction_target(pair)
    assert not s.is_pool_target(usdc) and not s.is_pool_target(v2_router(env).address)
    assert _refused(lambda: s.set_allowance(owner, usdc, pair, 1)).name == "SpenderNotATarget"
    s.set_pool_target(owner, factory, deploy.v2_pair_init_code_hash(), usdc, weth, False)
    assert not s.is_interaction_target(pair)
    # the router keeps its kind through the edits of the pool around it
    assert s.is_interaction_target(v2_router(env).address) and not s.is_pool_target(v2_router(env).address)


# ---- the allow-list's mirror --------------------------------------------------------------

def _allow_list(env: Env) -> Any:
    return env.w3.eth.contract(address=env.world.deployment.contracts.allow_list, abi=keel("SolverAllowList").abi)


def _status(env: Env, fn: Any, sender: str) -> int:
    tx = fn.transact({"from": sender, "gas": 3_000_000})
    return int(env.w3.eth.wait_for_transaction_receipt(tx)["status"])


def test_only_the_allow_list_sets_the_settlements_solvers(env: Env) -> None:
    s = env.settlement.contract.functions
    stranger = env.world.users[0].address
    mirrored = sorted(s.solvers().call())
    assert mirrored == sorted(_allow_list(env).functions.solvers().call())
    assert env.solver in mirrored
    refusal = _revert_of(env, s.setSolvers([stranger]), stranger)
    assert refusal.name == "NotAllowList" and refusal.args == {"caller": stranger}
    assert _status(env, s.setSolvers([stranger]), stranger) == 0
    assert sorted(s.solvers().call()) == mirrored
    # the twin: the allow-list's owner adds a solver; the settlement's copy follows in the same call
    allow = _allow_list(env)
    assert _status(env, allow.functions.addSolver(stranger), env.world.deployer.address) == 1
    assert sorted(s.solvers().call()) == sorted([*mirrored, to_checksum_address(stranger)])


def test_the_allow_list_binds_once(env: Env) -> None:
    allow = _allow_list(env)
    assert allow.functions.settlement().call() == env.settlement.address
    refusal = _revert_of(env, allow.functions.bind(env.world.users[0].address), env.world.deployer.address)
    assert refusal.name == "AlreadyBound" and refusal.args == {"settlement": env.settlement.address}
    assert allow.functions.settlement().call() == env.settlement.address


def test_refuses_more_solvers_than_the_settlement_keeps(env: Env) -> None:
    allow = _allow_list(env)
    owner = env.world.deployer.address
    limit = int(env.settlement.contract.functions.MAX_SOLVERS().call())
    have = len(allow.functions.solvers().call())
    extra = [to_checksum_address(f"0x{i + 1:040x}") for i in range(limit - have + 1)]
    for solver in extra[:-1]:  # the twin: up to the limit, each accepted
        assert _status(env, allow.functions.addSolver(solver), owner) == 1
    assert len(env.settlement.contract.functions.solvers().call()) == limit
    assert _revert_of(env, allow.functions.addSolver(extra[-1]), owner).name == "TooManySolvers"
    assert _status(env, allow.functions.addSolver(extra[-1]), owner) == 0
    assert not allow.functions.isSolver(extra[-1]).call()


def test_the_allow_list_binds_only_a_settlement_that_names_it(env: Env) -> None:
    """`bind` is once and for all, so a settlement that does not point back at the list (or an
    account with no `allowList()`) is refused; the list stays unbound and can still bind."""
    owner = env.world.deployer.address
    fresh = env.deploy("SolverAllowList", owner)
    refusal = _revert_of(env, fresh.functions.bind(env.settlement.address), owner)
    assert refusal.name == "NotThisListsSettlement"
    assert refusal.args == {"settlement": env.settlement.address, "its": _allow_list(env).address}
    assert _status(env, fresh.functions.bind(env.world.users[0].address), owner) == 0  # an EOA
    assert int(fresh.functions.settlement().call(), 16) == 0
    # the twin: the world's list names the world's settlement, which names it back
    assert _allow_list(env).functions.settlement().call() == env.settlement.address
    assert env.settlement.contract.functions.allowList().call() == _allow_list(env).address
