"""Property-based: random batches driven through the real contract on the fork.

Whatever hypothesis throws at it (prices inside and outside the signed bounds, fees above
and below the cap, outcomes reachable and not, an execution repeated in the batch):
  - no execution happens twice (a settled batch cannot be replayed; a repeat inside a
    batch refuses the whole batch);
  - the contract never ends with less of any token than it started with;
  - no user ever ends outside its signed outcome, re-checked here independently in Python;
  - a refused batch moves nothing and spends no nonce.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.settlement import Batch
from intents.model import Intent, IntentKind
from tests.integration.settlement.helpers import (
    E18,
    UNBOUNDED,
    Env,
    balances_intent,
    cost,
    proceeds,
)
from tests.integration.settlement.scenarios import Leg, Scenario, rebalance_leg

TRADERS = (0, 1, 3, 4, 5, 8, 9)  # world users holding both WETH and USDC


@dataclass(frozen=True)
class PairSpec:
    weth_tenths: int
    kind: IntentKind
    skim_bps: int  # what the solver keeps from the seller's proceeds (the cap is 30)
    tight: int  # 0 = outcome reachable, 1 = bound just missed, 2 = loose


pair_specs = st.builds(PairSpec, st.integers(1, 40), st.sampled_from(list(IntentKind)),
                       st.sampled_from([0, 10, 30, 31, 80]), st.sampled_from([0, 0, 1, 2]))


def _leg(env: Env, user: int, prices: dict[str, int], sell: str, amount: int, buy: str, got: int, spec: PairSpec,
         reference: dict[str, int]) -> Leg:
    from tests.integration.settlement.helpers import price_bounds

    if spec.kind is IntentKind.WEIGHTS:
        leg = rebalance_leg(env, user, prices, sell, amount, buy, nonce=1, receive=got)
        tol = {0: 50, 1: 0, 2: 2_000}[spec.tight]
        leg.intent = leg.intent.with_(tolerance_bps=tol)
    else:
        acct = env.world.users[user]
        tokens = [env.addr("USDC"), env.addr("WETH")]
        after = [env.balance(acct.address, t) + {sell: -amount, buy: got}.get(t, 0) for t in tokens]
        slack = {0: [0, 0], 1: [-1, 0], 2: [after[0], after[1]]}[spec.tight]
        mins = [max(a - s, 0) if s >= 0 else a + 1 for a, s in zip(after, slack, strict=True)]
        intent = balances_intent(acct.address, tokens, prices, mins, [UNBOUNDED, UNBOUNDED], nonce=1)
        leg = Leg(intent, acct.private_key, {sell: -amount, buy: got})
    lo, hi = price_bounds(reference, list(leg.intent.tokens))  # signed around the reference price
    leg.intent = leg.intent.with_(min_price=tuple(lo), max_price=tuple(hi))
    return leg


def _build(env: Env, specs: list[PairSpec], order: list[int], move_bps: int) -> Scenario:
    reference = env.ref_prices()
    usdc, weth = env.addr("USDC"), env.addr("WETH")
    prices = {**reference, weth: reference[weth] * (10_000 + move_bps) // 10_000}
    legs = []
    for k, spec in enumerate(specs):
        seller, buyer = order[2 * k], order[2 * k + 1]
        amount = spec.weth_tenths * E18 // 10
        got = proceeds(amount, prices[weth], prices[usdc]) * (10_000 - spec.skim_bps) // 10_000
        pay = cost(amount, prices[weth], prices[usdc])
        legs.append(_leg(env, seller, prices, weth, amount, usdc, got, spec, reference))
        legs.append(_leg(env, buyer, prices, usdc, pay, weth, amount, spec, reference))
    return Scenario(prices, legs)


def _outcome_holds(env: Env, intent: Intent, prices: dict[str, int]) -> bool:
    """The signed outcome, restated from docs/interfaces.md rather than read from the contract."""
    balances = [env.balance(intent.owner, t) for t in intent.tokens]
    if intent.kind is IntentKind.BALANCES:
        return all(lo <= b <= hi for b, lo, hi in zip(balances, intent.min_balance, intent.max_balance, strict=True))
    values = [b * prices[t] for b, t in zip(balances, intent.tokens, strict=True)]
    total = sum(values)
    return all(abs(v * 10_000 - w * total) <= intent.tolerance_bps * total
               for v, w in zip(values, intent.target_weight_bps, strict=True))


def test_random_batches_keep_every_invariant(env: Env) -> None:
    seen = {"settled": 0, "refused": 0}

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(specs=st.lists(pair_specs, min_size=1, max_size=3), order=st.permutations(TRADERS),
           move_bps=st.sampled_from([0, 0, 50, -150, 250]), repeat=st.booleans())
    def run(specs: list[PairSpec], order: list[int], move_bps: int, repeat: bool) -> None:
        snapshot = env.w3.provider.make_request("evm_snapshot", [])["result"]
        try:
            _check(env, _build(env, specs, list(order), move_bps), repeat, seen)
        finally:
            env.w3.provider.make_request("evm_revert", [snapshot])

    run()
    assert seen["settled"] > 0 and seen["refused"] > 0, seen


def _check(env: Env, scenario: Scenario, repeat: bool, seen: dict[str, int]) -> None:
    batch = scenario.batch(env)
    if repeat:
        batch = Batch(batch.tokens, batch.clearing_prices, (*batch.executions, batch.executions[0]), ())
    owners = sorted({leg.intent.owner for leg in scenario.legs})
    here = env.settlement.address
    before = env.snapshot([*owners, here], batch.tokens)
    receipt = env.settlement.send(env.solver, batch, gas=8_000_000)
    after = env.snapshot([*owners, here], batch.tokens)
    spent = [env.settlement.is_nonce_spent(o, 1) for o in owners]
    if receipt["status"] != 1:
        seen["refused"] += 1
        assert after == before and not any(spent)
        return
    seen["settled"] += 1
    assert not repeat, "an execution repeated inside a batch must refuse the whole batch"
    assert all(spent)
    for token in batch.tokens:
        assert after[(here, token)] >= before[(here, token)]
    for leg in scenario.legs:
        for token, flow in leg.flows.items():
            assert after[(leg.intent.owner, token)] - before[(leg.intent.owner, token)] == flow
        assert _outcome_holds(env, leg.intent, scenario.prices)
    replay = env.settlement.send(env.solver, batch, gas=8_000_000)
    assert replay["status"] == 0
    assert env.snapshot([*owners, here], batch.tokens) == after
