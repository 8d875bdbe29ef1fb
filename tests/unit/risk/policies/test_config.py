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
    assert {"time", "threshold", "defi", "leland", "whalley-wilmott", "zakamouline", "vol-adaptive", "gas-aware",
            "impulse", "gas-timing"} <= kinds
    assert config.keeper_policy(delta).kind == "impulse"


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


IMPULSE = """
[book]
underlying = "WETH"
[gas]
model = "mean-reverting"
half_life_hours = 6
log_sd = 0.5
[[policies]]
name = "defi"
kind = "defi"
[[policies]]
name = "band"
kind = "impulse"
risk_aversion = 0.01
sweep = [0.001, 0.01]
[[policies]]
name = "timing"
kind = "gas-timing"
budget = 2
"""


def test_should_run_the_impulse_band_in_the_keeper_unless_told_otherwise() -> None:
    spec = config.parse(IMPULSE)
    chosen = config.keeper_policy(spec)
    assert chosen.kind == "impulse" and chosen.name == "band" and chosen.gas == "current"
    named = config.parse(IMPULSE + "[keeper]\npolicy = 'defi'\n")
    assert config.keeper_policy(named).kind == "defi"
    assert [v.risk_aversion for v in config.variants(spec.policies[1], spec.gas)] == [0.001, 0.01]


def test_should_give_gas_timing_the_files_gas_model_unless_it_names_its_own() -> None:
    spec = config.parse(IMPULSE)
    timing = config.build(spec.policies[2], spec.gas)
    assert (timing.gas_half_life_hours, timing.gas_log_sd, timing.budget) == (6.0, 0.5, 2.0)
    own = config.parse(IMPULSE.replace("budget = 2", "budget = 2\ngas_half_life_hours = 1"))
    assert config.build(own.policies[2], own.gas).gas_half_life_hours == 1.0


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (IMPULSE.replace("budget = 2", "budget = 0.5"), "policies[2].budget"),
        (IMPULSE.replace("risk_aversion = 0.01", "risk_aversion = 0.01\ngas = 'cheap'"), "policies[1].gas"),
        (IMPULSE.replace("budget = 2", "budget = 2\nband = 1"), "policies[2].band"),
        (IMPULSE.replace("log_sd = 0.5", "log_sd = -1"), "gas.log_sd"),
        (IMPULSE.replace('model = "mean-reverting"', 'model = "spiky"'), "gas.model"),
        (IMPULSE + "[backtest]\ngarch_alpha = 0.1\n", "backtest.garch_alpha"),
    ],
)
def test_rejects_a_bad_impulse_or_gas_setting_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(PolicyError) as info:
        config.parse(text)
    assert info.value.field == field
    assert "\n" not in str(info.value)
