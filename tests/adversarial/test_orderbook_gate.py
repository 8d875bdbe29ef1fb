"""Every chain call of the orderbook, cancellations included, waits behind one bounded gate.

Review of issue 14: `DELETE /intents/{id}` ran its EIP-1271 check in the chain pool without
`MAX_PENDING_CHECKS`, so gas-burning cancellations could queue without limit behind the
submissions' cap. With the gate full, a cancellation is a 503 before any chain call, and it
succeeds once the gate drains. Loopback, a real sqlite store.
"""

from __future__ import annotations

import json
from pathlib import Path

from intents.signing import sign_cancellation
from keel.wire import hex_bytes
from orderbook.api import GATE_KEY, MAX_PENDING_CHECKS, OrderbookConfig, make_app
from orderbook.store import SqliteStore
from tests.adversarial.fuzz_support import (
    CHAIN_ID,
    OWNER,
    SETTLEMENT,
    TOKENS,
    http,
    serving,
    signed_body,
)


def test_a_cancellation_waits_behind_the_same_pending_cap_as_submissions(tmp_path: Path) -> None:
    app = make_app(SqliteStore(tmp_path / "ob.db"), OrderbookConfig(CHAIN_ID, SETTLEMENT, dict(TOKENS)))
    with serving(app) as ob:
        status, accepted = http("POST", ob + "/intents", json.dumps(signed_body()).encode())
        assert status == 201
        intent_id = accepted["id"]
        signature = hex_bytes(sign_cancellation(intent_id, OWNER.key, CHAIN_ID, SETTLEMENT))
        body = json.dumps({"signature": signature}).encode()
        app[GATE_KEY].pending = MAX_PENDING_CHECKS  # as if 64 gas-burning checks were waiting for the chain
        status, answer = http("DELETE", f"{ob}/intents/{intent_id}", body)
        assert (status, answer["kind"]) == (503, "ChainBusy"), (status, answer)
        assert http("GET", f"{ob}/intents/{intent_id}")[1]["status"] == "open"
        app[GATE_KEY].pending = 0
        status, answer = http("DELETE", f"{ob}/intents/{intent_id}", body)
        assert (status, answer["status"]) == (200, "cancelled"), (status, answer)
