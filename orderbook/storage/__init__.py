"""The orderbook's two storage implementations and what they share; open one with
`orderbook.store.open_store(location)`.

    records.py     row layout, decoding, refusals (no SQL)
    schema.py      the numbered migrations, one text per backend
    sqlite.py      SqliteStore   (WAL, synchronous=FULL; the embedded default)
    postgres.py    PostgresStore (psycopg 3 + pool; several orderbook processes, one database)
"""
