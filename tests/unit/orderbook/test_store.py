"""The sqlite orderbook store: WAL, lifecycle transitions, duplicates and replayed nonces."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from intents.errors import DuplicateIntent, IntentNotFound, TransitionError
from intents.model import SignedIntent
from intents.signing import sign_intent
from keel.wire import dump
from orderbook.store import SqliteStore, open_store
from orderbook.wire import IntentRecordModel
from tests.unit.intents.test_model import SETTLEMENT, weights_intent

OWNER = Account.create()


def signed(nonce: int = 1, valid_to: int = 1_900_000_000) -> tuple[str, SignedIntent]:
    intent = weights_intent(owner=OWNER.address, nonce=nonce, valid_to=valid_to)
    return intent.intent_id(1, SETTLEMENT), sign_intent(intent, OWNER.key, 1, SETTLEMENT)


@pytest.fixture()
def store(tmp_path: Path) -> SqliteStore:
    s = open_store(f"sqlite:///{tmp_path / 'book.db'}")
    yield s
    s.close()


def test_should_use_wal_and_keep_the_signed_intent_verbatim(store: SqliteStore) -> None:
    assert store.journal_mode() == "wal"
    intent_id, s = signed()
    stored = store.add(intent_id, s)
    assert stored.status == "open" and stored.signed == s
    assert dump(IntentRecordModel.from_stored(store.get(intent_id)))["intent"]["nonce"] == "1"


def test_should_survive_reopening_the_file(tmp_path: Path) -> None:
    a = SqliteStore(tmp_path / "x.db")
    intent_id, s = signed()
    a.add(intent_id, s)
    a.close()
    b = SqliteStore(tmp_path / "x.db")
    assert b.get(intent_id).signed == s
    b.close()


def test_rejects_the_same_intent_twice_and_stores_it_once(store: SqliteStore) -> None:
    intent_id, s = signed()
    store.add(intent_id, s)
    with pytest.raises(DuplicateIntent) as err:
        store.add(intent_id, s)
    assert err.value.field == "id" and store.count() == 1


def test_rejects_a_replayed_nonce_under_a_different_intent(store: SqliteStore) -> None:
    store.add(*signed(nonce=5))
    with pytest.raises(DuplicateIntent, match="replayed nonce") as err:
        store.add(*signed(nonce=5, valid_to=1_900_000_001))
    assert err.value.field == "nonce" and store.count() == 1


def test_should_walk_the_lifecycle_to_settled_with_the_tx_hash(store: SqliteStore) -> None:
    a, sa = signed(1)
    b, sb = signed(2)
    store.add(a, sa)
    store.add(b, sb)
    store.mark_in_auction([a, b])
    assert store.open_intents(0) == []
    store.reopen([b])
    store.mark_settled(a, "0x" + "ab" * 32)
    assert store.get(a).status == "settled" and store.get(a).tx_hash == "0x" + "ab" * 32
    assert [r.id for r in store.open_intents(0)] == [b]
    assert [r.id for r in store.list(status="settled")] == [a]


def test_should_mark_failed_and_expired(store: SqliteStore) -> None:
    a, sa = signed(1, valid_to=100)
    b, sb = signed(2)
    store.add(a, sa)
    store.add(b, sb)
    assert store.open_intents(101) == [store.get(b)]
    assert store.expire(101) == [a]
    store.mark_in_auction([b])
    store.mark_failed(b, "settle reverted")
    assert (store.get(a).status, store.get(b).status, store.get(b).reason) == ("expired", "failed", "settle reverted")


def test_rejects_a_transition_the_lifecycle_forbids(store: SqliteStore) -> None:
    a, sa = signed()
    store.add(a, sa)
    with pytest.raises(TransitionError, match="is open; it cannot become settled"):
        store.mark_settled(a, "0x00")
    store.cancel(a)
    with pytest.raises(TransitionError):
        store.mark_in_auction([a])
    assert store.get(a).status == "cancelled"


def test_rejects_an_unknown_id(store: SqliteStore) -> None:
    with pytest.raises(IntentNotFound):
        store.get("0x" + "00" * 32)
