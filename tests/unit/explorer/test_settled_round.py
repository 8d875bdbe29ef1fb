"""A settled round in the explorer: the stored clearing prices (per token symbol, USD per whole
token), gas used on chain, savings and the route picture (a PNG drawn from the stored hops,
cached on disk); the JSON API carries the same stored figures."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from auction.rounds import SETTLED, RoundStore
from auction.settled import SettlementRecord
from explorer import picture
from explorer.app import make_app
from orderbook.store import SqliteStore
from tests.helpers import Server
from tests.unit.auction.test_node import call
from tests.unit.auction.test_settlement_records import TX, A, B, record

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return resp.status, resp.headers["Content-Type"], resp.read()


def test_should_show_a_settled_rounds_prices_gas_savings_and_route_picture(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "ob.db").close()
    rounds = RoundStore(tmp_path / "a.db")
    settled = rounds.open_round(100, [A, B])
    rounds.record_settlement(settled, record())
    rounds.close_round(settled, SETTLED, "http://127.0.0.1:8701", TX)
    netted = rounds.open_round(101, [A])
    rounds.record_settlement(netted, SettlementRecord(90_000, record().prices, (), (), {A: {}}, 1.0, 2.0))
    rounds.close_round(netted, SETTLED, "http://127.0.0.1:8701", TX)
    rounds.close()
    cache = tmp_path / "cache"
    srv = Server(make_app(str(tmp_path / "ob.db"), str(tmp_path / "a.db"), cache_dir=cache))
    try:
        status, _, html = get(f"{srv.url}/rounds/{settled}")
        text = html.decode()
        assert status == 200
        assert "gas used on chain: <b>714,573</b>" in text
        assert "<td>WETH</td><td>$3,000.00</td>" in text and "<td>USDC</td><td>$1.00000</td>" in text
        assert "$21.44 in this batch of 1 intents, against $143.39 routing each intent alone" in text
        assert "<b>$121.95 saved</b>" in text and "(1 could not be settled alone at all)" in text
        assert f"<img id='route' alt='route of round {settled}' src='/rounds/{settled}/route.png'" in text
        assert "gas (simulated)" in text

        status, kind, png = get(f"{srv.url}/rounds/{settled}/route.png")
        assert (status, kind) == (200, "image/png") and png.startswith(PNG_MAGIC) and len(png) > 10_000
        cached = cache / picture.cache_name(record(), settled)
        assert cached.read_bytes() == png  # drawn once, then served from disk
        assert get(f"{srv.url}/rounds/{settled}/route.png")[2] == png

        status, body = call(f"{srv.url}/api/rounds/{settled}")
        assert status == 200 and body["settlement"]["gasUsed"] == 714_573
        assert body["settlement"]["savings"]["savedUsd"] == record().saved_usd
        assert body["routePicture"] == f"/rounds/{settled}/route.png"
        rows = {r["round"]: r for r in call(f"{srv.url}/api/rounds")[1]}
        assert rows[settled]["gasUsed"] == 714_573 and rows[netted]["savedUsd"] == 1.0

        status, _, html = get(f"{srv.url}/rounds/{netted}")
        assert "No pool carried anything" in html.decode() and "route.png" not in html.decode()
        status, body = call(f"{srv.url}/rounds/{netted}/route.png")
        assert status == 404 and body["field"] == "route" and "netted entirely" in body["error"]
        status, body = call(f"{srv.url}/rounds/99/route.png")
        assert status == 404 and body["field"] == "round"
    finally:
        srv.stop()


def test_should_say_a_batch_that_cost_more_than_alone_as_such_never_as_a_negative_saving() -> None:
    from commands.explain import saving_sentence
    from explorer.pages import savings_sentence

    worse = {"batchCostUsd": 246.90, "aloneCostUsd": 223.98, "savedUsd": 223.98 - 246.90, "aloneUnsettled": [],
             "note": None}
    assert savings_sentence(worse, 3).endswith("alone: <b>$22.92 more</b> than alone.")
    assert saving_sentence({**worse, "batchIntents": 3, "aloneUnsettled": 0, "settledAloneToo": True}).endswith(
        "with each intent routed alone: $22.92 more than alone")
    missing = {"batchCostUsd": None, "aloneCostUsd": None, "savedUsd": None, "aloneUnsettled": [],
               "note": "not computed: NoSolution: no route"}
    assert savings_sentence(missing, 3) == "Savings not computed: NoSolution: no route."
