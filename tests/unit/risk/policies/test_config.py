"""Policy files: the shipped samples load; unknown keys and out-of-range bands are refused
with one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk.policies import config
from risk.policies.errors import PolicyError

SAMPLES = Path(__file__).resolve().parents[4] / "samples"

BOOK = """
[book]
underlying = "WETH"
[[policies]]
name = "ww"
kind = "whalley-wilmott"
risk_aversion = 0.01
sweep = [0.001, 0.01, 0.1]
"""


def test_should_load_the_shipped_samples() -> None:
    delta = config.parse((SAMPLES / "policy.toml").read_text())
    weights = config.parse((SAMPLES / "portfolio-policy.toml").read_text())
    assert delta.book is not None and not delta.is_weights
    assert weights.portfolio is not None and weights.is_weights
    kinds = {p.kind for p in delta.policies}
    assert {"time", "threshold", "defi", "leland", "whalley-wilmott", "zakamouline", "vol-adaptive", "gas-aware"} <= kinds


def test_should_build_one_policy_per_sweep_value() -> None:
    spec = config.parse(BOOK)
    variants = config.variants(spec.policies[0])
    assert [v.risk_aversion for v in variants] == [0.001, 0.01, 0.1]
    assert config.keeper_policy(spec).risk_aversion == 0.01


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (BOOK + "colour = 'red'\n", "policies[0].colour"),
        (BOOK.replace("[book]", "[book]\nunderlyng = 'WETH'"), "book.underlyng"),
        (BOOK + "[[policies]]\nname='t'\nkind='time'\nband=2\n", "policies[1].band"),
        (BOOK + "[[policies]]\nname='t'\nkind='threshold'\nband=-1\n", "policies[1].band"),
        (BOOK + "[[policies]]\nname='t'\nkind='threshold'\nband=1\nto=2\n", "policies[1].to"),
        (BOOK.replace("sweep = [0.001, 0.01, 0.1]", "sweep = [0.01, 0]"), "policies[0].sweep[1]"),
        (BOOK + "[[policies]]\nname='x'\nkind='magic'\n", "policies[1].kind"),
        (BOOK + "[keeper]\npolicy='nope'\n", "keeper.policy"),
        ("[[policies]]\nname='t'\nkind='time'\n", "book"),
        ("[portfolio]\ntokens=['USDC','WETH']\ntarget=[50,50]\n[[policies]]\nname='t'\nkind='threshold'\nband=1.5\n", "policies[0].band"),
        ("[portfolio]\ntokens=['USDC','WETH']\ntarget=[50,40]\n[[policies]]\nname='t'\nkind='time'\n", "portfolio.target"),
        ("[portfolio]\ntokens=['USDC','WETH']\ntarget=[50,50]\n[[policies]]\nname='w'\nkind='whalley-wilmott'\n", "policies[0].kind"),
        ("this is = not toml =", "policy.toml"),
    ],
)
def test_rejects_a_bad_policy_file_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(PolicyError) as info:
        config.parse(text)
    assert info.value.field == field
    assert "\n" not in str(info.value)
