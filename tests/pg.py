"""Postgres for the tests: one real server per session, a fresh database per test.

`pg_server` starts the machine's Postgres (`keel.db.localpg`: initdb into a temp folder, a
free loopback port, run as a non-root user when we are root) once per session and stops it
by PID at the end, pass or fail. `db_location` is the parametrised fixture the storage and
orderbook suites take: each test runs once on a sqlite file and once on a new, empty
Postgres database. A missing Postgres is a setup error (the fixture raises), never a skip.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel.db.localpg import LocalPostgres, start_local_postgres

BACKENDS = ("sqlite", "postgres")
_names = itertools.count()


def fresh_database(server: LocalPostgres) -> str:
    """A new empty database on `server`; its URL."""
    return server.create_database(f"keel_test_{os.getpid()}_{next(_names)}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    server = start_local_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def db_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives for this test: a sqlite file, then a fresh Postgres database."""
    if request.param == "sqlite":
        return str(tmp_path / "orderbook.db")
    return fresh_database(request.getfixturevalue("pg_server"))
