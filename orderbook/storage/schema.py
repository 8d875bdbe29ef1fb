"""The orderbook's schema, as numbered migrations for both backends (run by `keel.db.migrations`).

1. The intents table as keel first shipped it. On sqlite it is written `IF NOT EXISTS`, so a
   file made before migrations existed (no `schema_version` row) is adopted as version 1.
2. `rounds` (how many auctions an intent entered) and an (owner, status) index: what a
   per-owner cap on live intents and a "parked after N failed rounds" policy read.

Never edit a shipped migration: add the next one.
"""

from __future__ import annotations

from keel.db.migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "intents table",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS intents (
                id          TEXT PRIMARY KEY,
                owner       TEXT NOT NULL,
                nonce       TEXT NOT NULL,
                kind        INTEGER NOT NULL,
                valid_to    INTEGER NOT NULL,
                status      TEXT NOT NULL,
                signed      TEXT NOT NULL,
                tx_hash     TEXT,
                reason      TEXT,
                created_at  REAL NOT NULL,
                updated_at  REAL NOT NULL,
                UNIQUE (owner, nonce)
            )""",
            "CREATE INDEX IF NOT EXISTS intents_status ON intents (status, created_at)",
            "CREATE INDEX IF NOT EXISTS intents_owner ON intents (owner, created_at)",
        ),
        postgres=(
            # nonce is a uint256: NUMERIC(78, 0) holds every one exactly
            """CREATE TABLE intents (
                id          TEXT PRIMARY KEY,
                owner       TEXT NOT NULL,
                nonce       NUMERIC(78, 0) NOT NULL,
                kind        SMALLINT NOT NULL,
                valid_to    BIGINT NOT NULL,
                status      TEXT NOT NULL,
                signed      TEXT NOT NULL,
                tx_hash     TEXT,
                reason      TEXT,
                created_at  DOUBLE PRECISION NOT NULL,
                updated_at  DOUBLE PRECISION NOT NULL,
                CONSTRAINT intents_owner_nonce UNIQUE (owner, nonce)
            )""",
            "CREATE INDEX intents_status ON intents (status, created_at)",
            "CREATE INDEX intents_owner ON intents (owner, created_at)",
        ),
    ),
    Migration(
        2, "rounds per intent; (owner, status) index for per-owner caps",
        sqlite=(
            "ALTER TABLE intents ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX intents_owner_status ON intents (owner, status)",
        ),
        postgres=(
            "ALTER TABLE intents ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX intents_owner_status ON intents (owner, status)",
        ),
    ),
)
