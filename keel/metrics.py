"""Prometheus metrics of every keel service, defined once (prometheus-client's process registry).

Each service process exposes the same registry on `GET /metrics` (`keel.http.add_metrics`
for aiohttp apps; `serve_metrics` for the auctioneer, which has no HTTP app of its own). A
metric a process never touches stays at zero in its scrape, so one Grafana dashboard
(docs/grafana-keel.json) reads every service.

Labels are bounded sets only (a route pattern, an error class, a top-level field, a verdict,
a drop reason, a round status, a breaker name): never an intent id, an owner or a URL.

    keel_http_requests_total{service,route,status}   every request the service answered
    keel_http_request_seconds{service,route}          its latency (on a solver node, /solve is solve latency)
    keel_intents_accepted_total                       POST /intents answered 201
    keel_intents_refused_total{reason,field}          POST /intents refused: error kind, top-level field
    keel_rounds_total{status}                         rounds the auctioneer closed (settled, unsettled, empty, running)
    keel_round_seconds                                one round, snapshot to notify
    keel_solve_seconds                                each solver's answer time as the auctioneer saw it
    keel_settle_seconds                               submit the winner's settle() and wait for its receipt
    keel_solutions_total{verdict,reason}              candidates by verdict (settled, lost, dropped, failed) and drop reason
    keel_settlement_gas                               gas used by each settlement transaction that mined
    keel_breaker_trips_total{breaker}                 circuit breakers that refused to sign or route
"""

from __future__ import annotations

import re
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
GAS_BUCKETS = (100_000, 200_000, 300_000, 500_000, 750_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000,
               5_000_000, 10_000_000, 15_000_000, 30_000_000)  # 30M: one block

HTTP_REQUESTS = Counter("keel_http_requests", "Requests answered, by route pattern and status.",
                        ["service", "route", "status"])
HTTP_SECONDS = Histogram("keel_http_request_seconds", "Request latency by route pattern.", ["service", "route"],
                         buckets=LATENCY_BUCKETS_S)
INTENTS_ACCEPTED = Counter("keel_intents_accepted", "Intents the orderbook accepted (201).")
INTENTS_REFUSED = Counter("keel_intents_refused", "Intents the orderbook refused, by error kind and top-level field.",
                          ["reason", "field"])
ROUNDS = Counter("keel_rounds", "Auction rounds closed, by status.", ["status"])
ROUND_SECONDS = Histogram("keel_round_seconds", "One auction round, snapshot to notify.", buckets=LATENCY_BUCKETS_S)
SOLVE_SECONDS = Histogram("keel_solve_seconds", "Each solver's answer time, as the auctioneer measured it.",
                          buckets=LATENCY_BUCKETS_S)
SETTLE_SECONDS = Histogram("keel_settle_seconds", "Submitting the best settle() until its receipt (or refusal).",
                           buckets=LATENCY_BUCKETS_S)
SOLUTIONS = Counter("keel_solutions", "Candidates of each round, by verdict and drop reason.", ["verdict", "reason"])
SETTLEMENT_GAS = Histogram("keel_settlement_gas", "Gas used by each settlement transaction that mined.",
                           buckets=GAS_BUCKETS)
BREAKER_TRIPS = Counter("keel_breaker_trips", "Circuit breakers that refused to sign or route, by breaker.",
                        ["breaker"])

_INDEX = re.compile(r"\[\d+\]")


def field_label(field: str | None) -> str:
    """The top-level name of an error's field path (`intent.minPrice[2]` -> `intent`): a bounded label."""
    if not field:
        return ""
    return _INDEX.sub("", field).split(".", 1)[0][:40]


def breaker_label(reason: str) -> str:
    """A breaker's name from its reason sentence (`price_impact: 3.1% > 2%` -> `price_impact`)."""
    head = reason.split(":", 1)[0].strip()
    return re.sub(r"[^a-z0-9_]+", "_", head.lower())[:40] or "unknown"


def exposition() -> tuple[bytes, str]:
    """This process's metrics in the Prometheus text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def serve_metrics(port: int, host: str = "127.0.0.1") -> tuple[WSGIServer, threading.Thread]:
    """Serve `/metrics` on host:port from a daemon thread (for processes without an aiohttp app).

    The caller stops it with `server.shutdown()`; a taken port is an `OSError` for the caller to word.
    """
    server, thread = start_http_server(port, addr=host)
    return server, thread
