"""`keel intent show`'s sentences for an intent that waits: why it was left out, why it is parked."""

from __future__ import annotations

from commands.explain import status_lines

LATER = 2_000_000_000


def test_should_say_why_the_snapshot_left_an_open_intent_out() -> None:
    lines = status_lines({"status": "open", "validTo": LATER, "reason": "allowance: WETH (keel approve WETH)"},
                         1_900_000_000, [])
    assert lines[1] == "left out of the last auction's snapshot: allowance: WETH (keel approve WETH)"
    assert not any("no auction round has taken it" in line for line in lines)


def test_should_point_an_open_intent_without_a_note_at_the_auctioneer() -> None:
    lines = status_lines({"status": "open", "validTo": LATER, "reason": None}, 1_900_000_000, [])
    assert "is `keel up` or `keel auction run` running?" in lines[-1]


def test_should_say_why_an_intent_is_parked_and_how_it_resumes() -> None:
    lines = status_lines({"status": "parked", "validTo": LATER, "reason": "InsufficientBalance: 0xabc holds none"},
                         1_900_000_000, [])
    assert lines[0].startswith("parked: InsufficientBalance: 0xabc holds none;") and "reopens it" in lines[0]
