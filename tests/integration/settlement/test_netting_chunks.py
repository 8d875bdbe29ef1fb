"""A batch that needs more transfers than one relayer call carries (Netting sends every
`CHUNK` = 64): 35 pairs of users trading WETH against USDC with each other, 70 transfers
user to user in two relayer calls. Every user ends with exactly its flows, none to or from
the contract. (The routed path's chunking is settled by tests/integration/test_round_split.py,
~147 pulls a transaction.)"""

from __future__ import annotations

from typing import Any

from bench.settlement_gas import Bench
from contracts.world import World
from tests.integration.settlement.test_netting import _transfers

PAIRS = 35


def test_should_settle_a_cow_batch_needing_two_relayer_calls_with_exact_balances(chain: World, w3: Any) -> None:
    bench = Bench(chain, 2 * PAIRS)
    legs = bench._pairs(2 * PAIRS)
    before = {(bench.addrs[t], tok): bench._balance(tok, bench.addrs[t]) for t, *_ in legs for tok in (bench.usdc, bench.weth)}
    bench.keel_gas(legs, bench.prices, [])
    receipt = w3.eth.get_transaction_receipt(w3.eth.get_block("latest")["transactions"][0])
    assert receipt["status"] == 1
    for trader, sell, buy, sold, bought in legs:
        owner = bench.addrs[trader]
        assert bench._balance(sell, owner) - before[(owner, sell)] == -sold
        assert bench._balance(buy, owner) - before[(owner, buy)] == bought
    moves = _transfers(receipt)
    assert len(moves) == 2 * PAIRS > 64  # more than one relayer call's worth, every one user to user
    assert all(bench.keel.address not in (src, dst) for _t, src, dst, _a in moves)
