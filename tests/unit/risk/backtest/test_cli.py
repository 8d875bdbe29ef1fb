"""`keel backtest` in-process with flat costs (no chain): a run, its JSON and plot, and bad
input refused with one line naming the field and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[4]
FLAT = """
[book]
file = "{book}"
[costs]
model = "flat"
flat_bps = 5
[backtest]
days = 5
steps_per_day = 24
[[policies]]
name = "time"
kind = "time"
interval_hours = 24
sweep = [2, 24]
[[policies]]
name = "ww"
kind = "whalley-wilmott"
risk_aversion = 0.0001
"""


def _policy(tmp_path: Path, text: str = FLAT, book: Path | None = None) -> Path:
    p = tmp_path / "policy.toml"
    p.write_text(text.format(book=book or ROOT / "samples" / "book.csv"))
    return p


def test_should_backtest_every_variant_and_plot_the_frontier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "frontier.png"
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path)), "--paths", "200", "--seed", "3",
                  "--plot", str(png), "--json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    assert [(r["policy"], r["param"]) for r in rows] == [("time", 2.0), ("time", 24.0), ("ww", 0.0001)]
    fast, slow = rows[0], rows[1]
    assert fast["trades_mean"] > slow["trades_mean"] and fast["cost_mean"] > slow["cost_mean"]
    assert fast["hedge_error"] < slow["hedge_error"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_should_replay_a_price_csv_as_a_distribution_with_an_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "prices.csv"
    csv.write_text("timestamp,WETH\n" + "".join(f"{1800000000 + 3600 * i},{3000 + 15 * (i % 7)}\n" for i in range(48)))
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path)), "--model", f"csv:{csv}", "--paths", "300",
                  "--json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    assert all(r["paths"] == 300 for r in rows)
    # block-bootstrapped histories differ, so the hedge error is a figure with an interval, not 0
    daily = rows[1]  # time, every 24 h: it carries risk between trades
    assert daily["hedge_error"] > 0
    assert 0 < daily["hedge_error_lo"] < daily["hedge_error"] < daily["hedge_error_hi"]


def test_should_replay_the_shipped_sample_prices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path)), "--model", f"csv:{ROOT / 'samples' / 'prices.csv'}", "--json")
    assert res.code == 0, res.err


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (FLAT + "colour = 'red'\n", "policies[1].colour: unknown key"),
        (FLAT.replace("risk_aversion = 0.0001", "risk_aversion = -1"), "policies[1].risk_aversion"),
        (FLAT.replace("[costs]", "[costs]\nmodel2 = 1"), "costs.model2"),
    ],
)
def test_rejects_a_bad_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str) -> None:
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path, text)))
    assert res.code == 2 and words in res.err and res.err.count("\n") == 1 and "Traceback" not in res.err


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("timestamp,WETH\n0,3000\n3600,\n7200,3000\n", "row 3: gap"),
        ("timestamp,WETH\n0,3000\n0,3000\n3600,3000\n", "row 3: duplicate timestamp"),
        ("timestamp,WETH\n0,3000\n3600,-1\n7200,3000\n", "row 3: WETH price must be positive"),
    ],
)
def test_rejects_a_bad_price_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, words: str) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(body)
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path)), "--model", f"csv:{csv}")
    assert res.code == 2 and words in res.err and "Traceback" not in res.err


def test_rejects_a_book_whose_options_have_all_expired(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "old.csv"
    book.write_text("underlying,type,strike,expiry,quantity,implied_vol\nWETH,call,3000,2021-03-26,-40,62%\n")
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path, book=book)))
    assert res.code == 2 and "expired" in res.err and "Traceback" not in res.err


def test_rejects_a_correlation_matrix_that_is_not_psd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("[portfolio]\ntokens = ['USDC', 'WETH', 'WBTC']\ntarget = [30, 50, 20]\nvols = [0, 0.8, 0.6]\n"
            "correlation = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]\n[costs]\nmodel = 'flat'\n"
            "[[policies]]\nname = 'd'\nkind = 'threshold'\nband = 0.05\n")
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path, text)), "--paths", "10")
    assert res.code == 2 and "correlation" in res.err and "positive semi-definite" in res.err


def test_should_backtest_a_weights_portfolio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "samples" / "portfolio-policy.toml").read_text().replace('model = "pools"', 'model = "flat"')
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path, text.replace("{", "{{").replace("}", "}}"))),
                  "--paths", "50", "--json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    drift = [r for r in rows if r["policy"] == "drift"]
    assert drift[0]["trades_mean"] > drift[-1]["trades_mean"]  # narrower band, more rebalances


def test_rejects_an_unknown_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path)), "--model", "heston")
    assert res.code == 2 and "model" in res.err


def test_should_start_hedged_unless_told_to_hold_something_else(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = _policy(tmp_path)
    runs = {}
    for flag in ("--start-hedged", "--no-start-hedged"):
        res = run_cli(capsys, "backtest", "--policy", str(policy), "--paths", "50", "--trades", "--json", flag)
        assert res.code == 0, res.err
        runs[flag] = json.loads(res.out)
    hedged, cold = runs["--start-hedged"][2], runs["--no-start-hedged"][2]  # the Whalley-Wilmott band
    assert hedged["trades"][0][0] > 0 and cold["trades"][0][0] == 0  # cold buys its hedge at step 0
    assert cold["cost_mean"] > hedged["cost_mean"]
    assert cold["hedge_error"] == pytest.approx(hedged["hedge_error"], rel=0.05)  # same risk, less cost


def test_should_backtest_the_impulse_band_under_mean_reverting_gas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = FLAT + '[[policies]]\nname = "impulse"\nkind = "impulse"\nrisk_aversion = 0.001\n' \
                  '[[policies]]\nname = "timing"\nkind = "gas-timing"\nrisk_aversion = 0.001\n'
    policy = _policy(tmp_path, text)
    by = {}
    for gas in ("constant", "mean-reverting"):
        res = run_cli(capsys, "backtest", "--policy", str(policy), "--paths", "100", "--gas", gas, "--json")
        assert res.code == 0, res.err
        by[gas] = {r["policy"]: r for r in json.loads(res.out)}
    # at constant gas the gas bill is trades x $9; with gas moving the timed policy pays less per trade
    fixed = by["constant"]["impulse"]
    assert fixed["gas_mean"] == pytest.approx(fixed["trades_mean"] * 9.0, rel=0.02)
    timed = by["mean-reverting"]["timing"]
    assert timed["gas_mean"] / timed["trades_mean"] < 9.0


def test_rejects_an_unknown_gas_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "backtest", "--policy", str(_policy(tmp_path)), "--gas", "spiky")
    assert res.code == 2 and "gas" in res.err and "Traceback" not in res.err
