"""Validity is wall-clock time: a chain that sat idle longer than the validity still gives the full window.

A local chain mines nothing while idle, so its latest block's timestamp falls behind the wall
clock. Before, `validTo` was that stale timestamp plus `--valid`, and the intent was "expired"
the moment it was signed. Here the chain idles past a 10-second validity, then the CLI signs:
the intent passes the door's wall-clock check and keeps the whole window.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from commands.door import valid_to_s
from tests.integration.journey_support import Newcomer

VALID_S = 10


def test_valid_to_starts_at_the_later_of_the_two_clocks() -> None:
    assert valid_to_s(chain_s=1_000, wall_s=5_000, valid_s=600) == 5_600  # idle chain: the wall clock
    assert valid_to_s(chain_s=9_000, wall_s=5_000, valid_s=600) == 9_600  # chain ahead: never shorter on chain


def _latest_block_time(rpc_url: str) -> int:
    from web3 import Web3

    return int(Web3(Web3.HTTPProvider(rpc_url)).eth.get_block("latest")["timestamp"])


def test_an_intent_signed_on_a_chain_idle_past_its_validity_keeps_the_full_window(tmp_path: Path) -> None:
    me = Newcomer(tmp_path)
    try:
        rpc_url = me.ok("chain", "up", "--json").json()["rpc_url"]
        me.ok("account", "new", "dora")
        me.ok("account", "use", "dora")
        me.ok("account", "fund")
        me.ok("approve", "WETH", "USDC")
        # idle: nothing mines on this private chain, so its clock stops at the last block
        while time.time() - _latest_block_time(rpc_url) <= 2 * VALID_S:
            time.sleep(1)
        chain_s = _latest_block_time(rpc_url)
        before = time.time()
        run = me.ok("intent", "weights", "--token", "WETH=30", "--token", "USDC=70", "--valid", f"{VALID_S}s",
                    "--yes", "--out", "signed.json")
        signed = json.loads((tmp_path / "signed.json").read_text())["intent"]
        valid_to = int(signed["validTo"])
        assert signed["maxOracleDeviationBps"] == "100"  # the CLI guards by default (issue 13)
        assert chain_s + VALID_S < before  # by the chain's clock the old rule had already expired it
        assert before + VALID_S - 1 <= valid_to <= time.time() + VALID_S + 1
        assert "shorter than one auction round" in run.err  # 10 s is absurd: --yes made it a warning
    finally:
        me.keel("chain", "down")
