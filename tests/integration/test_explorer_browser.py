"""The explorer in a real headless Chromium while a real round settles on the fork.

The rounds page is open before the round runs; the round appears in it without a reload
(server-sent events). Its page shows each solution's verdict and reason in words and the batch
the auctioneer stored: gas used on chain, clearing prices, savings and the route picture (a
PNG that loads with a real size); a settled intent's page shows its fills (the settlement's
BatchSettled ids and settle calldata), its recorded fill and its batch's saving; an intent the round
left open says why, and the search finds intents by owner prefix. Screenshots go to the test's
tmp dir (KEEL_EXPLORER_SHOT=path also copies the round page there, for docs/explorer.png).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from auction.auctioneer import Auctioneer
from auction.node import make_app as node_app
from auction.registry import Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView
from explorer.app import make_app as explorer_app
from explorer.chain import fills_reader
from intents.lifecycle import OPEN, SETTLED
from orderbook.store import SqliteStore
from solver.strategies.baseline import Baseline
from tests.fakes import strategies as bad
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server
from tests.integration.test_auction_round import offsetting_batch, submit_all

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
WAIT_MS = 120_000


def run_in_thread(auctioneer: Auctioneer) -> Any:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = asyncio.run(auctioneer.run_round())
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(300)
    if "error" in out:
        raise out["error"]
    return out["result"]


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    profile = tmp_path / "chromium-profile"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                       args=FLAGS, viewport={"width": 1400, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()


def test_a_round_settling_on_the_fork_shows_live_with_fills_and_reasons(chain: Any, tmp_path: Path,
                                                                       browser: Any) -> None:
    ob_path, a_path = tmp_path / "ob.db", tmp_path / "a.db"
    orderbook, rounds, registry = SqliteStore(ob_path), RoundStore(a_path), Registry(a_path)
    ids = submit_all(chain, orderbook, offsetting_batch(chain))
    honest = Server(node_app(Baseline(), chain.solvers[0].address, chain.rpc_url, **trusting(chain.settlement)))
    garbage = Server(bad.garbage_app("wrong-shape"))
    registry.register(chain.solvers[0].address, honest.url)
    registry.register(chain.solvers[1].address, garbage.url)
    explorer = Server(explorer_app(str(ob_path), str(a_path), fills_reader(chain.rpc_url, chain.settlement)))
    page = browser
    try:
        page.goto(explorer.url + "/")
        page.evaluate("window.keelNoReload = true")
        assert page.locator("#rounds tr").count() == 0

        auctioneer = Auctioneer(chain.web3(), WorldView(chain.chain_id, chain.deployment), orderbook, rounds,
                                registry.all, deadline_s=20.0, signer=AUCTIONEER)
        result = run_in_thread(auctioneer)  # playwright's sync API owns this thread's event loop
        assert result is not None and result.status == "settled"

        # the round arrives over SSE, in the page loaded before it ran
        row = page.locator(f"#rounds tr[data-round='{result.round_id}']")
        row.locator("td.settled").wait_for(timeout=WAIT_MS)
        assert page.evaluate("window.keelNoReload") is True
        assert result.tx_hash in row.inner_text()
        page.screenshot(path=str(tmp_path / "rounds.png"), full_page=True)

        row.locator("a").click()
        page.wait_for_url(f"**/rounds/{result.round_id}")
        text = page.inner_text("body")
        assert "settled" in text and "dropped" in text and "malformed" in text
        # the batch as the auctioneer stored it: gas used on chain, clearing prices, savings, the route picture
        kept = rounds.settlement(result.round_id)
        assert kept is not None and kept.hops
        assert kept.gas_used == chain.web3().eth.get_transaction_receipt(result.tx_hash)["gasUsed"]
        assert page.inner_text("#gas-used") == f"gas used on chain: {kept.gas_used:,} (the settle transaction's receipt)"
        prices = page.locator("#prices tr")
        assert prices.count() == len(kept.prices) and "$" in prices.first.inner_text()
        assert {p.symbol for p in kept.prices} <= set(page.inner_text("#prices").split())
        assert "routing each intent alone" in page.inner_text("#savings")
        route = page.locator("img#route")
        route.wait_for(timeout=WAIT_MS)
        page.wait_for_function("document.getElementById('route').complete", timeout=WAIT_MS)
        size = page.evaluate("[document.getElementById('route').naturalWidth, document.getElementById('route').naturalHeight]")
        assert size[0] > 100 and size[1] > 100, size
        page.screenshot(path=str(tmp_path / "round.png"), full_page=True)
        if os.environ.get("KEEL_EXPLORER_SHOT"):
            shutil.copy(tmp_path / "round.png", os.environ["KEEL_EXPLORER_SHOT"])

        settled = [i for i in ids if orderbook.get(i).status == SETTLED]
        left = [i for i in ids if orderbook.get(i).status == OPEN]
        assert settled and left
        page.goto(f"{explorer.url}/intents/{settled[0]}")
        fills = page.locator("#fills tr")
        assert fills.count() == 1
        assert result.tx_hash in fills.inner_text()
        assert page.locator("#filled tr").count() >= 2  # what it gave and what it got, as the round recorded
        assert "Its batch:" in page.inner_text("#saving") and "routing each intent alone" in page.inner_text("#saving")
        page.screenshot(path=str(tmp_path / "intent-settled.png"), full_page=True)

        page.goto(f"{explorer.url}/intents/{left[0]}")
        why = page.inner_text("#why")
        assert why.startswith("open:") and f"round {result.round_id}" in why and "left this one" in why
        page.screenshot(path=str(tmp_path / "intent-open.png"), full_page=True)

        owner = orderbook.get(left[0]).owner
        page.fill("input[name=q]", owner[:10])
        page.press("input[name=q]", "Enter")
        page.wait_for_url("**/intents?q=*")
        assert left[0][:18] in page.inner_text("body")
    finally:
        explorer.stop()
        honest.stop()
        garbage.stop()
        for s in (orderbook, rounds, registry):
            s.close()
