"""1,000 intents POSTed concurrently to real orderbook processes over loopback, bounded in time:
one process on a sqlite file, and four processes sharing one real Postgres database.

Every answer is a 201 or a 4xx keel error body naming its field (wrong key, expired, replay);
none is a 5xx or a dropped connection; the store afterwards holds exactly the acknowledged ids.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.orderbook_load import BAD_EVERY, EXPIRED, REPLAY, WRONG_KEY, run

INTENTS = 1000
DEADLINE_S = 120.0


@pytest.mark.parametrize(("backend", "processes"), [("sqlite", 1), ("postgres", 4)])
def test_should_answer_every_one_of_1000_concurrent_intents_and_lose_none(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str, processes: int
) -> None:
    pg = request.getfixturevalue("pg_server") if backend == "postgres" else None
    result = run(INTENTS, concurrency=64, deadline_s=DEADLINE_S, workdir=tmp_path, sig_sample=50,
                 backend=backend, processes=processes, pg=pg)
    assert result.unexpected == []
    assert result.accepted + result.rejected == INTENTS
    assert result.accepted == result.expected_accepted
    assert result.stored == result.accepted and result.lost == 0
    assert result.rejected_by_kind == result.expected_rejections
    assert set(result.rejected_by_kind) == {WRONG_KEY, EXPIRED, REPLAY}
    assert sum(result.rejected_by_kind.values()) >= 3 * (INTENTS // BAD_EVERY - 1)
    assert result.wall_s < DEADLINE_S
    assert (result.backend, result.processes) == (backend, processes)
    print(f"\n{backend} x{processes}: {result.accepted_per_s:,.0f} accepted intents/s over HTTP, {result.sig_checks_per_s:,.0f} signature checks/s")
