"""A newcomer's first intent, end to end, from a fresh keystore: the README's journey with its checks.

`keel up` → a new account → refused at the door while unfunded → `keel account fund` → refused
while the relayer is not approved → `keel approve` → sign and submit → `keel intent wait` →
`keel intent show`: what I got (fills, clearing prices, fee, the band reached, the saving against
routing it alone, as the round recorded it) → history.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.integration.journey_support import Newcomer

WEIGHTS = ("intent", "weights", "--token", "WETH=30", "--token", "USDC=70", "--tolerance", "0.5%",
           "--slippage", "1%", "--valid", "10m", "--submit", "--yes")


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert lines[-1].startswith("keel: "), err
    return lines[-1]


def test_a_newcomer_funds_approves_signs_waits_and_sees_what_they_got(tmp_path: Path) -> None:
    me = Newcomer(tmp_path)
    try:
        me.ok("up", "--json")
        address = me.ok("account", "new", "carol", "--json").json()["address"]
        me.ok("account", "use", "carol")

        refused = me.keel(*WEIGHTS)
        assert refused.code == 5 and "holds none of" in _one_line(refused.err) and "keel account fund" in refused.err

        funded = me.ok("account", "fund", "--json").json()
        assert funded["owner"] == address and funded["funded"]["USDC"] == 30_000 * 10**6

        refused = me.keel(*WEIGHTS)
        assert refused.code == 5, refused.err
        assert "allowance" in _one_line(refused.err) and "keel approve WETH" in refused.err

        me.ok("approve", "WETH", "USDC")
        signed_at = time.time()
        submitted = me.ok(*WEIGHTS, "--json").json()
        intent_id = submitted["id"]
        assert submitted["orderbook"]["status"] == "open"
        valid_to = int(submitted["signed"]["intent"]["validTo"])
        assert signed_at + 600 - 2 <= valid_to <= time.time() + 600 + 2  # the full window, by the wall clock

        waited = me.ok("intent", "wait", intent_id[:12], "--timeout", "120", "--json", timeout=180).json()
        assert waited["id"] == intent_id and waited["status"] == "settled" and waited["txHash"]

        shown = me.ok("intent", "show", intent_id[:10], "--json").json()
        got = shown["settled"]
        fills = {f["token"]: f["filled (tokens)"] for f in got["fills"]}
        assert fills["WETH"].startswith("-") and fills["USDC"].startswith("+"), fills
        prices = {p["token"]: p["clearing price (USD per token)"] for p in got["prices"]}
        assert prices["USDC"].startswith("$") and prices["WETH"].startswith("$")
        assert got["inside"] is True and all(row["inside"] == "yes" for row in got["outcome"])
        assert 0 <= got["fee_usd"] <= got["given_usd"] * 30 / 10_000  # within the signed 0.3% max fee
        assert any(line.startswith("settled in transaction") for line in shown["explanation"])
        saving = shown["saving"]  # the figures the auctioneer stored when the round settled
        assert isinstance(shown["settledIn"], int) and saving["batchIntents"] == 1 and saving["settledAloneToo"]
        assert saving["batchCostUsd"] > 0 and saving["aloneCostUsd"] > 0
        assert abs(saving["savedUsd"] - (saving["aloneCostUsd"] - saving["batchCostUsd"])) < 1e-9

        words = me.ok("intent", "show").out  # no id: the default account's newest intent
        assert "what you got" in words and "inside the signed band" in words and "clearing prices" in words
        assert f"saving (round {shown['settledIn']}, recorded when it settled): its batch of 1 intents" in words
        assert "gas used on chain:" in words

        history = me.ok("intent", "history", "--json").json()
        assert [r["id"] for r in history] == [intent_id]
    finally:
        down = me.keel("down", "--json")
    assert down.code == 0 and len(down.json()["deregistered"]) == 2
