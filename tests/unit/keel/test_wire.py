"""The wire edge: one way to prefix a field path, scalars that refuse what does not fit, error
paths that point into the input, and OpenAPI text generated deterministically."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import Field

from keel.errors import KeelError, NotFoundError, UsageError, join_path
from keel.openapi import ListOf, Route, openapi, render
from keel.wire import Address, Bytes32, Int, Strict, Uint, dump, parse

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"


def test_join_path_puts_a_dot_between_names_and_none_before_an_index() -> None:
    assert join_path("intents[0]", "intent.tokens[2]") == "intents[0].intent.tokens[2]"
    assert join_path("executions", "[1].flows") == "executions[1].flows"
    assert join_path("liquidity", None) == "liquidity" and join_path("", "x") == "x"


def test_within_prefixes_the_field_and_the_line_and_keeps_the_class() -> None:
    inner = NotFoundError("tokens[2]: 0x12 is not a token", "tokens[2]")
    outer = inner.within("intent")
    assert type(outer) is NotFoundError and outer.http_status == 404
    assert (outer.field, str(outer)) == ("intent.tokens[2]", "intent.tokens[2]: 0x12 is not a token")
    assert (inner.field, str(inner)) == ("tokens[2]", "tokens[2]: 0x12 is not a token")  # the original is untouched
    unnamed = UsageError("the batch is empty").within("intents[3]")
    assert (unnamed.field, str(unnamed)) == ("intents[3]", "intents[3]: the batch is empty")


def test_a_keel_error_is_one_line_with_its_field() -> None:
    err = KeelError("a\n   b", "x")
    assert (str(err), err.detail, err.field, err.kind) == ("a b", "a b", "x", "KeelError")


class Pool(Strict):
    kind: Literal["v2"]
    reserve: Uint


class Body(Strict):
    owner: Address
    amounts: dict[Address, Int]
    id: Bytes32
    pools: list[Pool] = Field(default_factory=list)


GOOD = {"owner": WETH.lower(), "amounts": {WETH: "-5"}, "id": "0x" + "AB" * 32, "pools": [{"kind": "v2", "reserve": 7}]}


def test_should_parse_integers_as_decimal_strings_and_addresses_checksummed() -> None:
    body = parse(Body, GOOD)
    assert body.owner == WETH and body.amounts == {WETH: -5} and body.id == "0x" + "ab" * 32
    assert dump(body) == {"owner": WETH, "amounts": {WETH: "-5"}, "id": "0x" + "ab" * 32,
                          "pools": [{"kind": "v2", "reserve": "7"}]}


@pytest.mark.parametrize(("change", "field"), [
    ({"owner": "0x12"}, "owner"),
    ({"amounts": {WETH: str(2**255)}}, f"amounts.{WETH}"),  # past int256
    ({"amounts": {"0xzz": "1"}}, "amounts.0xzz"),
    ({"amounts": {WETH: True}}, f"amounts.{WETH}"),
    ({"id": "0x12"}, "id"),
    ({"pools": [{"kind": "v2", "reserve": "-1"}]}, "pools[0].reserve"),
    ({"pools": [{"kind": "v3", "reserve": "1"}]}, "pools[0].kind"),
    ({"pools": [{"kind": "v2", "reserve": "9" * 5000}]}, "pools[0].reserve"),  # past Python's int() digit limit
    ({"extra": 1}, "extra"),
])
def test_refuses_a_bad_value_naming_its_path_in_the_input(change: dict, field: str) -> None:
    with pytest.raises(UsageError) as err:
        parse(Body, {**GOOD, **change}, UsageError)
    assert err.value.field == field and str(err.value).startswith(f"{field}: ") and "\n" not in str(err.value)


def test_names_a_missing_field_and_a_body_that_is_not_an_object() -> None:
    with pytest.raises(UsageError, match=r"^owner: is required$"):
        parse(Body, {k: v for k, v in GOOD.items() if k != "owner"})
    with pytest.raises(UsageError, match=r"^body: expected a JSON object$"):
        parse(Body, [GOOD])
    with pytest.raises(UsageError, match=r"^intent\.owner: is required$") as err:
        parse(Body, {k: v for k, v in GOOD.items() if k != "owner"}, prefix="intent")
    assert err.value.field == "intent.owner"


def test_generates_the_same_openapi_text_every_time_from_the_models() -> None:
    routes = [Route("/bodies", "post", "Post one", request=Body, responses={200: ("OK", ListOf(Pool)), 400: ("Bad", None)})]
    doc = openapi("t", "d", routes)
    assert render(doc) == render(openapi("t", "d", routes)) and json.loads(render(doc)) == doc
    assert set(doc["components"]["schemas"]) == {"Body", "Pool", "ErrorBody"}
    body = doc["components"]["schemas"]["Body"]
    assert body["properties"]["owner"]["pattern"] == "^0x[0-9a-fA-F]{40}$" and "title" not in body
    assert body["properties"]["pools"]["items"] == {"$ref": "#/components/schemas/Pool"}
    ok = doc["paths"]["/bodies"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"type": "array", "items": {"$ref": "#/components/schemas/Pool"}}
    assert doc["paths"]["/bodies"]["post"]["responses"]["400"]["$ref"] == "#/components/responses/Error"
