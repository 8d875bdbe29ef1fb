"""Split a round's intents into batches that each fit one transaction, and the batches into one
block. Pure: reads only the auction (snapshot) and the limits, no I/O (it borrows
`contracts.settlement`'s encoder, whose module also binds the chain lazily).

Each intent gets a predicted cost before anyone solves it (`cost`): its compact execution's
calldata, exactly as `contracts.settlement.encode_execution` will write it except the flows,
whose magnitudes are bounded by what the owner's whole portfolio could buy of each token at
twice its reference price; and its gas from `solver.gas_model` (per token, plus that calldata).
A batch adds the transaction's fixed part and a reserve for `SWAP_RESERVE` pool swaps.

`plan(auction, limits)`:
1. intents of one owner travel together (the settlement checks outcomes on the owner's
   balances after the whole batch; the strategies settle one intent per owner per batch);
2. owners are taken oldest intent first and packed into batches: a batch may not exceed the
   transaction size limit nor send more than the per-transaction gas cap; a new batch opens
   while the round's batches together reserve at most one block (sum of the gas limits they
   will be sent with). An owner that fits nowhere waits: `DID_NOT_FIT`;
3. with the batch count fixed, the admitted owners are dealt again, largest first, each to the
   batch whose net flow it cancels most (coincidences of wants stay together and every batch
   keeps a small residual to route), within the same per-batch limits. If that deal cannot
   place everyone, the packing of step 2 is kept.
The auctioneer checks the exact figures again after simulation (`arbitrate.fits`): a
prediction is a plan, the simulated calldata and gas are the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from auction.auctioneer.limits import Limits, gas_limit
from contracts.settlement import Execution, encode_execution
from solver import gas_model
from solver.domain import Auction, BatchIntent
from solver.translate import Infeasible, translate

DID_NOT_FIT = "did not fit in this round's block; next round"
SWAP_RESERVE = 12  # pool swaps a batch may route its residual through
SWAP_CALL_BYTES = 420  # one V3 exactInputSingle interaction in settle()'s ABI, offsets included
WORD = 32


@dataclass(frozen=True)
class Cost:
    calldata: int  # bytes
    gas: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.calldata + other.calldata, self.gas + other.gas)


@dataclass
class Batch:
    intents: list[str] = field(default_factory=list)
    cost: Cost = Cost(0, 0)
    net: dict[str, float] = field(default_factory=dict)  # token -> USD, + bought / - sold


@dataclass(frozen=True)
class Plan:
    batches: tuple[tuple[str, ...], ...]
    predicted: tuple[Cost, ...]  # each batch's predicted calldata and gas, fixed part included
    deferred: dict[str, str]  # intent id -> why it waits for the next round

    @property
    def split(self) -> bool:
        return len(self.batches) > 1


def fixed_cost(tokens: int) -> Cost:
    """A batch's own part: selector, the four argument heads, tokens and prices, the swap reserve."""
    calldata = 4 + 4 * WORD + 2 * (WORD + WORD * tokens) + 2 * WORD + SWAP_RESERVE * SWAP_CALL_BYTES
    gas = (gas_model.TX_BASE_GAS + gas_model.BATCH_GAS + SWAP_RESERVE * gas_model.V3_SWAP_GAS
           + gas_model.NONZERO_BYTE_GAS * calldata)
    return Cost(calldata, gas)


