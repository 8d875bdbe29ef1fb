"""Property-based fuzz of every parser a user or a peer can feed: intents, options books,
policy files, auction and solution JSON. Each input either parses, or is refused with one
`KeelError` line that names the offending field; nothing else ever escapes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auction import wire as solver_wire
from intents.signing import verify_intent
from intents.validate import check_intent
from intents.wire import parse_signed
from keel.errors import KeelError
from risk import book as book_mod
from risk.backtest import paths as price_paths
from risk.policies import config as policy_config
from tests.adversarial.fuzz_support import (
    CHAIN_ID,
    OWNER,
    SETTLEMENT,
    TOKENS,
    USDC,
    WETH,
    assert_one_line_naming_a_field,
    json_values,
    mutated,
    signed_body,
)

REPO = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refused_cleanly(fn: Any, *args: Any) -> Any:
    """Call fn; a KeelError must be one line naming a field; any other exception fails the test."""
    try:
        return fn(*args)
    except KeelError as exc:
        assert_one_line_naming_a_field(exc)
        return None


# ---- intents --------------------------------------------------------------------------

def _accept_intent(body: Any) -> str:
    signed = parse_signed(body)
    check_intent(signed.intent, TOKENS, int(time.time()))
    return verify_intent(signed, CHAIN_ID, SETTLEMENT)


def test_should_accept_the_unmutated_intent_body() -> None:
    assert _accept_intent(signed_body()).startswith("0x")


@FUZZ
@given(mutated(signed_body()))
def test_should_refuse_a_mutated_intent_with_one_line_naming_the_field(body: Any) -> None:
    refused_cleanly(_accept_intent, body)


@FUZZ
@given(json_values)
def test_should_refuse_arbitrary_json_as_an_intent_with_one_line(body: Any) -> None:
    refused_cleanly(_accept_intent, body)


# ---- options books --------------------------------------------------------------------

BOOK_CSV = (REPO / "samples" / "book.csv").read_text()
BOOK_ROWS = list(csv.reader(io.StringIO(BOOK_CSV)))
cells = st.text(max_size=12) | st.sampled_from(["", "-", "nan", "inf", "1e999", "0", "-5", "100%", "2027-13-40",
                                                  "call", "put", "x", "0x10", "1_000"])


@st.composite
def mutated_csv(draw: st.DrawFn) -> str:
    rows = [list(r) for r in BOOK_ROWS]
    for _ in range(draw(st.integers(1, 3))):
        r = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["cell", "cell", "drop_column", "drop_row", "extra_cell"]))
        if op == "cell" and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(cells)
        elif op == "drop_column" and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif op == "drop_row" and len(rows) > 1:
            del rows[r]
        else:
            rows[r].append(draw(cells))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def test_should_parse_the_sample_books() -> None:
    assert len(book_mod.parse_csv(BOOK_CSV)) == len(BOOK_ROWS) - 1
    assert len(book_mod.parse_json((REPO / "samples" / "book.json").read_text())) > 0


@FUZZ
@given(mutated_csv())
def test_should_refuse_a_mutated_csv_book_naming_the_column(text: str) -> None:
    refused_cleanly(book_mod.parse_csv, text)


@FUZZ
@given(mutated(json.loads((REPO / "samples" / "book.json").read_text())))
def test_should_refuse_a_mutated_json_book_naming_the_field(data: Any) -> None:
    refused_cleanly(book_mod.parse_json, json.dumps(data))


@FUZZ
@given(st.text(max_size=200))
@example("\r0")  # a lone carriage return inside a field (found by this fuzz)
def test_should_refuse_arbitrary_text_as_a_book(text: str) -> None:
    refused_cleanly(book_mod.parse_csv, text)
    refused_cleanly(book_mod.parse_json, text)


# ---- policy files ---------------------------------------------------------------------

def _toml_value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if abs(v) < 2**63 else json.dumps(str(v))
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(x for x in (_toml_value(i) for i in v) if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {x}" for k, i in v.items() if (x := _toml_value(i)) is not None) + "}"
    raise TypeError(v)


def to_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for fuzzed policy dicts: tables, arrays of tables, inline values."""
    lines = []
    for k, v in data.items():
        if not isinstance(v, dict) and not (isinstance(v, list) and v and all(isinstance(i, dict) for i in v)):
            x = _toml_value(v)
            if x is not None:
                lines.append(f"{json.dumps(k)} = {x}")
    for k, v in data.items():
        tables = [v] if isinstance(v, dict) else v if isinstance(v, list) and v and all(isinstance(i, dict) for i in v) else []
        for t in tables:
            lines.append(f"[{json.dumps(k)}]" if isinstance(v, dict) else f"[[{json.dumps(k)}]]")
            lines += [f"{json.dumps(kk)} = {x}" for kk, vv in t.items() if (x := _toml_value(vv)) is not None]
    return "\n".join(lines) + "\n"


