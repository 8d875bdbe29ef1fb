"""Inputs for the fuzz tests: valid bodies built offline, hypothesis mutations of them, and a
real HTTP server on a free loopback port for an aiohttp app, run in a background thread.

A mutation keeps most of a valid body and breaks one thing (replace a value anywhere with
any JSON value, delete a key, add an unknown key), so the fuzz reaches the checks past the
outer shape instead of bouncing off "expected an object" every time.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eth_account import Account
from hypothesis import strategies as st

from intents.model import Intent, IntentKind
from intents.signing import sign_intent
from intents.wire import SignedIntentModel

CHAIN_ID = 31337
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
TOKENS = {USDC: "USDC", WETH: "WETH"}
OWNER = Account.from_key((7).to_bytes(32, "big"))

HUGE_INT = "__keel_fuzz_huge_int__"  # replaced by a 5,000-digit JSON integer literal in `encode`
HUGE_LITERAL = "9" * 5_000  # past Python's 4,300-digit int() limit
HEX_STRINGS = ["0x7a69", "0X7A69", "-0x1", "0x" + "f" * 64, "0x" + "f" * 65, "0x" + "1" * 5_000, "9" * 79,
               "-" + "9" * 79, "1" * 5_000, " 0x10 ", "0x_1"]

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=24)
    | st.sampled_from(["0x", "0x00", "-1", "1e400", "", " ", "0xzz", USDC.lower(), "115792089237316195423570985008687907853269984665640564039457584007913129639936"])
    | st.sampled_from([*HEX_STRINGS, HUGE_INT])
)


def encode(value: Any) -> bytes:
    """JSON bytes of `value`, with every HUGE_INT string turned into a bare 5,000-digit integer."""
    return json.dumps(value).replace(f'"{HUGE_INT}"', HUGE_LITERAL).encode()
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def signed_body(nonce: int = 1, valid_to: int = 4_000_000_000) -> dict[str, Any]:
    intent = Intent(owner=OWNER.address, tokens=(USDC, WETH), min_price=(10**18, 2_900 * 10**6),
                    max_price=(10**18, 3_100 * 10**6), kind=IntentKind.WEIGHTS, target_weight_bps=(5000, 5000),
                    tolerance_bps=50, max_fee_bps=30, valid_to=valid_to, nonce=nonce)
    signed = sign_intent(intent, OWNER.key, CHAIN_ID, SETTLEMENT)
    return SignedIntentModel.from_signed(signed, CHAIN_ID).model_dump(mode="json")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with one thing broken somewhere (or, rarely, replaced wholesale)."""
    body = copy.deepcopy(base)
    path = draw(st.sampled_from(_paths(body)))
    op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    if not path:
        return draw(json_values) if op == "replace" else body
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "replace":
        parent[last] = draw(json_values)
    elif op == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    else:
        parent.append(draw(json_values))
    return body


def assert_one_line_naming_a_field(exc: BaseException) -> None:
    from keel.errors import KeelError

    assert isinstance(exc, KeelError), f"{type(exc).__name__}: {exc}"
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, text
    assert getattr(exc, "field", None), f"no field named: {text}"


# ---- a real HTTP server for an app, on loopback -----------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an aiohttp app on 127.0.0.1:<free port> from a background thread; yield its URL."""
    from aiohttp import web

    loop = asyncio.new_event_loop()
    port = free_port()
    runner = web.AppRunner(app)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def http(method: str, url: str, body: bytes | None = None, timeout_s: float = 30.0,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, parsed JSON or raw text) for one request; never raises on an HTTP status."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {"Content-Type": "application/json"})
    for attempt in range(3):
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                status, raw = resp.status, resp.read()
            break
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
            break
        except ConnectionResetError:
            if attempt == 2:
                raise
            time.sleep(0.05)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def assert_clean_answer(status: int, body: Any) -> None:
    """Never a 5xx; every error is the keel JSON body naming a field (or null for a route)."""
    assert status < 500, f"{status}: {body}"
    if status >= 400:
        assert isinstance(body, dict) and set(body) == {"error", "kind", "field"}, body
        assert body["error"] and "\n" not in body["error"] and "Traceback" not in body["error"], body
