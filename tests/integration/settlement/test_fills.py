"""What a settled batch did for each intent, read back from the chain: one `BatchSettled` event
carrying the intent ids, the amounts decoded from the settle calldata (`contracts.fills`)."""

from __future__ import annotations

from eth_utils import to_checksum_address
from web3.logs import DISCARD

from contracts import fills
from contracts.settlement import SETTLE_ARG_TYPES, SETTLE_SELECTOR
from tests.integration.settlement.helpers import Env
from tests.integration.settlement.scenarios import cow_pair, mixed


def test_should_report_every_settled_intent_with_its_value_at_the_clearing_prices(env: Env) -> None:
    scenario = mixed(env)  # four intents, both kinds, a CoW pair and two DEX routes
    receipt = env.settlement.settle(env.solver, scenario.batch(env))
    reported = env.settlement.executed(receipt)
    assert [e["execution"] for e in reported] == [0, 1, 2, 3]
    for leg, event in zip(scenario.legs, reported, strict=True):
        assert event["intentId"] == leg.intent.digest(env.chain_id, env.settlement.address)
        assert event["owner"] == to_checksum_address(leg.intent.owner)
        assert event["nonce"] == leg.intent.nonce
        # valued independently: the leg's own flows at the scenario's prices
        given = sum(-amount * scenario.prices[token] for token, amount in leg.flows.items() if amount < 0)
        received = sum(amount * scenario.prices[token] for token, amount in leg.flows.items() if amount > 0)
        assert (event["given"], event["received"]) == (given, received)
        assert 0 < event["received"] <= event["given"]


def test_should_log_the_intent_ids_in_one_batch_event_and_no_event_per_intent(env: Env) -> None:
    scenario = cow_pair(env)
    receipt = env.settlement.settle(env.solver, scenario.batch(env))
    logs = env.settlement.contract.events.BatchSettled().process_receipt(receipt, errors=DISCARD)
    assert len(logs) == 1
    assert logs[0]["args"]["solver"] == to_checksum_address(env.solver)
    assert [bytes(i) for i in logs[0]["args"]["intentIds"]] == [
        leg.intent.digest(env.chain_id, env.settlement.address) for leg in scenario.legs]
    own = [log for log in receipt["logs"] if log["address"] == env.settlement.address]
    assert len(own) == 1  # a CoW pair: no interaction, no fee left over, one event for the batch


def test_should_report_ids_without_amounts_when_settle_was_called_through_another_contract(env: Env) -> None:
    scenario = cow_pair(env)
    receipt = env.settlement.settle(env.solver, scenario.batch(env))
    tx = dict(env.w3.eth.get_transaction(receipt["transactionHash"]))
    ids = [leg.intent.digest(env.chain_id, env.settlement.address) for leg in scenario.legs]
    direct = fills.fills(ids, tx, env.settlement.address, SETTLE_SELECTOR, SETTLE_ARG_TYPES)
    assert [e["owner"] for e in direct] == [to_checksum_address(leg.intent.owner) for leg in scenario.legs]
    wrapped = fills.fills(ids, {**tx, "to": env.solver}, env.settlement.address, SETTLE_SELECTOR, SETTLE_ARG_TYPES)
    assert [e["intentId"] for e in wrapped] == ids
    assert all(e[k] is None for e in wrapped for k in ("owner", "nonce", "given", "received"))


def test_should_report_nothing_for_a_receipt_that_settled_nothing(env: Env) -> None:
    receipt = env.settlement.invalidate_nonce(env.world.users[0].address, 77)
    assert env.settlement.executed(receipt) == []
