"""The orderbook API never calls its store on the event loop: while one request's store call is
held (a slow commit, a Postgres round trip), other requests — health, a submission, a cancel —
are answered. On both storage backends."""

from __future__ import annotations

import threading
from typing import Any, cast

from eth_account import Account

from intents.lifecycle import IntentStore
from intents.signing import sign_cancellation
from orderbook import client
from orderbook.api import OrderbookConfig, make_app
from orderbook.store import open_store
from tests.helpers import Server
from tests.unit.intents.test_model import SETTLEMENT, USDC, WBTC, WETH, weights_intent
from tests.unit.orderbook.test_api import CHAIN, NOW, body_for


class HeldStore:
    """A real store whose `list` waits until the test releases it (the other methods pass through)."""

    def __init__(self, inner: IntentStore) -> None:
        self.inner, self.entered, self.release = inner, threading.Event(), threading.Event()

    def list(self, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.release.wait(60), "the test never released the held list"
        return self.inner.list(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_should_answer_other_requests_while_a_store_call_is_held(db_location: str) -> None:
    held = HeldStore(open_store(db_location))
    config = OrderbookConfig(CHAIN, SETTLEMENT, {USDC: "USDC", WETH: "WETH", WBTC: "WBTC"}, clock=lambda: NOW)
    srv = Server(make_app(cast(IntentStore, held), config))
    listed: dict[str, Any] = {}
    lister = threading.Thread(target=lambda: listed.update(rows=client.request(srv.url, "GET", "/intents")))
    try:
        lister.start()
        assert held.entered.wait(30)
        owner = Account.create()
        intent = weights_intent(owner=owner.address)
        # the list is still held in the store pool: the loop answers everything else meanwhile
        assert client.request(srv.url, "GET", "/health")["intents"] == 0
        accepted = client.request(srv.url, "POST", "/intents", body_for(intent, owner.key))
        assert client.request(srv.url, "GET", f"/intents/{accepted['id']}")["status"] == "open"
        sig = sign_cancellation(accepted["id"], owner.key, CHAIN, SETTLEMENT)
        cancelled = client.request(srv.url, "DELETE", f"/intents/{accepted['id']}",
                                   {"signingScheme": 0, "signature": "0x" + sig.hex()})
        assert cancelled["status"] == "cancelled" and not held.release.is_set() and "rows" not in listed
        held.release.set()
        lister.join(30)
        assert [r["id"] for r in listed["rows"]] == [accepted["id"]]
    finally:
        held.release.set()
        lister.join(30)
        srv.stop()
