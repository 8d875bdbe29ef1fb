"""The orderbook API over real HTTP on 127.0.0.1: acceptance, refusals (4xx JSON, nothing stored), cancel.

Every test runs on both storage backends (`db_location`: a sqlite file, a real Postgres database).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from intents.errors import DuplicateIntent, IntentError, IntentNotFound
from intents.lifecycle import IntentStore
from intents.model import Intent
from intents.signing import sign_cancellation, sign_intent
from intents.wire import SignedIntentModel
from orderbook import client
from orderbook.api import OrderbookConfig, make_app
from orderbook.store import open_store
from tests import schema_check
from tests.helpers import Server as BaseServer
from tests.unit.intents.test_model import SETTLEMENT, USDC, WBTC, WETH, weights_intent

CHAIN = 31337
NOW = 1_800_000_000
OWNER = Account.create()


class Server(BaseServer):
    """The orderbook app over `store`, served on a free port."""

    def __init__(self, store: IntentStore, config: OrderbookConfig) -> None:
        self.store = store
        super().__init__(make_app(store, config))


@pytest.fixture()
def server(db_location: str) -> Iterator[Server]:
    config = OrderbookConfig(CHAIN, SETTLEMENT, {USDC: "USDC", WETH: "WETH", WBTC: "WBTC"}, clock=lambda: NOW)
    srv = Server(open_store(db_location), config)
    yield srv
    srv.stop()


def body_for(intent: Intent, key: Any = None, chain_id: int = CHAIN, settlement: str = SETTLEMENT) -> dict[str, Any]:
    signed = sign_intent(intent, key if key is not None else OWNER.key, chain_id, settlement)
    return SignedIntentModel.from_signed(signed, chain_id).model_dump(mode="json")


def mine(**changes: Any) -> Intent:
    return weights_intent(owner=OWNER.address, **changes)


def test_should_accept_a_signed_intent_and_serve_it_back(server: Server) -> None:
    intent = mine()
    answer = client.request(server.url, "POST", "/intents", body_for(intent))
    assert answer == {"id": intent.intent_id(CHAIN, SETTLEMENT), "status": "open"}
    record = client.request(server.url, "GET", f"/intents/{answer['id']}")
    assert record["status"] == "open" and record["intent"]["owner"] == OWNER.address
    listed = client.request(server.url, "GET", f"/intents?status=open&owner={OWNER.address}")
    assert [r["id"] for r in listed] == [answer["id"]]
    assert client.request(server.url, "GET", "/health")["intents"] == 1


def _expect(server: Server, body: Any, exc: type[Exception], field: str, match: str) -> None:
    with pytest.raises(exc, match=match) as err:
        client.request(server.url, "POST", "/intents", body)
    assert err.value.field == field  # type: ignore[attr-defined]
    assert server.store.count() == 0


@pytest.mark.parametrize(
    ("make_body", "field", "match"),
    [
        (lambda: body_for(mine(target_weight_bps=(3000, 5000, 1000))), "intent.targetWeightBps", "sum to 90%"),
        (lambda: body_for(mine(valid_to=NOW - 60)), "intent.validTo", "expired 60s ago"),
        (lambda: body_for(mine(tokens=(USDC, WETH, "0x6B175474E89094C44Da98b954EedeAC495271d0F"))), "intent.tokens[2]", "not a token"),
        (lambda: body_for(mine(), chain_id=1), "chainId", "signed for chain 1"),
        (lambda: body_for(mine(), settlement=WETH), "signature", "another chain id or settlement"),
        (lambda: body_for(mine(), key=Account.create().key), "signature", "not its owner"),
        (lambda: {k: v for k, v in body_for(mine()).items() if k != "signature"}, "signature", "required"),
        (lambda: body_for(mine()) | {"intent": {"owner": OWNER.address}}, "intent.tokens", "required"),
        (lambda: [1], "body", "JSON object"),
    ],
    ids=["weights-sum", "expired", "unknown-token", "wrong-chain", "wrong-settlement", "wrong-signer",
         "unsigned", "malformed", "not-object"],
)
def test_rejects_a_bad_intent_with_a_4xx_naming_the_field(server: Server, make_body: Any, field: str, match: str) -> None:
    _expect(server, make_body(), IntentError, field, match)


def test_rejects_invalid_json_with_400(server: Server) -> None:
    import urllib.request

    req = urllib.request.Request(server.url + "/intents", data=b"{nope", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    import json

    assert json.loads(err.value.read()) == {"error": "body: not valid JSON", "kind": "IntentError", "field": "body"}


def test_rejects_a_duplicate_and_a_replayed_nonce_with_409(server: Server) -> None:
    client.request(server.url, "POST", "/intents", body_for(mine(nonce=9)))
    with pytest.raises(DuplicateIntent) as err:
        client.request(server.url, "POST", "/intents", body_for(mine(nonce=9)))
    assert err.value.field == "id"
    with pytest.raises(DuplicateIntent, match="replayed nonce") as err:
        client.request(server.url, "POST", "/intents", body_for(mine(nonce=9, max_fee_bps=10)))
    assert err.value.field == "nonce" and server.store.count() == 1


def test_should_cancel_only_with_the_owners_signed_cancellation(server: Server) -> None:
    intent_id = client.request(server.url, "POST", "/intents", body_for(mine()))["id"]
    thief = Account.create()
    forged = {"signingScheme": 0, "signature": "0x" + sign_cancellation(intent_id, thief.key, CHAIN, SETTLEMENT).hex()}
    with pytest.raises(IntentError, match="cancellation") as err:
        client.request(server.url, "DELETE", f"/intents/{intent_id}", forged)
    assert err.value.field == "signature"
    assert client.request(server.url, "GET", f"/intents/{intent_id}")["status"] == "open"
    real = {"signingScheme": 0, "signature": "0x" + sign_cancellation(intent_id, OWNER.key, CHAIN, SETTLEMENT).hex()}
    assert client.request(server.url, "DELETE", f"/intents/{intent_id}", real)["status"] == "cancelled"
    assert client.request(server.url, "GET", f"/intents/{intent_id}")["status"] == "cancelled"


def test_answers_404_for_an_unknown_id_and_400_for_a_malformed_one(server: Server) -> None:
    with pytest.raises(IntentNotFound):
        client.request(server.url, "GET", "/intents/0x" + "12" * 32)
    with pytest.raises(IntentError) as err:
        client.request(server.url, "GET", "/intents/xyz")
    assert err.value.field == "id"
    with pytest.raises(IntentError) as err:
        client.request(server.url, "GET", "/intents?status=lost")
    assert err.value.field == "status"


SPEC = json.loads((Path(__file__).resolve().parents[3] / "orderbook" / "openapi.yml").read_text())


def test_should_describe_every_route_in_the_openapi_file(server: Server) -> None:
    app = make_app(server.store, OrderbookConfig(CHAIN, SETTLEMENT, {}))
    routes = {(r.resource.canonical, r.method.lower()) for r in app.router.routes() if r.method != "HEAD"}
    described = {(p, m) for p, ops in SPEC["paths"].items() for m in ops if m != "parameters"}
    assert routes == described


def _raw(server: Server, method: str, path: str, raw: bytes | None = None) -> tuple[int, Any]:
    import urllib.request

    req = urllib.request.Request(server.url + path, data=raw, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_should_answer_with_the_shapes_the_openapi_file_requires(server: Server) -> None:
    def check(route: str, method: str, status: int, body: Any) -> None:
        assert schema_check.conforms(SPEC, body, schema_check.response_schema(SPEC, route, method, status)) == []

    schemas = SPEC["components"]["schemas"]
    status, accepted = _raw(server, "POST", "/intents", json.dumps(body_for(mine())).encode())
    assert status == 201
    check("/intents", "post", status, accepted)
    status, record = _raw(server, "GET", f"/intents/{accepted['id']}")
    check("/intents/{id}", "get", status, record)
    assert set(schemas["IntentRecord"]["required"]) <= set(record)
    assert set(schemas["Intent"]["properties"]) == set(record["intent"])
    assert record["status"] in schemas["IntentStatus"]["enum"]
    status, listed = _raw(server, "GET", "/intents?status=open&limit=5")
    assert status == 200 and len(listed) == 1
    check("/intents", "get", status, listed)
    status, health = _raw(server, "GET", "/health")
    check("/health", "get", status, health)
    refusals = [("/intents", "GET", "/intents?limit=0", None, 400), ("/intents", "POST", "/intents", b"[]", 400),
                ("/intents/{id}", "GET", "/intents/0x" + "12" * 32, None, 404),
                ("/intents/{id}", "GET", "/intents/xyz", None, 400)]
    for route, method, path, raw, expected in refusals:
        status, refused = _raw(server, method, path, raw)
        assert status == expected
        check(route, method.lower(), status, refused)
        assert set(refused) == set(schemas["ErrorBody"]["required"])


def test_the_schema_check_notices_a_record_that_breaks_the_file(server: Server) -> None:
    _, accepted = _raw(server, "POST", "/intents", json.dumps(body_for(mine())).encode())
    _, record = _raw(server, "GET", f"/intents/{accepted['id']}")
    schema = schema_check.response_schema(SPEC, "/intents/{id}", "get", 200)
    assert schema_check.conforms(SPEC, record, schema) == []
    assert schema_check.conforms(SPEC, {**record, "status": "lost"}, schema) != []
    assert schema_check.conforms(SPEC, {**record, "nonce": 1}, schema) != []
    assert schema_check.conforms(SPEC, {k: v for k, v in record.items() if k != "owner"}, schema) == ["$.owner: missing"]
