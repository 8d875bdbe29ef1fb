"""Property-based fuzz of every HTTP endpoint, over real loopback sockets: the orderbook
(`orderbook.api`) and the solver node (`auction.node`, running the milp strategy on a real
liquidity snapshot). Whatever the body, query or path, the answer is never a 5xx, and every
4xx is the keel JSON error body `{"error", "kind", "field"}` with a one-line message.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auction import node as solver_node
from intents.signing import sign_cancellation
from intents.wire import parse_signed
from orderbook.api import OrderbookConfig, make_app
from orderbook.store import SqliteStore
from routing.pools import Liquidity, Token, V2Pool
from solver.strategies.milp import Milp
from tests.adversarial.fuzz_support import (
    CHAIN_ID,
    HUGE_INT,
    OWNER,
    SETTLEMENT,
    TOKENS,
    USDC,
    WETH,
    assert_clean_answer,
    encode,
    http,
    json_values,
    mutated,
    serving,
    signed_body,
)
from tests.adversarial.test_fuzz_parsers import auction_json
from tests.fakes.auctioneer import signed_headers, trusting

FUZZ = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
path_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
raw_bodies = st.binary(max_size=300) | json_values.map(encode)


def _body(value: Any) -> bytes:
    return encode(value)


def _signed(url: str, body: bytes) -> tuple[int, Any]:
    """POST `body` as the node's auctioneer would: signed, so the fuzz reaches the parsers."""
    return http("POST", url, body, headers=signed_headers(url, body))


# ---- the orderbook --------------------------------------------------------------------

@pytest.fixture(scope="module")
def orderbook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = SqliteStore(Path(tmp_path_factory.mktemp("orderbook")) / "orderbook.db")
    config = OrderbookConfig(CHAIN_ID, SETTLEMENT, {a: s for a, s in TOKENS.items()})
    with serving(make_app(store, config)) as url:
        yield url


def test_should_accept_a_valid_intent_and_refuse_its_replay(orderbook: str) -> None:
    body = signed_body(nonce=10**9)
    status, answer = http("POST", orderbook + "/intents", _body(body))
    assert status == 201 and answer["status"] == "open"
    status, answer = http("POST", orderbook + "/intents", _body(body))
    assert status == 409 and answer["kind"] == "DuplicateIntent" and answer["field"] == "id"


@FUZZ
@given(body=mutated(signed_body(nonce=5)) | json_values, nonce=st.integers(0, 2**64))
def test_should_never_500_on_a_fuzzed_intent_post(orderbook: str, body: Any, nonce: int) -> None:
    if isinstance(body, dict) and isinstance(body.get("intent"), dict) and "nonce" in body["intent"]:
        body["intent"]["nonce"] = str(nonce)  # most mutants then differ from each other
    status, answer = http("POST", orderbook + "/intents", _body(body))
    assert_clean_answer(status, answer)
    if status >= 400:
        assert answer["field"], answer


@FUZZ
@given(raw_bodies)
def test_should_never_500_on_raw_bytes_posted_as_an_intent(orderbook: str, raw: bytes) -> None:
    assert_clean_answer(*http("POST", orderbook + "/intents", raw))


@FUZZ
@given(st.dictionaries(st.sampled_from(["status", "owner", "limit", "x"]), path_text, max_size=3))
def test_should_never_500_on_a_fuzzed_listing_query(orderbook: str, query: dict[str, str]) -> None:
    status, answer = http("GET", orderbook + "/intents?" + urllib.parse.urlencode(query))
    assert_clean_answer(status, answer)
    assert status == 200 or answer["field"] in ("status", "owner", "limit"), answer


@FUZZ
@given(intent_id=path_text | st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex()), body=raw_bodies)
def test_should_never_500_on_a_fuzzed_intent_id_or_cancellation(orderbook: str, intent_id: str, body: bytes) -> None:
    quoted = urllib.parse.quote(intent_id, safe="")
    assert_clean_answer(*http("GET", f"{orderbook}/intents/{quoted}"))
    assert_clean_answer(*http("DELETE", f"{orderbook}/intents/{quoted}", body))


def test_should_cancel_with_the_owners_signature_and_refuse_a_stranger(orderbook: str) -> None:
    body = signed_body(nonce=10**9 + 1)
    status, answer = http("POST", orderbook + "/intents", _body(body))
    assert status == 201
    intent_id = answer["id"]
    assert parse_signed(body).intent.intent_id(CHAIN_ID, SETTLEMENT) == intent_id
    stranger = "0x" + sign_cancellation(intent_id, (8).to_bytes(32, "big"), CHAIN_ID, SETTLEMENT).hex()
    status, answer = http("DELETE", f"{orderbook}/intents/{intent_id}", _body({"signature": stranger}))
    assert status == 400 and answer["field"] == "signature"
    mine = "0x" + sign_cancellation(intent_id, OWNER.key, CHAIN_ID, SETTLEMENT).hex()
    status, answer = http("DELETE", f"{orderbook}/intents/{intent_id}", _body({"signature": mine}))
    assert status == 200 and answer["status"] == "cancelled"


@FUZZ
@given(method=st.sampled_from(METHODS), path=path_text, raw=raw_bodies)
def test_should_answer_unknown_routes_with_a_json_error(orderbook: str, method: str, path: str, raw: bytes) -> None:
    status, answer = http(method, orderbook + "/" + urllib.parse.quote(path), raw)
    assert_clean_answer(status, answer)


