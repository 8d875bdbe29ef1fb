"""`auction/openapi.yml` is generated from the node's wire models, and says what the node serves."""

from __future__ import annotations

import json

from auction import openapi
from auction.node import make_app
from tests import schema_check
from tests.fakes.auctioneer import trusting
from tests.unit.auction.test_node import Fixed
from tests.unit.auction.test_verify import SETTLEMENT, SOLVER


def test_the_committed_file_is_the_one_the_models_generate() -> None:
    assert openapi.FILE.read_text() == openapi.render(openapi.document()), "run: python -m auction.openapi"
    assert openapi.main(["--check"]) == 0


def test_the_file_describes_exactly_the_routes_the_node_serves() -> None:
    app = make_app(Fixed(), SOLVER, **trusting(SETTLEMENT))
    served = {(r.resource.canonical, r.method.lower()) for r in app.router.routes() if r.method != "HEAD"}
    spec = json.loads(openapi.FILE.read_text())
    assert served == {(p, m) for p, ops in spec["paths"].items() for m in ops}


def test_the_schema_checker_understands_every_keyword_the_file_uses() -> None:
    spec = json.loads(openapi.FILE.read_text())
    assert schema_check.unknown_keywords(spec["components"]["schemas"], names=True) == set()
    notify = spec["components"]["schemas"]["Notify"]["properties"]
    assert spec["components"]["schemas"]["Verdict"]["enum"] == ["settled", "failed", "lost", "dropped", "empty"]
    assert "won" not in json.dumps(notify) and notify["dropReason"]["anyOf"][0]["$ref"].endswith("/DropReason")
