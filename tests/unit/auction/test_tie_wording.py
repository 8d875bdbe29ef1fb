"""A lost solution's sentence never reads `score $229.69 < winner's $229.69`: a tie is said as a tie."""

from __future__ import annotations

from auction.verdicts import Drop, DropReason, comparison

E18 = 10**18


def test_a_lower_score_reads_as_less_than_the_winners() -> None:
    assert comparison(5 * E18, 9 * E18) == "<"


def test_an_equal_score_reads_as_a_tie() -> None:
    assert comparison(229 * E18, 229 * E18) == "ties the"


def test_a_score_below_by_less_than_a_cent_says_so_rather_than_printing_two_equal_amounts() -> None:
    assert comparison(229 * E18 + 10**15, 229 * E18 + 2 * 10**15) == "is less than a cent below the"


def test_the_outranked_sentence_carries_the_comparison() -> None:
    drop = Drop.of(DropReason.OUTRANKED, rank=2, score="$229.69", comparison="ties the",
                   winner_score="$229.69 (a tie, broken by less gas)")
    assert drop.sentence == "ranked 2: score $229.69 ties the winner's $229.69 (a tie, broken by less gas)"
