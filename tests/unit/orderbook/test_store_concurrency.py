"""Several processes on one store, on both backends: each intent is taken into an auction by
exactly one of four racing auctioneers, and four orderbooks accepting the same intents at once
store each once and never let an owner past the per-owner cap.

Real processes (multiprocessing, spawn), each with its own store (its own sqlite connection,
its own Postgres pool), released together by a barrier so their transactions overlap.
"""

from __future__ import annotations

import multiprocessing
import random
from typing import Any

from eth_account import Account

from intents.errors import DuplicateIntent, OwnerCapReached, TransitionError
from intents.signing import sign_intent
from orderbook.store import open_store
from tests.unit.intents.test_model import SETTLEMENT, weights_intent

PROCESSES = 4
OWNER_KEY = (7).to_bytes(32, "big")  # fixed: every process must sign the very same intents


def intents(n: int, first_nonce: int = 0) -> list[tuple[str, Any]]:
    owner = Account.from_key(OWNER_KEY)
    out = []
    for nonce in range(first_nonce, first_nonce + n):
        intent = weights_intent(owner=owner.address, nonce=nonce, valid_to=1_900_000_000)
        out.append((intent.intent_id(1, SETTLEMENT), sign_intent(intent, owner.key, 1, SETTLEMENT)))
    return out


def run_all(target: Any, location: str, *args: Any) -> list[Any]:
    """Start PROCESSES workers `target(location, barrier, queue, index, *args)`; their results, in any order."""
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=target, args=(location, barrier, queue, i, *args)) for i in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        results = [queue.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
                p.join(10)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return results


def auctioneer(location: str, barrier: Any, queue: Any, index: int) -> None:
    """Take batches of the oldest open intents until none is left; report what this one took."""
    store, rng = open_store(location), random.Random(index)
    taken: list[str] = []
    refused = 0
    barrier.wait()
    while open_now := [s.id for s in store.open_intents(0)[:8]]:
        rng.shuffle(open_now)  # every process wants the same 8, locked in its own order
        try:
            taken += store.mark_in_auction(open_now)
        except TransitionError:
            refused += 1
    store.close()
    queue.put((taken, refused))


def test_should_auction_each_intent_once_when_four_processes_race_for_them(db_location: str) -> None:
    store = open_store(db_location)
    ids = [store.add(i, s).id for i, s in intents(120)]
    results = run_all(auctioneer, db_location)
    taken = [i for batch, _ in results for i in batch]
    assert sorted(taken) == sorted(ids), "an intent was taken twice, or never"
    assert {s.status for s in store.list(limit=1000)} == {"in_auction"}
    assert all(s.rounds == 1 for s in store.list(limit=1000))
    store.close()
    print(f"\n{sum(r for _, r in results)} refused batches across {PROCESSES} racing auctioneers")


def orderbook(location: str, barrier: Any, queue: Any, index: int, cap: int) -> None:
    """Add the same intents as every other process (in its own order), under a per-owner cap."""
    store, mine = open_store(location), intents(30)
    random.Random(index).shuffle(mine)
    outcomes: dict[str, str] = {}
    barrier.wait()
    for intent_id, signed in mine:
        try:
            store.add(intent_id, signed, max_open_per_owner=cap)
            outcomes[intent_id] = "accepted"
        except DuplicateIntent:
            outcomes[intent_id] = "duplicate"
        except OwnerCapReached:
            outcomes[intent_id] = "cap"
    store.close()
    queue.put(outcomes)


def test_should_store_each_intent_once_and_hold_the_owner_cap_across_four_orderbooks(db_location: str) -> None:
    results = run_all(orderbook, db_location, 20)
    accepted = [i for outcomes in results for i, what in outcomes.items() if what == "accepted"]
    assert len(accepted) == len(set(accepted)) == 20, "the cap must hold and no intent be accepted twice"
    store = open_store(db_location)
    assert sorted(s.id for s in store.list(limit=1000)) == sorted(accepted)
    assert store.open_count(Account.from_key(OWNER_KEY).address) == 20
    store.close()
