"""Intent validation and the wire shape: each bad input names its field."""

from __future__ import annotations

import re
from typing import Any

import pytest

from intents.errors import ExpiredError, IntentError
from intents.model import IntentKind
from intents.validate import check_intent
from intents.wire import IntentModel, parse_signed
from tests.unit.intents.test_model import USDC, WBTC, WETH, weights_intent

KNOWN = {USDC: "USDC", WETH: "WETH", WBTC: "WBTC"}
NOW = 1_800_000_000


def test_should_accept_a_well_formed_weights_intent() -> None:
    check_intent(weights_intent(), KNOWN, NOW)


def test_should_accept_a_well_formed_balances_intent() -> None:
    check_intent(
        weights_intent(kind=IntentKind.BALANCES, target_weight_bps=(), tolerance_bps=0,
                       min_balance=(0, 1, 0), max_balance=(2**256 - 1, 5, 2**256 - 1)),
        KNOWN, NOW,
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target_weight_bps": (3000, 5000, 1900)}, "targetWeightBps", "sum to 99%"),
        ({"target_weight_bps": (5000, 5000)}, "targetWeightBps", "has 2 entries"),
        ({"tokens": (USDC, WETH, "0x6B175474E89094C44Da98b954EedeAC495271d0F")}, "tokens[2]", "not a token of this world"),
        ({"tokens": (USDC, WETH, WETH)}, "tokens[2]", "repeats tokens[1]"),
        ({"tokens": (USDC,), "min_price": (1,), "max_price": (1,), "target_weight_bps": (10000,)}, "tokens", "at least 2"),
        ({"min_price": (10**18, 5, 10), "max_price": (10**18, 4, 10)}, "minPrice[1]", "above maxPrice[1]"),
        ({"max_price": (10**18, 4)}, "maxPrice", "has 2 entries"),
        ({"max_fee_bps": 10_001}, "maxFeeBps", "above 10000"),
        ({"min_balance": (0, 0, 0), "max_balance": (1, 1, 1)}, "minBalance", "no balance bounds"),
        ({"kind": IntentKind.BALANCES}, "minBalance", "has 0 entries"),
    ],
)
def test_rejects_an_intent_that_breaks_a_rule(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(IntentError, match=re.escape(message)) as err:
        check_intent(weights_intent(**changes), KNOWN, NOW)
    assert err.value.field == field


def test_rejects_an_expired_intent() -> None:
    with pytest.raises(ExpiredError, match="expired 1s ago") as err:
        check_intent(weights_intent(valid_to=NOW - 1), KNOWN, NOW)
    assert err.value.field == "validTo"
    check_intent(weights_intent(valid_to=NOW), KNOWN, NOW)  # validTo is inclusive


def signed_body(**intent_changes: Any) -> dict[str, Any]:
    return {"intent": IntentModel.from_intent(weights_intent()).model_dump(mode="json") | intent_changes,
            "signingScheme": 0, "signature": "0x" + "11" * 65}


def test_should_serialise_uint256_as_decimal_strings_and_read_them_back() -> None:
    body = signed_body()
    assert body["intent"]["maxPrice"][2] == str(70_000 * 10**16)
    assert parse_signed(body).intent == weights_intent()


@pytest.mark.parametrize(
    ("body_change", "field"),
    [
        ({"intent": None}, "intent"),
        ({"signature": "nothex"}, "signature"),
        ({"signature": "0x1234"}, "signature"),
        ({"signingScheme": 7}, "signingScheme"),
        ({"extra": 1}, "extra"),
    ],
)
def test_rejects_a_malformed_signed_intent_body(body_change: dict[str, Any], field: str) -> None:
    body = signed_body() | body_change
    if body_change.get("intent", 0) is None:
        del body["intent"]
    with pytest.raises(IntentError) as err:
        parse_signed(body)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("intent_change", "field"),
    [
        ({"tokens": [USDC, "0x12", WBTC]}, "intent.tokens[1]"),
        ({"nonce": "-1"}, "intent.nonce"),
        ({"kind": 9}, "intent.kind"),
        ({"validTo": str(2**256)}, "intent.validTo"),
    ],
)
def test_rejects_a_malformed_intent_field(intent_change: dict[str, Any], field: str) -> None:
    with pytest.raises(IntentError, match=field.replace("[", r"\[").replace("]", r"\]")) as err:
        parse_signed(signed_body(**intent_change))
    assert err.value.field == field


def test_rejects_a_body_that_is_not_an_object() -> None:
    with pytest.raises(IntentError, match="expected a JSON object"):
        parse_signed([1, 2])
