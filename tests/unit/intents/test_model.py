"""The Intent's EIP-712 encoding against eth-account's independent implementation."""

from __future__ import annotations

import pytest
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from intents.errors import IntentError
from intents.model import (
    INTENT_ABI_TYPE,
    INTENT_TYPE_STRING,
    Cancellation,
    Intent,
    IntentKind,
)

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WBTC = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def weights_intent(**changes: object) -> Intent:
    base = Intent(
        owner="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        tokens=(USDC, WETH, WBTC),
        min_price=(10**18, 2_900 * 10**6, 60_000 * 10**18 // 10**2),
        max_price=(10**18, 3_100 * 10**6, 70_000 * 10**18 // 10**2),
        kind=IntentKind.WEIGHTS,
        target_weight_bps=(3000, 5000, 2000),
        tolerance_bps=50,
        max_fee_bps=30,
        valid_to=1_900_000_000,
        nonce=7,
    )
    return base.with_(**changes) if changes else base


def reference_digest(intent: Intent, chain_id: int, settlement: str) -> bytes:
    signable = encode_typed_data(full_message=intent.to_eip712(chain_id, settlement))
    from eth_utils import keccak

    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def test_should_spell_the_type_string_exactly_as_the_interface_fixes_it() -> None:
    assert INTENT_TYPE_STRING == (
        "Intent(address owner,address[] tokens,uint256[] minPrice,uint256[] maxPrice,uint8 kind,"
        "uint256[] targetWeightBps,uint256 toleranceBps,uint256[] minBalance,uint256[] maxBalance,"
        "uint256 maxFeeBps,uint256 validTo,uint256 nonce)"
    )


def test_should_compute_the_same_digest_as_eth_account() -> None:
    intent = weights_intent()
    assert intent.digest(31337, SETTLEMENT) == reference_digest(intent, 31337, SETTLEMENT)


def test_should_bind_the_digest_to_chain_id_and_settlement_address() -> None:
    intent = weights_intent()
    other = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    assert intent.digest(31337, SETTLEMENT) != intent.digest(1, SETTLEMENT)
    assert intent.digest(31337, SETTLEMENT) != intent.digest(31337, other)


def test_should_recover_the_signer_from_a_signature_over_the_digest() -> None:
    acct = Account.create()
    intent = weights_intent(owner=acct.address)
    signed = Account.sign_typed_data(acct.key, full_message=intent.to_eip712(1, SETTLEMENT))
    assert signed.message_hash == intent.digest(1, SETTLEMENT)
    assert (
        Account._recover_hash(intent.digest(1, SETTLEMENT), signature=signed.signature)
        == acct.address
    )


def test_should_round_trip_through_the_abi_tuple() -> None:
    intent = weights_intent()
    (decoded,) = abi_decode([INTENT_ABI_TYPE], intent.abi_encode())
    assert (
        Intent.from_message(
            {
                sol: (list(v) if isinstance(v, tuple) else v)
                for sol, v in zip(intent.message(), decoded, strict=True)
            }
        )
        == intent
    )


def test_should_round_trip_through_the_eip712_message() -> None:
    intent = weights_intent(
        kind=IntentKind.BALANCES,
        target_weight_bps=(),
        tolerance_bps=0,
        min_balance=(0, 10**18, 0),
        max_balance=(2**256 - 1, 3 * 10**18, 2**256 - 1),
    )
    assert Intent.from_message(intent.message()) == intent


def test_should_checksum_lowercase_addresses() -> None:
    intent = weights_intent(owner="0x70997970c51812dc3a010c7d01b50e0d17dc79c8")
    assert intent.owner == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_rejects_when_a_token_is_not_an_address() -> None:
    with pytest.raises(IntentError) as err:
        weights_intent(tokens=(USDC, "0x1234", WBTC))
    assert err.value.field == "tokens[1]"


def test_rejects_when_a_price_is_negative() -> None:
    with pytest.raises(IntentError) as err:
        weights_intent(min_price=(10**18, -1, 1))
    assert err.value.field == "minPrice[1]"


def test_rejects_when_a_message_is_missing_a_field() -> None:
    message = weights_intent().message()
    del message["nonce"]
    with pytest.raises(IntentError) as err:
        Intent.from_message(message)
    assert err.value.field == "nonce"


def test_should_compute_the_cancellation_digest_as_eth_account_does() -> None:
    cancel = Cancellation(weights_intent().intent_id(1, SETTLEMENT))
    signable = encode_typed_data(full_message=cancel.to_eip712(1, SETTLEMENT))
    from eth_utils import keccak

    assert cancel.digest(1, SETTLEMENT) == keccak(
        b"\x19" + signable.version + signable.header + signable.body
    )


u256 = st.integers(min_value=0, max_value=2**256 - 1)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=4),
    prices=st.lists(u256, min_size=8, max_size=8),
    nonce=u256,
    valid_to=st.integers(min_value=0, max_value=2**64),
    chain_id=st.integers(min_value=1, max_value=2**64),
)
def test_should_agree_with_eth_account_on_any_intent(
    n: int, prices: list[int], nonce: int, valid_to: int, chain_id: int
) -> None:
    tokens = (USDC, WETH, WBTC, "0x6B175474E89094C44Da98b954EedeAC495271d0F")[:n]
    intent = Intent(
        owner=WETH,
        tokens=tokens,
        min_price=tuple(prices[:n]),
        max_price=tuple(prices[4 : 4 + n]),
        kind=IntentKind.BALANCES,
        min_balance=tuple(prices[:n]),
        max_balance=tuple(prices[4 : 4 + n]),
        valid_to=valid_to,
        nonce=nonce,
    )
    assert intent.digest(chain_id, SETTLEMENT) == reference_digest(intent, chain_id, SETTLEMENT)
