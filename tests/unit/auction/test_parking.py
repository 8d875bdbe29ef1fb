"""Which parked intents resume: parked for holding none of their tokens, and holding one now."""

from __future__ import annotations

from auction.parking import STUCK, may_resume

TOKENS = ("0x" + "11" * 20, "0x" + "22" * 20)


def test_should_resume_once_the_owner_holds_one_of_the_intents_tokens() -> None:
    reason = f"{STUCK}: 0xabc holds none of USDC, WETH at block 7 (failed 3 rounds)"
    assert may_resume(reason, TOKENS, {TOKENS[1]: 1})
    assert not may_resume(reason, TOKENS, {TOKENS[0]: 0, TOKENS[1]: 0})
    assert not may_resume(reason, TOKENS, {"0x" + "33" * 20: 10**18})  # a token the intent does not trade


def test_should_keep_parked_what_was_parked_for_another_reason() -> None:
    assert not may_resume("parked by hand", TOKENS, {TOKENS[0]: 10**18})
    assert not may_resume(None, TOKENS, {TOKENS[0]: 10**18})
