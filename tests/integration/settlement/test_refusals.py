"""settle() refuses prices outside the signed bounds, missed outcomes, value taken from users,
fees above the cap, malformed batches, and a batch that leaves the contract poorer."""

from __future__ import annotations

from contracts.interaction import Interaction
from contracts.settlement import Batch, Execution
from tests.integration.settlement.helpers import (
    E18,
    Env,
    assert_refused,
    calldata,
    price_bounds,
    relative,
)
from tests.integration.settlement.scenarios import cow_pair, v3_hedge


def test_rejects_a_clearing_price_outside_the_signed_bounds(env: Env) -> None:
    pair = cow_pair(env)  # bounds: reference price ± 2%
    weth, usdc = env.addr("WETH"), env.addr("USDC")
    pair.prices[weth] = pair.prices[weth] * 105 // 100
    reason = assert_refused(env, pair.batch(env), "PriceOutOfBounds")
    assert reason.args == {"execution": 0, "token": 1, "price": relative(pair.prices, weth, usdc)}


def test_accepts_a_clearing_price_just_inside_the_bounds(env: Env) -> None:
    weth = env.addr("WETH")
    reference = env.ref_prices()
    inside = {**reference, weth: reference[weth] * 10_199 // 10_000}  # +1.99%, bounds are ±2%
    pair = cow_pair(env, prices=inside)
    for leg in pair.legs:  # bounds signed around the reference price, trade at `inside`
        lo, hi = price_bounds(reference, list(leg.intent.tokens))
        leg.intent = leg.intent.with_(min_price=tuple(lo), max_price=tuple(hi))
    env.settlement.call(env.solver, pair.batch(env))
    pair.prices[weth] = reference[weth] * 10_201 // 10_000  # +2.01%: just outside
    assert_refused(env, pair.batch(env), "PriceOutOfBounds")


def test_rejects_when_the_weights_outcome_is_not_met(env: Env) -> None:
    pair = cow_pair(env)
    leg = pair.legs[0]
    w = list(leg.intent.target_weight_bps)
    w[0], w[1] = w[0] + 300, w[1] - 300  # asks for 3% more USDC than this trade delivers
    leg.intent = leg.intent.with_(target_weight_bps=tuple(w), tolerance_bps=100)
    reason = assert_refused(env, pair.batch(env), "OutcomeNotMet")
    assert reason.args == {"execution": 0, "token": 0}


def test_rejects_when_the_hedge_balance_bounds_are_not_met(env: Env) -> None:
    hedge = v3_hedge(env)
    leg = hedge.legs[0]
    held = env.balance(leg.intent.owner, env.addr("WETH"))
    mins = list(leg.intent.min_balance)
    mins[1] = held - E18  # wants at least 1 WETH more than selling 2 leaves
    leg.intent = leg.intent.with_(min_balance=tuple(mins))
    reason = assert_refused(env, hedge.batch(env), "OutcomeNotMet")
    assert reason.args == {"execution": 0, "token": 1}


def test_rejects_paying_a_user_more_value_than_it_gave(env: Env) -> None:
    usdc = env.addr("USDC")
    env.fund(env.world.deployer.address, usdc, env.settlement.address, 5_000 * 10**6)  # so the payout itself succeeds
    pair = cow_pair(env)
    pair.legs[0].flows[usdc] += 1_000 * 10**6
    reason = assert_refused(env, pair.batch(env), "ValueNotConserved")
    assert reason.execution == 0
    assert reason.args["received"] > reason.args["given"]


def test_rejects_a_fee_above_the_signed_maximum(env: Env) -> None:
    usdc = env.addr("USDC")
    pair = cow_pair(env)
    paid = pair.legs[0].flows[usdc]
    pair.legs[0].flows[usdc] = paid * 99 // 100  # keeps 1%, the intent allows 0.30%
    reason = assert_refused(env, pair.batch(env), "FeeAboveMax")
    given = reason.args["fee"] + pair.legs[0].flows[usdc] * pair.prices[usdc]
    assert reason.args["maxFee"] == 30 * given // 10_000 < reason.args["fee"]


def test_accepts_a_fee_at_the_signed_maximum(env: Env) -> None:
    usdc = env.addr("USDC")
    pair = cow_pair(env)
    paid = pair.legs[0].flows[usdc]
    pair.legs[0].flows[usdc] = paid - paid * 30 // 10_000  # 0.30% exactly (rounded toward the user)
    env.settlement.call(env.solver, pair.batch(env))


def test_rejects_tokens_that_are_not_strictly_ascending(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    swapped = Batch(batch.tokens[::-1], batch.clearing_prices[::-1], (), ())
    reason = assert_refused(env, swapped, "TokensNotSorted")
    assert reason.args == {"index": 1}
    duplicated = Batch((batch.tokens[0], batch.tokens[0]), (1, 1), (), ())
    assert_refused(env, duplicated, "TokensNotSorted")


def test_rejects_a_price_index_that_names_another_token(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    e = batch.executions[1]
    wrong = Execution(e.intent, e.signing_scheme, e.signature, (e.price_index[1], *e.price_index[1:]), e.flows)
    reason = assert_refused(env, Batch(batch.tokens, batch.clearing_prices, (batch.executions[0], wrong)), "TokenMismatch")
    assert reason.args == {"execution": 1, "token": 0}


def test_rejects_an_interaction_that_takes_the_contracts_own_funds(env: Env) -> None:
    usdc = env.addr("USDC")
    env.fund(env.world.deployer.address, usdc, env.settlement.address, 5_000 * 10**6)
    pair = cow_pair(env)
    thief = env.world.users[5].address
    pair.interactions.append(Interaction(usdc, 0, calldata(env.erc20(usdc), "transfer", thief, 10**6)))
    reason = assert_refused(env, pair.batch(env), "SettlementLostFunds", extra_owners=[thief])
    assert reason.args["token"] == usdc
    assert reason.args["before"] - reason.args["afterwards"] == 10**6
