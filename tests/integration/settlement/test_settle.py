"""settle(): the happy paths, on the forked mainnet-shaped world against the compiled contract."""

from __future__ import annotations

from contracts.settlement import Batch
from tests.integration.settlement.helpers import Env, owners_of
from tests.integration.settlement.scenarios import Scenario, cow_pair, mixed, v2_rebalance, v3_hedge


def _settle_and_check(env: Env, scenario: Scenario) -> tuple[Batch, dict, dict]:
    batch = scenario.batch(env)
    owners = owners_of(batch)
    before = env.snapshot([*owners, env.settlement.address], batch.tokens)
    receipt = env.settlement.settle(env.solver, batch)
    after = env.snapshot([*owners, env.settlement.address], batch.tokens)
    for leg in scenario.legs:
        for token, flow in leg.flows.items():
            key = (leg.intent.owner, token)
            assert after[key] - before[key] == flow, f"{key}: moved {after[key] - before[key]}, flow {flow}"
        assert env.settlement.is_nonce_spent(leg.intent.owner, leg.intent.nonce)
    for token in batch.tokens:
        assert after[(env.settlement.address, token)] >= before[(env.settlement.address, token)]
    events = env.settlement.executed(receipt)
    assert [e["execution"] for e in events] == list(range(len(batch.executions)))
    ids = [leg.intent.digest(env.chain_id, env.settlement.address) for leg in scenario.legs]
    assert [bytes(e["intentId"]) for e in events] == ids
    for event in events:
        assert event["received"] <= event["given"]
    return batch, receipt, events


def test_should_settle_a_coincidence_of_wants_without_any_dex_call(env: Env) -> None:
    scenario = cow_pair(env)
    assert scenario.interactions == []
    _batch, receipt, events = _settle_and_check(env, scenario)
    # nothing but the two users' transfers and the settlement's own logs: no pool was touched
    pools = env.world.deployment.pool_addresses()
    assert len(pools) == 13
    assert not pools & {log["address"] for log in receipt["logs"]}
    assert len(events) == 2


def test_should_route_a_weights_rebalance_through_the_real_uniswap_v2_router(env: Env) -> None:
    scenario = v2_rebalance(env)
    _batch, receipt, _events = _settle_and_check(env, scenario)
    assert env.world.deployment.v2_pair("USDC", "WETH") in {log["address"] for log in receipt["logs"]}


def test_should_route_a_hedge_through_a_real_uniswap_v3_pool(env: Env) -> None:
    scenario = v3_hedge(env)
    _batch, receipt, _events = _settle_and_check(env, scenario)
    assert env.world.deployment.v3_pool("USDC", "WETH", 500) in {log["address"] for log in receipt["logs"]}


def test_should_settle_cow_v2_and_v3_legs_in_one_batch_at_one_price(env: Env) -> None:
    scenario = mixed(env)
    batch, receipt, events = _settle_and_check(env, scenario)
    touched = {log["address"] for log in receipt["logs"]}
    d = env.world.deployment
    assert {d.v2_pair("USDC", "WETH"), d.v3_pool("USDC", "WETH", 500)} <= touched
    assert len(events) == 4
    # one price per token: every leg was valued with the same WETH/USDC ratio
    assert len(set(batch.tokens)) == len(batch.tokens) == len(batch.clearing_prices)
