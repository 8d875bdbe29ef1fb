"""keel.db: where a store lives (sqlite path or Postgres URL), passwords never shown, and the
one-holder lease (a Postgres advisory lock, a flock beside a sqlite file) — including a holder
that is SIGKILLed, whose lease must come free without anyone cleaning up."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keel.db import DbError, LeaseHeld, Location, parse_location, redact
from keel.db.lease import acquire_lease, try_lease

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("text", "expected"), [
    ("book.db", Location("sqlite", "book.db")),
    ("/abs/book.db", Location("sqlite", "/abs/book.db")),
    ("sqlite:///rel/book.db", Location("sqlite", "rel/book.db")),
    ("sqlite:////abs/book.db", Location("sqlite", "/abs/book.db")),
    ("postgresql://keel@127.0.0.1:5432/keel", Location("postgres", "postgresql://keel@127.0.0.1:5432/keel")),
    ("postgres://u:pw@db/keel?sslmode=disable", Location("postgres", "postgres://u:pw@db/keel?sslmode=disable")),
])
def test_should_read_a_sqlite_path_or_a_postgres_url(text: str, expected: Location) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize(("text", "match"), [
    ("", "empty"),
    ("mysql://u@h/db", "mysql:// is not supported"),
    ("sqlite:///", "names no file"),
    ("postgresql://keel:hunter2@h:notaport/db", "port 'notaport' is not a port number"),
    ("postgresql://keel:hunter2@h/db?bogus=1", "not a valid Postgres URL"),
])
def test_rejects_a_location_it_cannot_open_naming_the_db_field(text: str, match: str) -> None:
    with pytest.raises(DbError, match=match) as err:
        parse_location(text)
    assert err.value.field == "db" and "hunter2" not in str(err.value)


def test_should_never_show_a_password() -> None:
    assert redact("postgresql://keel:hunter2@db:5432/keel") == "postgresql://keel:***@db:5432/keel"
    assert redact("postgresql://db/keel?user=keel&password=hunter2") == "postgresql://db/keel?user=keel&password=***"
    assert redact("postgresql://keel@db/keel") == "postgresql://keel@db/keel"
    assert parse_location("postgresql://keel:hunter2@db/keel").shown == "postgresql://keel:***@db/keel"
    assert parse_location("/var/keel/book.db").shown == "/var/keel/book.db"


def test_should_let_one_holder_at_a_time_take_a_lease(db_location: str) -> None:
    first = try_lease(db_location, "auctioneer")
    assert first is not None and first.alive()
    assert try_lease(db_location, "auctioneer") is None
    with pytest.raises(LeaseHeld, match="another process holds the 'auctioneer' lease"):
        acquire_lease(db_location, "auctioneer")
    other = try_lease(db_location, "keeper")  # leases are per name
    assert other is not None
    first.release()
    assert not first.alive()
    with acquire_lease(db_location, "auctioneer") as second:
        assert second.alive()
    assert try_lease(db_location, "auctioneer") is not None
    other.release()


HOLDER = """
import sys, time
from keel.db.lease import acquire_lease
lease = acquire_lease(sys.argv[1], "auctioneer")
print("held", flush=True)
time.sleep(120)
"""


def test_should_free_the_lease_of_a_holder_killed_by_sigkill(db_location: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, db_location], cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        assert try_lease(db_location, "auctioneer") is None
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        deadline, lease = time.monotonic() + 10, None
        while lease is None and time.monotonic() < deadline:
            lease = try_lease(db_location, "auctioneer")
            time.sleep(0.05)
        assert lease is not None, "the dead holder's lease never came free"
        lease.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


def test_should_read_keel_db_and_never_print_its_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.helpers import run_cli

    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.setenv("KEEL_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("KEEL_DB", "postgresql://keel:hunter2@127.0.0.1:1/keel")
    shown = run_cli(capsys, "config", "--json")
    assert shown.code == 0 and "hunter2" not in shown.out and "postgresql://keel:***@127.0.0.1:1/keel" in shown.out
    served = run_cli(capsys, "node", "serve", "--chain-id", "1", "--settlement", "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    assert served.code == 4 and "hunter2" not in served.err + served.out
    assert served.err.startswith("keel: db: postgresql://keel:***@127.0.0.1:1/keel does not answer")
    monkeypatch.setenv("KEEL_DB", "mysql://x/keel")
    refused = run_cli(capsys, "node", "serve", "--chain-id", "1", "--settlement", "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    assert refused.code == 2 and refused.err.startswith("keel: db: mysql:// is not supported")


def test_should_tell_a_holder_its_lease_is_gone_when_its_postgres_session_dies(pg_server: object) -> None:
    import psycopg

    from keel.db.lease import advisory_key
    from tests.pg import fresh_database

    url = fresh_database(pg_server)  # type: ignore[arg-type]
    lease = acquire_lease(url, "auctioneer")
    assert lease.alive()
    with psycopg.connect(url, autocommit=True) as admin:  # e.g. a failover or an idle-session kill
        pids = [r[0] for r in admin.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                                             (advisory_key("auctioneer") & 0xFFFFFFFF,))]
        assert len(pids) == 1
        admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
    assert not lease.alive()
    successor = try_lease(url, "auctioneer")
    assert successor is not None
    successor.release()
    lease.release()