def _flow_bound(bi: BatchIntent, auction: Auction) -> tuple[int, ...]:
    """Per intent token, the largest magnitude its flow can plausibly take."""
    prices = auction.reference_prices()
    held = auction.balances.get(bi.intent.owner, {})
    value = sum(held.get(t, 0) * prices.get(t, 0) for t in bi.intent.tokens)
    return tuple(max(held.get(t, 0), 2 * value // max(prices.get(t, 1), 1)) for t in bi.intent.tokens)


def cost(bi: BatchIntent, auction: Auction) -> Cost:
    """The predicted calldata and gas of `bi`'s execution (ABI offset, length and padding included)."""
    n = len(bi.intent.tokens)
    placeholder = Execution(bi.intent.as_tuple(), int(bi.signed.scheme), bi.signed.signature,
                            tuple(range(n)), _flow_bound(bi, auction))
    packed = encode_execution(placeholder)
    padded = -(-len(packed) // WORD) * WORD
    calldata = 2 * WORD + padded
    gas = (gas_model.execution_gas(n) + gas_model.calldata_gas(packed)
           + gas_model.ZERO_BYTE_GAS * (padded - len(packed)) + gas_model.NONZERO_BYTE_GAS * 4
           + gas_model.ZERO_BYTE_GAS * (2 * WORD - 4))
    return Cost(calldata, gas)


def _net(bi: BatchIntent, auction: Auction) -> dict[str, float]:
    """The intent's trade at reference prices, in USD per token (+ bought, - sold); {} when it cannot trade."""
    prices = auction.reference_prices()
    try:
        want = translate(bi.id, bi.intent, auction.balances.get(bi.intent.owner, {}), prices)
    except Infeasible:
        return {}
    return {t: q * prices[t] / 1e36 for t, q in want.flows(prices, 0).items() if q}


def _fits(batch: Cost, extra: Cost, fixed: Cost, limits: Limits) -> bool:
    total = batch + extra + fixed
    return total.calldata <= limits.max_calldata and gas_limit(total.gas) <= limits.tx_gas


def _reserved(batches: Sequence[Batch], fixed: Cost) -> int:
    """Gas the batches' transactions will reserve in the block."""
    return sum(gas_limit((b.cost + fixed).gas) for b in batches if b.intents)


def _pack(units: list[tuple[list[str], Cost]], fixed: Cost, limits: Limits) -> tuple[list[Batch], list[str]]:
    """Oldest first into batches under the per-transaction limits and one block; (batches, deferred ids)."""
    batches: list[Batch] = []
    deferred: list[str] = []
    for ids, c in units:
        for home in [*batches, Batch()]:
            if not _fits(home.cost, c, fixed, limits):
                continue
            others = [b for b in batches if b is not home]
            if _reserved(others, fixed) + gas_limit((home.cost + c + fixed).gas) > limits.block_gas:
                continue
            if home not in batches:
                batches.append(home)
            home.intents += ids
            home.cost = home.cost + c
            break
        else:
            deferred += ids  # no batch has room, and the block has none for another
    return batches, deferred


def _deal(units: list[tuple[list[str], Cost, dict[str, float]]], count: int, fixed: Cost,
          limits: Limits) -> list[Batch] | None:
    """Largest trade first, each owner to the batch whose net flow it cancels most; None if one does not fit."""
    batches = [Batch() for _ in range(count)]
    order = sorted(units, key=lambda u: -sum(abs(v) for v in u[2].values()))
    for ids, c, net in order:
        best: tuple[float, float, int] | None = None
        for k, b in enumerate(batches):
            if not _fits(b.cost, c, fixed, limits):
                continue
            added = sum(abs(b.net.get(t, 0.0) + v) - abs(b.net.get(t, 0.0)) for t, v in net.items())
            key = (added, b.cost.gas, k)
            best = key if best is None or key < best else best
        if best is None:
            return None
        home = batches[best[2]]
        home.intents += ids
        home.cost = home.cost + c
        for t, v in net.items():
            home.net[t] = home.net.get(t, 0.0) + v
    return batches


def plan(auction: Auction, limits: Limits, order: Sequence[str] | None = None) -> Plan:
    """Batches for `auction`'s intents (taken in `order`, oldest first; default the auction's order)."""
    ids = list(order) if order is not None else [bi.id for bi in auction.intents]
    by_owner: dict[str, list[str]] = {}
    for intent_id in ids:
        by_owner.setdefault(auction.intent(intent_id).intent.owner, []).append(intent_id)
    fixed = fixed_cost(len(auction.tokens))
    costs = {i: cost(auction.intent(i), auction) for i in ids}
    units = [(group, sum((costs[i] for i in group), Cost(0, 0))) for group in by_owner.values()]
    packed, deferred = _pack(units, fixed, limits)
    waiting = set(deferred)
    admitted = [(g, c, _owner_net(g, auction)) for g, c in units if g[0] not in waiting]
    dealt = _deal(admitted, len(packed), fixed, limits) if len(packed) > 1 else None
    batches = dealt if dealt is not None and _reserved(dealt, fixed) <= limits.block_gas else packed
    batches = [b for b in batches if b.intents]
    return Plan(tuple(tuple(b.intents) for b in batches), tuple(b.cost + fixed for b in batches),
                {i: DID_NOT_FIT for i in deferred})


def _owner_net(group: list[str], auction: Auction) -> dict[str, float]:
    net: dict[str, float] = {}
    for i in group:
        for t, v in _net(auction.intent(i), auction).items():
            net[t] = net.get(t, 0.0) + v
    return net
