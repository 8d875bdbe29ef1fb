"""A real round over loopback moves the counters every service's `/metrics` shows.

The orderbook and a `baseline` solver node run as aiohttp servers, the auctioneer's metrics
server as `keel auction run --metrics-port` starts it; intents arrive by HTTP (one accepted,
two refused), the auctioneer runs a round on the fork. Each `/metrics` is scraped before and
after and the differences are what happened: nothing is read from the registry directly.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from auction.auctioneer import Auctioneer
from auction.node import make_app as node_app
from auction.registry import Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView
from contracts.anvil import free_port
from intents.wire import SignedIntentModel
from keel.metrics import serve_metrics
from orderbook.api import OrderbookConfig
from orderbook.api import make_app as orderbook_app
from orderbook.store import SqliteStore
from solver.strategies.baseline import Baseline
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server
from tests.integration.auction_support import weights_intent
from tests.unit.auction.test_node import call

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of `url`/metrics, keyed by name and labels."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much the sample `name{labels}` grew between two scrapes (0 when absent from both)."""
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture()
def services(chain: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    store, rounds, registry = SqliteStore(tmp_path / "ob.db"), RoundStore(tmp_path / "a.db"), Registry(tmp_path / "a.db")
    tokens = {t.address: t.symbol for t in chain.deployment.tokens.values()}
    orderbook = Server(orderbook_app(store, OrderbookConfig(chain.chain_id, chain.settlement, tokens)))
    node = Server(node_app(Baseline(), chain.solvers[0].address, chain.rpc_url, **trusting(chain.settlement)))
    port = free_port()
    exporter, _thread = serve_metrics(port)
    registry.register(chain.solvers[0].address, node.url)
    try:
        yield {"store": store, "rounds": rounds, "registry": registry, "orderbook": orderbook.url,
               "node": node.url, "auctioneer": f"http://127.0.0.1:{port}"}
    finally:
        exporter.shutdown()
        node.stop()
        orderbook.stop()  # closes the store
        rounds.close()
        registry.close()


def test_a_settled_round_moves_intents_rounds_solutions_gas_and_latency_counters(chain: Any, services: Any) -> None:
    urls = {k: services[k] for k in ("orderbook", "node", "auctioneer")}
    before = {name: scrape(url) for name, url in urls.items()}

    signed = weights_intent(chain, 0, {"USDC": 50, "WETH": 30, "WBTC": 20})
    body = SignedIntentModel.from_signed(signed, chain.chain_id).model_dump(mode="json", exclude_none=True)
    assert call(f"{urls['orderbook']}/intents", "POST", body)[0] == 201
    assert call(f"{urls['orderbook']}/intents", "POST", body)[0] == 409  # the same intent twice
    assert call(f"{urls['orderbook']}/intents", "POST", {**body, "chainId": 1})[0] == 400  # signed for another chain

    auctioneer = Auctioneer(chain.web3(), WorldView(chain.chain_id, chain.deployment), services["store"],
                            services["rounds"], services["registry"].all, deadline_s=20.0, signer=AUCTIONEER)
    result = asyncio.run(auctioneer.run_round())
    assert result is not None and result.status == "settled"
    gas_used = next(c.gas_used for c in result.candidates if c.verdict == "settled")

    after = {name: scrape(url) for name, url in urls.items()}
    ob_b, ob_a = before["orderbook"], after["orderbook"]
    assert moved(ob_b, ob_a, "keel_intents_accepted_total") == 1
    assert moved(ob_b, ob_a, "keel_intents_refused_total", reason="DuplicateIntent", field="id") == 1
    assert moved(ob_b, ob_a, "keel_intents_refused_total", reason="IntentError", field="chainId") == 1
    assert moved(ob_b, ob_a, "keel_http_requests_total", service="orderbook", route="/intents", status="201") == 1

    node_b, node_a = before["node"], after["node"]
    assert moved(node_b, node_a, "keel_http_requests_total", service="solver", route="/solve", status="200") == 1
    assert moved(node_b, node_a, "keel_http_request_seconds_count", service="solver", route="/solve") == 1

    au_b, au_a = before["auctioneer"], after["auctioneer"]
    assert moved(au_b, au_a, "keel_rounds_total", status="settled") == 1
    assert moved(au_b, au_a, "keel_solutions_total", verdict="settled", reason="") == 1
    assert moved(au_b, au_a, "keel_round_seconds_count") == 1
    assert moved(au_b, au_a, "keel_solve_seconds_count") == 1
    assert moved(au_b, au_a, "keel_settle_seconds_count") == 1
    assert moved(au_b, au_a, "keel_settlement_gas_count") == 1
    assert moved(au_b, au_a, "keel_settlement_gas_sum") == gas_used > 0


def test_a_tripped_breaker_in_the_keeper_moves_its_counter(chain: Any) -> None:
    from prometheus_client import REGISTRY

    from contracts.artifacts import keel
    from tests.integration.test_breakers import HOUR, _keeper, _tripped

    def trips() -> float:
        return REGISTRY.get_sample_value("keel_breaker_trips_total", {"breaker": "stale-oracle"}) or 0.0

    kp, reader, script = _keeper(chain)
    script.move(0, 3000.0)
    feed = script.w3.eth.contract(address=chain.deployment.feed("WETH").address, abi=keel("PriceFeed").abi)
    t = script.t0 + 2 * HOUR
    script._at(t - 1, feed.functions.setAnswerAt(300_000_000_000, t - 2 * HOUR))  # a feed two hours stale
    script.w3.provider.make_request("evm_setNextBlockTimestamp", [t])
    script.w3.provider.make_request("evm_mine", [])
    before = trips()
    step = kp.step(reader.read())
    assert _tripped(step) == ["stale-oracle"]
    assert trips() - before == 1
