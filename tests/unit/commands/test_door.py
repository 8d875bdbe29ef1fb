"""Checks at the door (commands/door.py): each refusal has its acceptance twin."""

from __future__ import annotations

import pytest

from commands.door import Sell, absurd, refuse_absurd, sell_checks
from keel.errors import ExitCode, RefusedError

OWNER = "0x00000000000000000000000000000000000000A1"


def test_plausible_parameters_pass() -> None:
    assert absurd(slippage_bps=100, valid_s=600, max_fee_bps=30, deltas={"target-delta": 0.0, "band": 2.0}) == []


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"slippage_bps": 0}, "slippage"), ({"slippage_bps": 5_000}, "slippage"), ({"valid_s": 10}, "valid"),
    ({"valid_s": 3650 * 86_400}, "valid"), ({"max_fee_bps": 3_000}, "max-fee"),
])
def test_absurd_parameters_are_named(kwargs: dict[str, int], field: str) -> None:
    args = {"slippage_bps": 100, "valid_s": 600, "max_fee_bps": 30, **kwargs}
    reasons = absurd(**args)
    assert len(reasons) == 1 and reasons[0].startswith(f"{field}:")


def test_an_absurd_delta_is_named() -> None:
    assert absurd(100, 600, 30, {"target-delta": 1e9})[0].startswith("target-delta:")


def test_absurd_is_refused_with_exit_5_unless_yes_which_warns() -> None:
    with pytest.raises(RefusedError) as err:
        refuse_absurd(["valid: 3650d keeps a signed price bound alive"], yes=False, warn=print)
    assert err.value.exit_code == ExitCode.REFUSED and "--yes" in str(err.value) and err.value.field == "valid"
    warned: list[str] = []
    refuse_absurd(["valid: 3650d keeps a signed price bound alive"], yes=True, warn=warned.append)
    assert warned == ["warning: valid: 3650d keeps a signed price bound alive"]


def test_a_sell_the_owner_holds_and_approved_passes() -> None:
    sell_checks(OWNER, [Sell("WETH", 4 * 10**18, 10 * 10**18, 2**256 - 1, 18)])


def test_a_sell_beyond_the_balance_is_refused_naming_the_faucet() -> None:
    with pytest.raises(RefusedError, match=r"balance: .* holds 1 WETH, the trade sells 4; fund it"):
        sell_checks(OWNER, [Sell("WETH", 4 * 10**18, 10**18, 2**256 - 1, 18)])


def test_a_sell_beyond_the_allowance_is_refused_naming_keel_approve() -> None:
    with pytest.raises(RefusedError, match=r"allowance: .* may pull 0 USDC .* run `keel approve USDC`"):
        sell_checks(OWNER, [Sell("USDC", 100 * 10**6, 1_000 * 10**6, 0, 6)])
