"""The orderbook store on both backends (a sqlite file and a real Postgres database): durability,
lifecycle transitions, duplicates and replayed nonces, parking, per-owner counts and caps.

Every test here runs twice (`db_location` is parametrised over sqlite and postgres).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from intents.errors import DuplicateIntent, IntentNotFound, OwnerCapReached, TransitionError
from intents.lifecycle import IntentStore
from intents.model import SignedIntent
from intents.signing import sign_intent
from keel.wire import dump
from orderbook.store import SqliteStore, open_store
from orderbook.wire import IntentRecordModel
from tests.unit.intents.test_model import SETTLEMENT, weights_intent

OWNER = Account.create()
OTHER = Account.create()


def signed(nonce: int = 1, valid_to: int = 1_900_000_000, owner: object = OWNER) -> tuple[str, SignedIntent]:
    intent = weights_intent(owner=owner.address, nonce=nonce, valid_to=valid_to)  # type: ignore[attr-defined]
    return intent.intent_id(1, SETTLEMENT), sign_intent(intent, owner.key, 1, SETTLEMENT)  # type: ignore[attr-defined]


@pytest.fixture()
def store(db_location: str) -> Iterator[IntentStore]:
    s = open_store(db_location)
    yield s
    s.close()


def test_should_use_wal_and_keep_the_signed_intent_verbatim(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'book.db'}")
    assert isinstance(store, SqliteStore) and store.journal_mode() == "wal"
    intent_id, s = signed()
    stored = store.add(intent_id, s)
    assert stored.status == "open" and stored.signed == s
    assert dump(IntentRecordModel.from_stored(store.get(intent_id)))["intent"]["nonce"] == "1"
    store.close()


def test_should_commit_synchronously_on_postgres(pg_server: object) -> None:
    from orderbook.storage.postgres import PostgresStore
    from tests.pg import fresh_database

    store = open_store(fresh_database(pg_server))  # type: ignore[arg-type]
    assert isinstance(store, PostgresStore) and store.synchronous_commit() == "on"
    store.close()


def test_should_keep_the_signed_intent_verbatim(store: IntentStore) -> None:
    intent_id, s = signed()
    stored = store.add(intent_id, s)
    assert stored.status == "open" and stored.signed == s and stored.rounds == 0
    assert dump(IntentRecordModel.from_stored(store.get(intent_id)))["intent"]["nonce"] == "1"


def test_should_survive_reopening_the_store(db_location: str) -> None:
    a = open_store(db_location)
    intent_id, s = signed()
    a.add(intent_id, s)
    a.close()
    b = open_store(db_location)
    assert b.get(intent_id).signed == s
    b.close()


def test_should_keep_a_uint256_nonce_exactly(store: IntentStore) -> None:
    intent_id, s = signed(nonce=2**256 - 1)
    store.add(intent_id, s)
    assert store.get(intent_id).nonce == 2**256 - 1
    with pytest.raises(DuplicateIntent, match="replayed nonce"):
        store.add(*signed(nonce=2**256 - 1, valid_to=1_900_000_001))


def test_rejects_the_same_intent_twice_and_stores_it_once(store: IntentStore) -> None:
    intent_id, s = signed()
    store.add(intent_id, s)
    with pytest.raises(DuplicateIntent) as err:
        store.add(intent_id, s)
    assert err.value.field == "id" and store.count() == 1


def test_rejects_a_replayed_nonce_under_a_different_intent(store: IntentStore) -> None:
    store.add(*signed(nonce=5))
    with pytest.raises(DuplicateIntent, match="replayed nonce") as err:
        store.add(*signed(nonce=5, valid_to=1_900_000_001))
    assert err.value.field == "nonce" and store.count() == 1


def test_should_walk_the_lifecycle_to_settled_with_the_tx_hash(store: IntentStore) -> None:
    a, sa = signed(1)
    b, sb = signed(2)
    store.add(a, sa)
    store.add(b, sb)
    assert store.mark_in_auction([a, b]) == [a, b]
    assert store.open_intents(0) == []
    store.reopen([b])
    store.mark_settled(a, "0x" + "ab" * 32)
    assert store.get(a).status == "settled" and store.get(a).tx_hash == "0x" + "ab" * 32
    assert [r.id for r in store.open_intents(0)] == [b]
    assert [r.id for r in store.list(status="settled")] == [a]
    assert (store.get(a).rounds, store.get(b).rounds) == (1, 1)


def test_should_mark_failed_and_expired(store: IntentStore) -> None:
    a, sa = signed(1, valid_to=100)
    b, sb = signed(2)
    store.add(a, sa)
    store.add(b, sb)
    assert store.open_intents(101) == [store.get(b)]
    assert store.expire(101) == [a]
    assert store.expire(101) == []
    store.mark_in_auction([b])
    store.mark_failed(b, "settle reverted")
    assert (store.get(a).status, store.get(b).status, store.get(b).reason) == ("expired", "failed", "settle reverted")


def test_rejects_a_transition_the_lifecycle_forbids(store: IntentStore) -> None:
    a, sa = signed()
    store.add(a, sa)
    with pytest.raises(TransitionError, match="is open; it cannot become settled"):
        store.mark_settled(a, "0x00")
    store.cancel(a)
    with pytest.raises(TransitionError):
        store.mark_in_auction([a])
    assert store.get(a).status == "cancelled"


def test_should_take_all_of_a_batch_into_an_auction_or_none(store: IntentStore) -> None:
    a, sa = signed(1)
    b, sb = signed(2)
    store.add(a, sa)
    store.add(b, sb)
    store.mark_in_auction([b])
    with pytest.raises(TransitionError, match=f"{b} is in_auction"):
        store.mark_in_auction([a, b])
    with pytest.raises(IntentNotFound):
        store.mark_in_auction([a, "0x" + "00" * 32])
    assert store.get(a).status == "open" and store.get(a).rounds == 0
    assert store.mark_in_auction([a, a]) == [a] and store.get(a).rounds == 1


def test_should_park_with_a_reason_and_keep_a_parked_intent_out_of_auctions(store: IntentStore) -> None:
    a, sa = signed(1)
    b, sb = signed(2, valid_to=100)
    store.add(a, sa)
    store.add(b, sb)
    store.mark_in_auction([a])
    store.park([a, b], "InsufficientBalance: USDC")
    assert [(r.id, r.reason) for r in store.list(status="parked")] == [(a, "InsufficientBalance: USDC"),
                                                                       (b, "InsufficientBalance: USDC")]
    assert store.open_intents(0) == []
    assert store.expire(101) == [b]
    store.reopen([a])
    assert store.get(a).status == "open" and store.get(a).reason is None
    store.park([a], "InsufficientAllowance: WETH")
    store.cancel(a)
    assert store.get(a).status == "cancelled"


def test_should_note_why_an_open_intent_waits_and_clear_it_when_auctioned(store: IntentStore) -> None:
    a, sa = signed(1)
    b, sb = signed(2)
    store.add(a, sa)
    store.add(b, sb)
    store.mark_in_auction([b])
    store.note_waiting({a: "allowance: WETH", b: "no reference price: DAI"})
    assert store.get(a).status == "open" and store.get(a).reason == "allowance: WETH"
    assert store.get(b).status == "in_auction" and store.get(b).reason is None  # only open intents take a note
    store.mark_in_auction([a])
    assert store.get(a).reason is None
    store.note_waiting({})


def test_rejects_parking_a_settled_intent(store: IntentStore) -> None:
    a, sa = signed()
    store.add(a, sa)
    store.mark_in_auction([a])
    store.mark_settled(a, "0x" + "cd" * 32)
    with pytest.raises(TransitionError, match="is settled; it cannot become parked"):
        store.park([a], "late")
    assert store.get(a).reason is None


def test_should_count_an_owners_live_intents(store: IntentStore) -> None:
    ids = [store.add(*signed(n)).id for n in range(1, 6)]
    store.add(*signed(1, owner=OTHER))
    store.mark_in_auction([ids[0]])
    store.park([ids[1]], "InsufficientBalance: USDC")
    store.cancel(ids[2])
    store.mark_in_auction([ids[3]])
    store.mark_settled(ids[3], "0x" + "ef" * 32)
    assert store.open_count(OWNER.address) == 3  # in_auction, parked, open
    assert store.open_count(OTHER.address) == 1
    assert store.open_count(Account.create().address) == 0


def test_refuses_an_intent_past_the_owners_cap_and_accepts_one_under_it(store: IntentStore) -> None:
    store.add(*signed(1), max_open_per_owner=2)
    store.add(*signed(2), max_open_per_owner=2)
    with pytest.raises(OwnerCapReached, match="already has 2 live intents") as err:
        store.add(*signed(3), max_open_per_owner=2)
    assert err.value.field == "owner" and store.count() == 2
    store.add(*signed(1, owner=OTHER), max_open_per_owner=2)
    store.cancel(store.list(owner=OWNER.address)[0].id)
    assert store.add(*signed(3), max_open_per_owner=2).status == "open"


def test_rejects_an_unknown_id(store: IntentStore) -> None:
    with pytest.raises(IntentNotFound):
        store.get("0x" + "00" * 32)
    with pytest.raises(IntentNotFound):
        store.reopen(["0x" + "00" * 32])


def test_should_keep_intents_in_the_state_folder_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderbook.node import database_location

    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    assert database_location(None).target == str(tmp_path / "orderbook.db")
    url = "postgresql://keel:pw@db.internal:5432/keel"
    assert (database_location(url).backend, database_location(url).shown) == ("postgres", "postgresql://keel:***@db.internal:5432/keel")
