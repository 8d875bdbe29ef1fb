"""`keel.http.add_metrics`: `/metrics` in Prometheus text, every request counted by route pattern."""

from __future__ import annotations

import urllib.error
import urllib.request

from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from keel.errors import UsageError
from keel.http import add_metrics, errors_middleware
from keel.metrics import breaker_label, field_label
from tests.helpers import Server


def _samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def _item(request: web.Request) -> web.Response:
    if request.match_info["id"] == "bad":
        raise UsageError("id: bad is not an id", "id")
    return web.json_response({"ok": True})


def _count(samples: dict, route: str, status: str) -> float:
    return samples.get(("keel_http_requests_total", frozenset(
        {"service": "unit", "route": route, "status": status}.items())), 0.0)


def test_should_count_requests_by_route_pattern_and_the_status_the_client_got() -> None:
    app = web.Application(middlewares=[errors_middleware])
    app.router.add_get("/items/{id}", _item)
    add_metrics(app, "unit")
    srv = Server(app)
    try:
        before = _samples(srv.url)
        statuses = [_get(f"{srv.url}/items/{i}") for i in ("a", "b", "bad")] + [_get(f"{srv.url}/nowhere")]
        after = _samples(srv.url)
    finally:
        srv.stop()
    assert statuses == [200, 200, 400, 404]
    assert _count(after, "/items/{id}", "200") - _count(before, "/items/{id}", "200") == 2
    assert _count(after, "/items/{id}", "400") - _count(before, "/items/{id}", "400") == 1
    assert _count(after, "unmatched", "404") - _count(before, "unmatched", "404") == 1
    # the raw paths never become labels
    assert not any("/items/a" in dict(labels).get("route", "") for _name, labels in after)


def test_labels_are_bounded_field_roots_and_breaker_names() -> None:
    assert field_label("intent.minPrice[2]") == "intent"
    assert field_label("tokens[3]") == "tokens"
    assert field_label(None) == ""
    assert breaker_label("price-impact: 312 bps price impact > limit 200") == "price_impact"
    assert breaker_label("") == "unknown"


def test_the_grafana_dashboard_plots_every_keel_metric_and_only_those() -> None:
    import json
    import re
    from pathlib import Path

    from prometheus_client import REGISTRY

    dashboard = json.loads((Path(__file__).resolve().parents[3] / "docs" / "grafana-keel.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    used = {re.sub(r"_(total|bucket|count|sum)$", "", m) for m in re.findall(r"\bkeel_[a-z_]+", exprs)}
    defined = {m.name for m in REGISTRY.collect() if m.name.startswith("keel_")}
    assert used == defined
