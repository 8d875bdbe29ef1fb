"""The explorer's refusals are keel's one-line JSON errors naming the field; empty stores are empty pages."""

from __future__ import annotations

from pathlib import Path

from auction.rounds import RoundStore
from explorer.app import make_app
from orderbook.store import SqliteStore
from tests.helpers import Server
from tests.unit.auction.test_node import call


def test_should_refuse_a_bad_round_number_and_an_unknown_intent_and_list_nothing_on_empty_stores(
        tmp_path: Path) -> None:
    for store in (SqliteStore(tmp_path / "ob.db"), RoundStore(tmp_path / "a.db")):
        store.close()  # created, migrated, empty
    srv = Server(make_app(str(tmp_path / "ob.db"), str(tmp_path / "a.db")))
    try:
        assert call(f"{srv.url}/api/rounds") == (200, [])
        assert call(f"{srv.url}/api/intents?q=0xabc") == (200, [])
        status, body = call(f"{srv.url}/api/rounds/one")
        assert status == 400 and body["field"] == "round" and body["error"] == "round: 'one' is not a round number"
        status, body = call(f"{srv.url}/api/rounds/7")
        assert status == 404 and body["field"] == "round" and body["error"] == "round: no round 7"
        status, body = call(f"{srv.url}/api/intents/0xdead")
        assert status == 404 and body["field"] == "intent"
    finally:
        srv.stop()
