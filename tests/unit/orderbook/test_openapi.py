"""`orderbook/openapi.yml` is generated from the orderbook's wire models."""

from __future__ import annotations

import json

from orderbook import openapi
from tests import schema_check


def test_the_committed_file_is_the_one_the_models_generate() -> None:
    assert openapi.FILE.read_text() == openapi.render(openapi.document()), "run: python -m orderbook.openapi"
    assert openapi.main(["--check"]) == 0


def test_the_schema_checker_understands_every_keyword_the_file_uses() -> None:
    spec = json.loads(openapi.FILE.read_text())
    assert schema_check.unknown_keywords(spec["components"]["schemas"], names=True) == set()
    listing = {p["name"]: p for p in spec["paths"]["/intents"]["get"]["parameters"]}
    assert set(listing) == {"status", "owner", "limit"} and listing["limit"]["schema"]["maximum"] == 1000
