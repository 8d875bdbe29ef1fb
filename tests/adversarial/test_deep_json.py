"""Deeply nested JSON from another party is a 4xx or a refusal, never a dead process.

py_ecc (imported with eth_account) raises Python's recursion limit to 100,000, so the C
JSON decoder recursing once per `[` overflows the C stack between ~40k and ~65k levels
and the process dies with SIGSEGV. Each attack runs in a child process so that, were the
bound missing, the child's exit code (139) shows it instead of killing the test runner.
Loopback only; each child is bounded by a timeout.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from keel.wire import MAX_JSON_DEPTH, json_depth, loads

ROOT = Path(__file__).resolve().parents[2]
DEEP = [b"[" * 100_000, b'{"a":' * 100_000]


def run_child(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"child exited {proc.returncode}: {proc.stderr[-600:]}"
    return proc.stdout


def test_depth_is_counted_outside_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth('"\\"[[["') == 0
    assert loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(ValueError, match="nested 65 deep"):
        loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_orderbook_answers_400_naming_body_and_stays_up() -> None:
    out = run_child("""
        import tempfile, sys
        from pathlib import Path
        import py_ecc.bn128  # noqa: F401  (raises the recursion limit, as in the server)
        assert sys.getrecursionlimit() >= 100_000
        from orderbook.api import OrderbookConfig, make_app
        from orderbook.store import SqliteStore
        from tests.adversarial.fuzz_support import CHAIN_ID, SETTLEMENT, TOKENS, http, serving
        store = SqliteStore(Path(tempfile.mkdtemp()) / "ob.db")
        with serving(make_app(store, OrderbookConfig(CHAIN_ID, SETTLEMENT, dict(TOKENS)))) as ob:
            for body in [b"[" * 100_000, b'{"a":' * 100_000]:
                s1, a1 = http("POST", ob + "/intents", body)
                s2, a2 = http("DELETE", ob + "/intents/0x" + "00" * 32, body)
                assert (s1, a1["field"]) == (400, "body") and (s2, a2["field"]) == (400, "body"), (s1, a1, s2, a2)
            print("health", http("GET", ob + "/health")[0])
    """)
    assert "health 200" in out


def test_solver_node_answers_400_before_solving() -> None:
    out = run_child("""
        import py_ecc.bn128  # noqa: F401
        from auction.node import make_app
        from tests.fakes.auctioneer import signed_headers, trusting
        from tests.adversarial.fuzz_support import http
        from tests.helpers import Server
        from tests.unit.auction.test_verify import SETTLEMENT, SOLVER, cow

        class Cow:
            name = "cow"
            def solve(self, auction, solver):
                return cow(auction)

        node = Server(make_app(Cow(), SOLVER, "http://127.0.0.1:1", **trusting(SETTLEMENT)))
        try:
            body = b"[" * 100_000
            status, answer = http("POST", node.url + "/solve", body,
                                  headers=signed_headers(node.url + "/solve", body))
            print(status, answer["field"])
        finally:
            node.stop()
    """)
    assert out.split() == ["400", "body"]


def test_auctioneer_reads_a_deep_answer_as_not_json() -> None:
    out = run_child("""
        import py_ecc.bn128  # noqa: F401
        from auction.auctioneer.collect import read_answer
        from auction.auctioneer.stages import Asked, Refused
        from auction.endpoint import Endpoint
        from tests.unit.auction.test_verify import SOLVER
        for text in ["[" * 100_000, '{"a":' * 100_000]:
            outcome = read_answer(Asked(Endpoint("http://127.0.0.1:1", SOLVER, 0.0), 5), 200, text)
            assert isinstance(outcome, Refused), outcome
            print(outcome.drop.reason.name)
    """)
    assert out.split() == ["NOT_JSON", "NOT_JSON"]
