"""A named lease that one process at a time can hold: "only one auctioneer runs rounds".

    lease = try_lease(location, "auctioneer")   # None: someone else holds it
    with acquire_lease(location, "auctioneer"):  # LeaseHeld: someone else holds it
        ...

On Postgres the lease is a session-level advisory lock (`pg_try_advisory_lock`) on a
connection the `Lease` keeps open for as long as it is held: the server frees it when the
holder releases it, closes the connection, or dies (a SIGKILLed holder's socket closes, its
backend exits, the lock goes with it) — no expiry to tune, no stale row to clean up.

On sqlite (one machine) the same guarantee comes from an exclusive `flock` on a file beside
the database (`<db>.lease-<name>`), which the kernel releases when the holder's process dies.

`Lease.alive()` says whether the lease is still held — on Postgres, whether the session that
holds the lock still answers; a holder should check it before each step it must not share.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

from keel.db import DbUnavailable, LeaseHeld, Location, first_line, parse_location


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (Postgres advisory locks take a bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class Lease:
    """A held lease; `release()` (or leaving the `with` block) gives it up. Idempotent."""

    def __init__(self, location: Location, name: str, handle: Any) -> None:
        self.location, self.name, self._handle = location, name, handle

    def alive(self) -> bool:
        if self._handle is None:
            return False
        if self.location.backend == "sqlite":
            return True  # a flock lives as long as our descriptor does
        try:
            self._handle.execute("SELECT 1").fetchone()
            return True
        except Exception:
            return False

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if self.location.backend == "sqlite":
            os.close(handle)  # closing the descriptor drops the flock
            return
        try:
            handle.execute("SELECT pg_advisory_unlock(%s)", (advisory_key(self.name),))
        except Exception:
            pass  # the session is already gone, and the lock with it
        finally:
            handle.close()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def try_lease(location: str | Location, name: str) -> Lease | None:
    """Take the lease `name` on the store at `location` if nobody holds it; None if someone does."""
    where = location if isinstance(location, Location) else parse_location(str(location))
    if where.backend == "sqlite":
        return _try_file_lease(where, name)
    return _try_advisory_lease(where, name)


def acquire_lease(location: str | Location, name: str) -> Lease:
    """As `try_lease`, but a held lease is a `LeaseHeld` refusal (one line, exit 5)."""
    lease = try_lease(location, name)
    if lease is None:
        where = location if isinstance(location, Location) else parse_location(str(location))
        raise LeaseHeld(f"lease: another process holds the {name!r} lease on {where.shown}; "
                        "stop it first (only one may run at a time)")
    return lease


def _try_file_lease(where: Location, name: str) -> Lease | None:
    path = Path(f"{where.target}.lease-{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return Lease(where, name, fd)


def _try_advisory_lease(where: Location, name: str) -> Lease | None:
    import psycopg

    try:
        conn = psycopg.connect(where.target, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DbUnavailable(f"db: cannot connect to {where.shown} ({first_line(exc)})") from None
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (advisory_key(name),)).fetchone()
    if not (row and row[0]):
        conn.close()
        return None
    return Lease(where, name, conn)