POLICY = tomllib.loads((REPO / "samples" / "policy.toml").read_text())
PORTFOLIO_POLICY = tomllib.loads((REPO / "samples" / "portfolio-policy.toml").read_text())


def _load_policy(text: str) -> Any:
    spec = policy_config.parse(text)
    if not spec.is_weights:
        for p in spec.policies:
            policy_config.variants(p)
        policy_config.keeper_policy(spec)
    return spec


def test_should_parse_the_sample_policies_through_the_fuzzers_writer() -> None:
    assert _load_policy(to_toml(POLICY)).policies
    assert policy_config.parse(to_toml(PORTFOLIO_POLICY)).is_weights


@FUZZ
@given(mutated(POLICY) | mutated(PORTFOLIO_POLICY))
def test_should_refuse_a_mutated_policy_file_naming_the_key(data: Any) -> None:
    text = to_toml(data) if isinstance(data, dict) else f"x = {_toml_value(data) or 0}\n"
    refused_cleanly(_load_policy, text)


@FUZZ
@given(st.text(max_size=200))
def test_should_refuse_arbitrary_text_as_a_policy_file(text: str) -> None:
    refused_cleanly(_load_policy, text)


# ---- auction and solution JSON --------------------------------------------------------

def auction_json() -> dict[str, Any]:
    body = signed_body()
    intent_id = parse_signed(body).intent.intent_id(CHAIN_ID, SETTLEMENT)
    return {
        "id": 7, "chainId": CHAIN_ID, "settlement": SETTLEMENT, "block": 1, "deadline": 4_000_000_000_000,
        "tokens": {USDC: {"symbol": "USDC", "decimals": 6, "referencePrice": str(10**30)},
                   WETH: {"symbol": "WETH", "decimals": 18, "referencePrice": str(3000 * 10**18)}},
        "intents": [{"id": intent_id, **{k: v for k, v in body.items() if k != "chainId"}}],
        "balances": {OWNER.address: {USDC: "1000000000", WETH: "1000000000000000000"}},
        "liquidity": {}, "gasPrice": "1000000000", "nativePrice": str(3000 * 10**18),
    }


def solution_json() -> dict[str, Any]:
    return {
        "auctionId": 7, "solver": OWNER.address, "prices": {USDC: str(10**30), WETH: str(3000 * 10**18)},
        "executions": [{"intentId": "0x" + "ab" * 32, "flows": {USDC: "-3000000", WETH: "1000000000000000"}}],
        "interactions": [{"target": USDC, "value": "0", "callData": "0x095ea7b3"}],
        "score": "1", "gas": 200000,
    }


def test_should_round_trip_the_unmutated_auction_and_solution() -> None:
    auction = solver_wire.auction_from_json(auction_json())
    assert solver_wire.auction_to_json(auction)["intents"][0]["id"] == auction_json()["intents"][0]["id"]
    assert solver_wire.solution_from_json(solution_json()).gas == 200000


@FUZZ
@given(mutated(auction_json()))
def test_should_refuse_a_mutated_auction_naming_the_field(data: Any) -> None:
    refused_cleanly(solver_wire.auction_from_json, data)


@FUZZ
@given(mutated(solution_json()))
def test_should_refuse_a_mutated_solution_naming_the_field(data: Any) -> None:
    refused_cleanly(solver_wire.solution_from_json, data)


# ---- backtest price series (CSV) ------------------------------------------------------

PRICES_CSV = (REPO / "samples" / "prices.csv").read_text()
PRICE_ROWS = list(csv.reader(io.StringIO(PRICES_CSV)))[:12]


@st.composite
def mutated_prices(draw: st.DrawFn) -> str:
    rows = [list(r) for r in PRICE_ROWS]
    r = draw(st.integers(0, len(rows) - 1))
    if rows[r]:
        rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(cells)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def test_should_parse_the_sample_price_series() -> None:
    assert len(price_paths.parse_csv(PRICES_CSV).timestamps) > 2


@FUZZ
@given(mutated_prices() | st.text(max_size=200))
@example("timestamp,WETH\n1,2\r3\n5,6\n")
def test_should_refuse_a_bad_price_series_naming_the_row(text: str) -> None:
    refused_cleanly(price_paths.parse_csv, text)
