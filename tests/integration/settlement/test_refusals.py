"""settle() refuses prices outside the signed bounds, missed outcomes, value taken from users,
fees above the cap, malformed batches, and a batch that leaves the contract poorer."""

from __future__ import annotations

from contracts.interaction import Interaction
from contracts.settlement import Batch, Execution, encode_execution, make_batch
from intents.model import Intent, IntentKind
from tests.integration.settlement.helpers import (
    E18,
    FAR,
    Env,
    assert_refused,
    calldata,
    price_bounds,
    relative,
    v2_router,
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
    # without interactions only the contract's holdings could pay the extra: refused up front
    reason = assert_refused(env, pair.batch(env), "BuysExceedSells")
    assert reason.args == {"token": usdc, "excess": 1_000 * 10**6}
    # with an interaction (a view call) the contract would pay it: the value check refuses
    router = v2_router(env)
    pair.interactions.append(Interaction(router.address, 0, calldata(router, "factory")))
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


def test_rejects_a_token_index_that_names_another_token_as_a_signature_its_owner_never_made(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    e = batch.executions[1]
    # the intent's tokens are read from the batch by index: pointing USDC's entry at WETH
    # hashes another intent, one the owner never signed
    wrong = Execution(e.intent, e.signing_scheme, e.signature, (e.price_index[1], *e.price_index[1:]), e.flows)
    reason = assert_refused(env, Batch(batch.tokens, batch.clearing_prices, (batch.executions[0], wrong)),
                            "InvalidSignature")
    assert reason.args == {"execution": 1}


def test_rejects_a_token_index_past_the_batch_tokens(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    e = batch.executions[1]
    past = Execution(e.intent, e.signing_scheme, e.signature,
                     (e.price_index[0], len(batch.tokens), *e.price_index[2:]), e.flows)
    reason = assert_refused(env, Batch(batch.tokens, batch.clearing_prices, (batch.executions[0], past)),
                            "TokenIndexOutOfRange")
    assert reason.args == {"execution": 1, "token": 1}


def test_accepts_the_token_indices_make_batch_computes(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    assert [list(e.price_index) for e in batch.executions] == [
        [batch.tokens.index(t) for t in e.intent[1]] for e in batch.executions]
    env.settlement.call(env.solver, batch)


def test_rejects_token_and_price_lists_of_different_lengths(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    short = Batch(batch.tokens, batch.clearing_prices[:1], batch.executions)
    reason = assert_refused(env, short, "LengthMismatch")
    assert reason.args == {"tokens": len(batch.tokens), "clearingPrices": 1}


def test_rejects_a_truncated_or_malformed_execution_encoding(env: Env) -> None:
    batch = cow_pair(env).batch(env)
    good = [encode_execution(e) for e in batch.executions]
    head = 22  # owner, flags, n
    malformed = {
        "truncated mid-field": good[1][: head + 3],
        "shorter than its head": good[1][:21],
        "unknown kind": good[1][:20] + bytes([good[1][20] | 0x02]) + good[1][21:],
        "one token": good[1][:21] + b"\x01" + good[1][22:],
        "length header above 32": good[1][:head] + b"\x21" + good[1][head + 1:],
    }
    for what, blob in malformed.items():
        raw = Batch(batch.tokens, batch.clearing_prices, batch.executions, encoded=(good[0], blob))
        reason = assert_refused(env, raw, "MalformedExecution")
        assert reason.args == {"execution": 1}, what
    env.settlement.call(env.solver, Batch(batch.tokens, batch.clearing_prices, batch.executions, encoded=tuple(good)))


def _dai_priced_in_wbtc(env: Env, max_price: int) -> Batch:
    """users[2] signs a weights intent over [WBTC, DAI] (WBTC the numeraire) whose only live
    check is DAI's price bound: no flows, any weights."""
    user = env.world.users[2]
    wbtc, dai = env.addr("WBTC"), env.addr("DAI")
    prices = {t: p for t, p in env.ref_prices().items() if t in (wbtc, dai)}
    intent = Intent(owner=user.address, tokens=(wbtc, dai), min_price=(E18, 0), max_price=(E18, max_price),
                    kind=IntentKind.WEIGHTS, target_weight_bps=(5_000, 5_000), tolerance_bps=10_000,
                    max_fee_bps=0, valid_to=FAR, nonce=77)
    return make_batch(prices, [env.row(intent, user.private_key, {})])


def test_rejects_a_price_above_the_bound_by_less_than_the_rounding_of_a_ratio(env: Env) -> None:
    prices = env.ref_prices()
    wbtc, dai = env.addr("WBTC"), env.addr("DAI")
    rounded = relative(prices, dai, wbtc)  # 1e30 / 6e26 = 1666.67, rounded down to 1666
    assert rounded == 1666
    # the old check compared the rounded ratio (1666 <= 1666: accepted); the true price is above
    assert prices[dai] * E18 > rounded * prices[wbtc]
    reason = assert_refused(env, _dai_priced_in_wbtc(env, max_price=rounded), "PriceOutOfBounds")
    assert reason.args == {"execution": 0, "token": 1, "price": rounded}


def test_accepts_a_price_exactly_at_its_bound_by_cross_multiplication(env: Env) -> None:
    prices = env.ref_prices()
    wbtc, dai = env.addr("WBTC"), env.addr("DAI")
    bound = -(-prices[dai] * E18 // prices[wbtc])  # 1667: the true price rounded up is inside
    env.settlement.settle(env.solver, _dai_priced_in_wbtc(env, max_price=bound))
    assert env.settlement.is_nonce_spent(env.world.users[2].address, 77)
