"""The oracle-guarded intent: `maxOracleDeviationBps` signed under the extended EIP-712 type,
carried on the wire and in the execution, refused when it means nothing; unguarded intents
keep the plain type and their ids."""

from __future__ import annotations

import pytest
from eth_account import Account

from auction.settle_call import batch_for
from contracts.settlement import encode_execution
from intents.build import DEFAULT_MAX_ORACLE_DEVIATION_BPS, parse_oracle_deviation_bps
from intents.errors import IntentError
from intents.model import GUARDED_INTENT_TYPE_STRING, INTENT_TYPE_STRING, Intent
from intents.signing import sign_intent, verify_intent
from intents.validate import check_shape
from intents.wire import IntentModel, parse_signed
from solver.domain import Auction, BatchIntent, Execution, Solution, Token
from tests.unit.intents.test_model import (
    SETTLEMENT,
    USDC,
    WBTC,
    WETH,
    reference_digest,
    weights_intent,
)

# IntentHashing.sol's GUARDED_INTENT_TYPEHASH preimage, spelled out independently
CONTRACT_GUARDED_TYPE = (
    "Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,"
    "uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,"
    "uint256 maxFeeBps,uint256 validTo,uint256 nonce,uint256 maxOracleDeviationBps)"
)


def test_should_spell_the_guarded_type_as_the_contract_does() -> None:
    assert GUARDED_INTENT_TYPE_STRING == CONTRACT_GUARDED_TYPE
    assert CONTRACT_GUARDED_TYPE.replace(",uint256 maxOracleDeviationBps", "") == INTENT_TYPE_STRING


def test_should_sign_the_guarded_type_when_the_bound_is_set_and_match_eth_account() -> None:
    guarded = weights_intent(max_oracle_deviation_bps=100)
    assert guarded.guarded and guarded.to_eip712(1, SETTLEMENT)["message"]["maxOracleDeviationBps"] == 100
    assert guarded.digest(1, SETTLEMENT) == reference_digest(guarded, 1, SETTLEMENT)
    # the bound is signed: another bound, or none, is another intent
    assert guarded.digest(1, SETTLEMENT) != weights_intent(max_oracle_deviation_bps=101).digest(1, SETTLEMENT)
    assert guarded.digest(1, SETTLEMENT) != weights_intent().digest(1, SETTLEMENT)
    # the ABI tuple is the plain struct's: the bound travels beside it
    assert guarded.as_tuple() == weights_intent().as_tuple()


def test_should_treat_zero_as_unguarded_and_keep_the_plain_type_and_id() -> None:
    plain, zero = weights_intent(), weights_intent(max_oracle_deviation_bps=0)
    assert zero.max_oracle_deviation_bps is None and not zero.guarded
    assert zero.digest(1, SETTLEMENT) == plain.digest(1, SETTLEMENT)
    assert "maxOracleDeviationBps" not in plain.to_eip712(1, SETTLEMENT)["message"]


def test_should_round_trip_the_bound_through_the_wire_and_verify_the_signature() -> None:
    key = Account.create()
    intent = weights_intent(owner=key.address, max_oracle_deviation_bps=75)
    signed = sign_intent(intent, key.key, 1, SETTLEMENT)
    from intents.wire import SignedIntentModel

    body = SignedIntentModel.from_signed(signed, 1).model_dump(mode="json", exclude_none=True)
    assert body["intent"]["maxOracleDeviationBps"] == "75"
    back = parse_signed(body)
    assert back.intent == intent
    assert verify_intent(back, 1, SETTLEMENT) == intent.intent_id(1, SETTLEMENT)
    # an unguarded intent's JSON has no such key, and older JSON without it still parses
    plain = IntentModel.from_intent(weights_intent()).model_dump(mode="json", exclude_none=True)
    assert "maxOracleDeviationBps" not in plain and IntentModel(**plain).to_intent() == weights_intent()


@pytest.mark.parametrize(("value", "match"), [("-1", "maxOracleDeviationBps"), ("abc", "maxOracleDeviationBps"),
                                              (str(2**256), "maxOracleDeviationBps")])
def test_rejects_a_bound_that_is_not_a_uint256_naming_the_field(value: str, match: str) -> None:
    from intents.wire import SignedIntentModel

    key = Account.create()
    body = SignedIntentModel.from_signed(sign_intent(weights_intent(owner=key.address), key.key, 1, SETTLEMENT))
    data = body.model_dump(mode="json")
    data["intent"]["maxOracleDeviationBps"] = value
    with pytest.raises(IntentError) as err:
        parse_signed(data)
    assert err.value.field == "intent.maxOracleDeviationBps"
    assert match in str(err.value)


def test_rejects_a_bound_above_100_percent_and_accepts_it_at_100() -> None:
    with pytest.raises(IntentError) as err:
        check_shape(weights_intent(max_oracle_deviation_bps=10_001))
    assert err.value.field == "maxOracleDeviationBps" and "above 10000" in str(err.value)
    check_shape(weights_intent(max_oracle_deviation_bps=10_000))


@pytest.mark.parametrize(("text", "bps"), [("100", 100), ("1%", 100), ("0.25%", 25), ("off", None), ("0", None),
                                           ("10000", 10_000)])
def test_should_parse_the_cli_flag_in_bps_or_percent(text: str, bps: int | None) -> None:
    assert parse_oracle_deviation_bps(text) == bps


@pytest.mark.parametrize("text", ["1.5", "-3", "x", "10001", "101%"])
def test_rejects_a_cli_flag_that_is_not_a_bound_naming_it(text: str) -> None:
    with pytest.raises(IntentError) as err:
        parse_oracle_deviation_bps(text)
    assert err.value.field == "max-oracle-deviation"


def test_the_default_guard_is_one_percent() -> None:
    assert DEFAULT_MAX_ORACLE_DEVIATION_BPS == 100


def _auction(intent: Intent) -> Auction:
    from routing.pools import Liquidity

    key = Account.create()
    signed = sign_intent(intent.with_(owner=key.address), key.key, 1, SETTLEMENT)
    tokens = {t: Token(t, s, d, 10**30) for t, s, d in ((USDC, "USDC", 6), (WETH, "WETH", 18), (WBTC, "WBTC", 8))}
    bi = BatchIntent(signed.intent.intent_id(1, SETTLEMENT), signed)
    return Auction(1, 1, SETTLEMENT, 1, 0, tokens, (bi,), {}, Liquidity({}, (), 1), 1, 10**18)


@pytest.mark.parametrize("guard", [None, 100])
def test_should_carry_the_bound_into_the_execution_the_contract_decodes(guard: int | None) -> None:
    auction = _auction(weights_intent(max_oracle_deviation_bps=guard))
    bi = auction.intents[0]
    solution = Solution(1, SETTLEMENT, {USDC: 10**30, WETH: 10**30, WBTC: 10**30},
                        (Execution(bi.id, {USDC: 5, WETH: -5}),), (), 0, 0)
    (execution,) = batch_for(auction, solution).executions
    assert execution.max_oracle_deviation_bps == guard
    flags = encode_execution(execution)[20]
    assert bool(flags & 0x08) == (guard is not None)  # bit 3: oracle-guarded (ExecutionCodec.sol)
