"""Where a store lives — a sqlite file or a Postgres database — parsed once, shown without secrets.

    parse_location("book.db")                          -> Location("sqlite", "book.db")
    parse_location("sqlite:///rel/book.db")            -> Location("sqlite", "rel/book.db")
    parse_location("sqlite:////abs/book.db")           -> Location("sqlite", "/abs/book.db")
    parse_location("postgresql://u:pw@host:5432/keel") -> Location("postgres", <the URL>)

Any other `scheme://` is a `DbError` naming the `db` field. A Postgres URL is checked by
libpq's own parser (psycopg, imported only then); `Location.shown` is the form to print or
log — the password replaced by `***` — so no status line or error ever carries it.

The rest of the package is storage plumbing that the orderbook and the auction records share
(they may not import each other): `migrations` (versioned schema, refuses a newer one),
`lease` (one holder at a time: a Postgres advisory lock or a file lock beside a sqlite file),
`localpg` (a throwaway Postgres server for tests and benches).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Literal

from keel.errors import RefusedError, SetupError, UsageError

Backend = Literal["sqlite", "postgres"]
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class DbError(UsageError):
    """A `--db` / `KEEL_DB` value that names no store keel can open. Exit 2."""

    default_field = "db"


class DbUnavailable(SetupError):
    """The database does not answer (server down, wrong password, pool exhausted). HTTP 503."""

    http_status = 503
    default_field = "db"


class SchemaTooNew(SetupError):
    """The database was migrated by a newer keel; this one refuses to touch it."""

    default_field = "db"


class LeaseHeld(RefusedError):
    """Another process holds the lease (e.g. another auctioneer is running rounds)."""

    default_field = "lease"


@dataclass(frozen=True)
class Location:
    backend: Backend
    target: str  # a filesystem path (sqlite) or the full URL (postgres)

    @property
    def shown(self) -> str:
        """The location as it may be printed or logged: a Postgres password is `***`."""
        return redact(self.target) if self.backend == "postgres" else self.target


def parse_location(text: str) -> Location:
    """A sqlite path, a `sqlite:///` URL or a `postgresql://` URL; anything else is a `DbError`."""
    text = str(text).strip()
    if not text:
        raise DbError("db: empty; give a sqlite file path or a postgresql://user@host:port/dbname URL")
    if text.startswith(POSTGRES_SCHEMES):
        _check_conninfo(text)
        return Location("postgres", text)
    if text.startswith("sqlite:///"):
        path = text.removeprefix("sqlite:///")
        if not path:
            raise DbError(f"db: {text!r} names no file; write sqlite:///relative.db or sqlite:////absolute.db")
        return Location("sqlite", path)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise DbError(f"db: {scheme}:// is not supported; give a sqlite file path, sqlite:///path "
                      "or a postgresql://user@host:port/dbname URL")
    return Location("sqlite", text)


def redact(url: str) -> str:
    """`url` with any password (in the authority or a `password=` parameter) replaced by `***`."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{k}=***" if k.lower() == "password" else f"{k}={v}" if v else k
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def first_line(exc: BaseException) -> str:
    """The first line of a driver's error message (libpq's never include the password)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _check_conninfo(url: str) -> None:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    expected = "expected postgresql://user[:password]@host[:port]/dbname[?param=value]"
    try:
        params = conninfo_to_dict(url)
    except ProgrammingError:
        # libpq's message may quote the URL (and so the password): say what is wrong in our words
        raise DbError(f"db: {redact(url)} is not a valid Postgres URL ({expected})") from None
    ports = str(params.get("port") or "5432").split(",")
    if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
        raise DbError(f"db: {redact(url)} is not a valid Postgres URL (port {params['port']!r} is not a "
                      f"port number; {expected})")


__all__ = ["POSTGRES_SCHEMES", "Backend", "DbError", "DbUnavailable", "LeaseHeld", "Location",
           "SchemaTooNew", "first_line", "parse_location", "redact"]
