"""The contract's EIP-712 digest is the one `intents.model` computes and users sign."""

from __future__ import annotations

from eth_account.messages import encode_typed_data
from eth_utils import keccak

from intents.model import domain_separator
from tests.integration.settlement.helpers import Env
from tests.integration.settlement.scenarios import cow_pair, v3_hedge


def test_should_hash_a_weights_intent_exactly_as_intents_model_does(env: Env) -> None:
    intent = cow_pair(env).legs[0].intent
    on_chain = env.settlement.hash_intent(intent.as_tuple())
    assert on_chain == intent.digest(env.chain_id, env.settlement.address)
    typed = encode_typed_data(full_message=intent.to_eip712(env.chain_id, env.settlement.address))
    assert on_chain == keccak(b"\x19" + typed.version + typed.header + typed.body)


def test_should_hash_a_balances_intent_exactly_as_intents_model_does(env: Env) -> None:
    intent = v3_hedge(env).legs[0].intent
    assert env.settlement.hash_intent(intent.as_tuple()) == intent.digest(env.chain_id, env.settlement.address)


def test_should_change_the_digest_when_any_field_changes(env: Env) -> None:
    intent = cow_pair(env).legs[0].intent
    base = env.settlement.hash_intent(intent.as_tuple())
    variants = [intent.with_(nonce=intent.nonce + 1), intent.with_(valid_to=intent.valid_to - 1),
                intent.with_(tolerance_bps=intent.tolerance_bps + 1),
                intent.with_(max_price=(*intent.max_price[:-1], intent.max_price[-1] + 1))]
    digests = {env.settlement.hash_intent(v.as_tuple()) for v in variants}
    assert base not in digests and len(digests) == len(variants)


def test_should_bind_the_digest_to_this_chain_and_contract(env: Env) -> None:
    assert env.settlement.domain_separator() == domain_separator(env.chain_id, env.settlement.address)
