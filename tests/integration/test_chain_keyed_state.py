"""Stored state is keyed by chain: after `chain down` / `chain up` a new chain starts with a clean
orderbook and auction history, and the old chain's rounds stay apart (never shown as this chain's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.processes import auction_db, chain_state_dir, orderbook_db
from contracts import chain
from keel.paths import state_dir


def test_a_new_chain_gets_its_own_orderbook_and_auction_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))
    assert chain_state_dir() == state_dir()  # no chain: KEEL_HOME itself
    try:
        chain.up(None, None, False)
        first = chain_state_dir()
        assert first.parent == state_dir() / "chains" and first.name.startswith("31337-")
        assert chain_state_dir() == first  # stable while the chain runs
        assert orderbook_db().parent == first and auction_db().parent == first
        orderbook_db().write_text("the first chain's intents")
        chain.down()
        chain.up(None, None, False)
        second = chain_state_dir()
        assert second != first and second.parent == first.parent
        assert not orderbook_db().exists()  # a clean start
        assert (first / "orderbook.db").read_text() == "the first chain's intents"  # kept apart, not lost
    finally:
        chain.down()
