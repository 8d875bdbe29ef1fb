"""`keel stress` on the fork: per shock and policy, the trade demanded, its cost through the
world's pools (thinned for the liquidity shocks) and the breakers it would trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts.world import World
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def as_current(chain: World, chain_handle: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Make the test's fork the chain `keel` commands talk to."""
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    (tmp_path / "chain.json").write_text(json.dumps(chain_handle.to_json()))
    return chain


def test_should_report_trades_costs_and_breakers_per_shock_and_policy(as_current: World, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "stress", "--policy", str(ROOT / "samples" / "policy.toml"),
                  "--book", str(ROOT / "samples" / "book.csv"), "--json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    shocks = {r["shock"] for r in rows}
    assert shocks == {"spot -30%", "spot -10%", "spot +10%", "spot +30%", "vol x2",
                      "liquidity -50%, spot -10%", "liquidity -90%, spot -10%"}
    by = {(r["shock"], r["policy"]): r for r in rows}
    # the reference policy re-hedges on any move; the book is short gamma overall, so a price rise
    # asks for more of the underlying and a fall for less
    assert by[("spot +10%", "every-step")]["trade"] > 0 > by[("spot -10%", "every-step")]["trade"]
    assert abs(by[("spot -30%", "every-step")]["trade"]) > abs(by[("spot -10%", "every-step")]["trade"])
    # a 30% jump in one poll is a volatility spike; a 10% one is not
    assert "volatility" in by[("spot -30%", "every-step")]["tripped"]
    assert "volatility" not in by[("spot -10%", "every-step")]["tripped"]
    # the same trade costs more through thinner pools
    for r in rows:
        if r["trade"]:
            assert r["cost"] > 0 and r["impact_bps"] > 0
    base = by[("vol x2", "every-step")]
    assert base["trade"] != 0
    # the -10% move's trade costs more as liquidity leaves, and 90% gone trips the impact breaker
    moves = [by[(label, "every-step")] for label in ("spot -10%", "liquidity -50%, spot -10%", "liquidity -90%, spot -10%")]
    assert moves[0]["trade"] == moves[1]["trade"] == moves[2]["trade"]
    assert moves[0]["impact_bps"] < moves[1]["impact_bps"] < moves[2]["impact_bps"]
    assert "price-impact" not in moves[0]["tripped"]
    # the impulse band (the sample's keeper policy) trades the same way, back to its inner target
    # short of the centre, and stops shorter when thinner pools make each token dearer to trade
    for label in ("spot -30%", "spot -10%", "spot +10%", "vol x2"):
        full, band = by[(label, "every-step")]["trade"], by[(label, "impulse")]["trade"]
        assert full * band > 0 and 0 < abs(full) - abs(band) < 1.0, label
    thin = [abs(by[(label, "impulse")]["trade"]) for label in ("spot -10%", "liquidity -90%, spot -10%")]
    assert thin[1] < thin[0]


def test_should_show_the_stress_table(as_current: World, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "stress", "--policy", str(ROOT / "samples" / "policy.toml"))
    assert res.code == 0, res.err
    assert "vol x2" in res.out and "spot -30%" in res.out and "every-st" in res.out


def test_rejects_stress_on_a_weights_policy(as_current: World, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "stress", "--policy", str(ROOT / "samples" / "portfolio-policy.toml"))
    assert res.code == 2 and "[book]" in res.err