# ---- the solver node ------------------------------------------------------------------

def _liquidity() -> dict[str, Any]:
    pair = V2Pool("0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc", USDC, WETH, 20_000_000 * 10**6, 6_666 * 10**18)
    tokens = {USDC: Token(USDC, "USDC", 6), WETH: Token(WETH, "WETH", 18)}
    return Liquidity(tokens, (pair,), 1, WETH).to_json()


def _auction() -> dict[str, Any]:
    return {**auction_json(), "liquidity": _liquidity()}


@pytest.fixture(scope="module")
def solver_url() -> Iterator[str]:
    with serving(solver_node.make_app(Milp(), OWNER.address, **trusting(SETTLEMENT))) as url:
        yield url


def test_should_solve_the_unmutated_auction_on_the_snapshot(solver_url: str) -> None:
    status, answer = _signed(solver_url + "/solve", _body(_auction()))
    assert status == 200, answer
    assert answer["solution"] is not None, answer["reason"]
    assert answer["solution"]["executions"][0]["intentId"] == _auction()["intents"][0]["id"]


@FUZZ
@given(mutated(_auction()))
def test_should_never_500_on_a_fuzzed_auction(solver_url: str, body: Any) -> None:
    status, answer = _signed(solver_url + "/solve", _body(body))
    assert_clean_answer(status, answer)
    if status == 200:
        assert set(answer) == {"solution", "reason"}
    else:
        assert answer["field"], answer


@FUZZ
@given(path=st.sampled_from(["/solve", "/notify", "/settle"]), raw=raw_bodies)
def test_should_never_500_on_raw_bytes_posted_to_the_solver(solver_url: str, path: str, raw: bytes) -> None:
    assert_clean_answer(*_signed(solver_url + path, raw))
    status, answer = http("POST", solver_url + path, raw)  # the same bytes unsigned: refused before parsing
    assert status == 401 and answer["kind"] == "Unauthenticated"


@FUZZ
@given(notify=mutated({"auctionId": 1, "verdict": "lost", "dropReason": "outranked", "reason": "outbid",
                       "txHash": None}),
       settle=mutated({"auctionId": 1, "calldata": "0x00", "to": SETTLEMENT, "gas": 100000}))
def test_should_never_500_on_a_fuzzed_notify_or_settle(solver_url: str, notify: Any, settle: Any) -> None:
    assert_clean_answer(*_signed(solver_url + "/notify", _body(notify)))
    status, answer = _signed(solver_url + "/settle", _body(settle))
    assert_clean_answer(status, answer)
    assert status >= 400, "the node proposed nothing for auction 1: it must refuse to settle"


def test_should_list_notifications_and_answer_health(solver_url: str) -> None:
    settled = {"auctionId": 3, "verdict": "settled", "txHash": "0x" + "ab" * 32}
    assert _signed(solver_url + "/notify", _body(settled))[0] == 200
    status, refused = _signed(solver_url + "/notify", _body({"auctionId": 4, "verdict": "won"}))
    assert status == 400 and refused["field"] == "verdict"  # never sent, so never accepted
    status, listed = http("GET", solver_url + "/notifications")
    assert status == 200 and any(n["auctionId"] == 3 and n["verdict"] == "settled" for n in listed)
    assert not any(n["auctionId"] == 4 for n in listed)
    status, health = http("GET", solver_url + "/health")
    assert status == 200 and health["strategy"] == "milp"


@FUZZ
@given(method=st.sampled_from(METHODS), path=path_text)
def test_should_answer_unknown_solver_routes_with_a_json_error(solver_url: str, method: str, path: str) -> None:
    assert_clean_answer(*http(method, solver_url + "/" + urllib.parse.quote(path)))


# ---- the 500s, one by one ---------------------------------------------------------

def _with_huge(body: dict[str, Any], *path: Any) -> bytes:
    node = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = HUGE_INT
    return encode(body)


def test_a_huge_json_integer_is_a_400_naming_its_field_on_every_post(orderbook: str, solver_url: str) -> None:
    status, answer = http("POST", orderbook + "/intents", _with_huge(signed_body(nonce=77), "intent", "nonce"))
    assert status == 400 and answer["field"] == "intent.nonce", answer
    body = signed_body(nonce=78)
    status, answer = http("POST", orderbook + "/intents", _body(body))
    assert status == 201
    status, answer = http("DELETE", f"{orderbook}/intents/{answer['id']}",
                          _with_huge({"signature": "0x00", "signingScheme": 0}, "signingScheme"))
    assert status == 400 and answer["field"] == "signingScheme", answer
    status, answer = _signed(solver_url + "/solve", _with_huge(_auction(), "id"))
    assert status == 400 and answer["field"] == "id", answer
    status, answer = _signed(solver_url + "/solve", _with_huge(_auction(), "gasPrice"))
    assert status == 400 and answer["field"] == "gasPrice", answer


def test_a_hex_chain_id_is_parsed_once_as_the_number_it_is(orderbook: str) -> None:
    status, answer = http("POST", orderbook + "/intents", _body({**signed_body(nonce=79), "chainId": "0x7a69"}))
    assert status == 201, answer  # 0x7a69 == 31337, this orderbook's chain
    status, answer = http("POST", orderbook + "/intents", _body({**signed_body(nonce=80), "chainId": "0x7a6a"}))
    assert status == 400 and answer["field"] == "chainId", answer
