"""Registered solver endpoints (URL + settlement account), in the auction database beside the
rounds (sqlite or Postgres by URL; the table is in `auction.rounds.MIGRATIONS`).

An endpoint is keyed by its URL: one account may run several nodes (strategies), and the
auctioneer asks each URL once per round. The on-chain allow-list is separate; `allow_list`
adds an account to `SolverAllowList` when the caller owns it (the local chain's deployer).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress, HexAddress, HexStr

from auction.endpoint import Endpoint
from auction.rounds import connect
from intents.model import checksum
from keel.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from web3 import Web3

__all__ = ["Endpoint", "Registry", "allow_list", "check_trusts", "check_url"]


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(url=row["url"], address=row["address"], registered_at=row["registered_at"])


def check_url(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        parsed.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        parsed = parsed._replace(scheme="")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"--url: {url!r} is not an http(s) URL like http://127.0.0.1:8701", "url")
    return url.rstrip("/")


def check_trusts(url: str, auctioneer: str, timeout_s: float = 2.0) -> None:
    """Refuse to register a node that is up and trusts another auctioneer (it would answer 403
    to every round). A node that does not answer yet is registered: it is checked each round."""
    import urllib.request

    from keel.wire import loads

    try:
        with urllib.request.urlopen(check_url(url) + "/health", timeout=timeout_s) as resp:
            health = loads(resp.read(1 << 16))
    except Exception:
        return
    trusted = health.get("auctioneer") if isinstance(health, dict) else None
    if isinstance(trusted, str) and trusted.lower() != auctioneer.lower():
        raise UsageError(f"--url: the node at {url} trusts auctioneer {trusted}, not this one ({auctioneer}); "
                         f"restart it with --auctioneer {auctioneer}", "url")


class Registry:
    def __init__(self, location: Path | str) -> None:
        self._db = connect(location)
        self.path = self._db.location.shown

    def close(self) -> None:
        self._db.close()

    def register(self, address: str, url: str) -> Endpoint:
        """Add or update the endpoint at `url` (settling from `address`)."""
        address = checksum(address, "ADDRESS")
        url = check_url(url)
        with self._db.tx() as db:
            db.execute("INSERT INTO solvers (url, address, registered_at) VALUES (?, ?, ?)"
                       " ON CONFLICT(url) DO UPDATE SET address = excluded.address", (url, address, time.time()))
        return self.get(url)

    def remove(self, url: str) -> None:
        url = url.rstrip("/")
        with self._db.tx() as db:
            gone = db.execute("DELETE FROM solvers WHERE url = ?", (url,)).rowcount
        if not gone:
            raise NotFoundError(f"URL: no solver registered at {url}", "url")

    def get(self, url: str) -> Endpoint:
        row = self._db.execute("SELECT url, address, registered_at FROM solvers WHERE url = ?", (url,)).fetchone()
        if row is None:
            raise NotFoundError(f"URL: no solver registered at {url}", "url")
        return _endpoint(row)

    def all(self) -> list[Endpoint]:
        return [_endpoint(r) for r in self._db.execute(
            "SELECT url, address, registered_at FROM solvers ORDER BY registered_at, url")]


def allow_list(w3: Web3, allow_list_address: str, owner: str, solver: str) -> bool:
    """Add `solver` to SolverAllowList from `owner` (an unlocked account); False if already listed."""
    from contracts.artifacts import keel

    address = ChecksumAddress(HexAddress(HexStr(checksum(allow_list_address, "SolverAllowList"))))
    contract = w3.eth.contract(address=address, abi=keel("SolverAllowList").abi)
    solver = checksum(solver, "ADDRESS")
    if contract.functions.isSolver(solver).call():
        return False
    tx = contract.functions.addSolver(solver).transact({"from": checksum(owner, "owner")})
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=30)
    if receipt["status"] != 1:
        from keel.errors import RefusedError

        raise RefusedError(f"ADDRESS: addSolver({solver}) reverted; is {owner} the allow-list's owner?")
    return True
