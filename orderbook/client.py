"""A small synchronous client for the orderbook API (what `keel intent submit|list|show|cancel` use).

A 4xx answer is re-raised as the same family of KeelError the server raised (its
`kind` and `field` kept), so the CLI prints the server's one line and exits with the
matching code. stdlib urllib only: the CLI stays light.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from intents.errors import (
    DuplicateIntent,
    IntentError,
    IntentNotFound,
    OrderbookUnavailable,
    TransitionError,
)
from keel.errors import KeelError, RefusedError
from keel.wire import loads

DEFAULT_URL = "http://127.0.0.1:8088"


class RemoteRefused(RefusedError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


_KINDS: dict[str, type[KeelError]] = {
    # well-formed but not admitted: the CLI's "refused" (exit 5), whatever the HTTP status
    "InsufficientBalance": RemoteRefused,
    "InsufficientAllowance": RemoteRefused,
    "OwnerCapReached": RemoteRefused,
    "DuplicateIntent": DuplicateIntent,
    "TransitionError": TransitionError,
    "IntentNotFound": IntentNotFound,
}


def _raise_for(status: int, body: bytes, url: str) -> None:
    try:
        data = loads(body)
        message, kind, field = str(data["error"]), str(data.get("kind")), data.get("field")
    except (ValueError, KeyError, TypeError):
        raise OrderbookUnavailable(f"orderbook: {url} answered {status} without a keel error body") from None
    cls = _KINDS.get(kind)
    if cls is not None:
        raise cls(message, field)
    if status == 404:
        raise IntentNotFound(message, field)
    if status == 409:
        raise RemoteRefused(message, field)
    raise IntentError(message, field)


def request(base_url: str, method: str, path: str, body: Any = None, timeout_s: float = 30.0) -> Any:
    if not base_url.startswith(("http://", "https://")):
        raise IntentError(f"orderbook: {base_url!r} is not an http(s) URL (e.g. {DEFAULT_URL})", "orderbook")
    url = base_url.rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        _raise_for(exc.code, exc.read(), url)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OrderbookUnavailable(
            f"orderbook: nothing answers at {base_url} ({reason}); start one with `keel node serve` or pass --orderbook"
        ) from None
    raise AssertionError("unreachable")
