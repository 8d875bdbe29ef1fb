"""What a settled batch was, as the rounds store keeps it: clearing prices, route, gas used on
chain, each intent's fill and what the batch saved against routing each intent alone.

Written once, when the auctioneer closes a round as settled (`record`, called from
`auction.auctioneer.round` once the winner has settled, before its intents are marked settled and
the round is closed), and read by
`keel auction show`, `keel intent show` and the explorer: nothing they show is computed twice.

- `ClearingPrice`: a token's uniform price in the batch, a `UsdPrice` (USD per base unit × 1e36),
  with the symbol and decimals needed to print it per whole token.
- `SettlementRecord`: the above plus the route (the winner's `stats["route"]` sentences and
  `stats["hops"]`, amounts as base-unit integers), `gas_used` (the settle transaction's
  receipt: gas used on chain, not the simulated estimate), each intent's flows (base units,
  < 0 given, > 0 received) and the savings (`solver.savings.compare`: the batch's cost against
  each intent routed alone, USD as floats; None with `savings_note` when they could not be
  computed, which never stops a settled round from closing).
- `to_row` / `from_row`: the record as the store's columns (JSON text for the nested parts,
  integers as decimal strings inside JSON so nothing past 2**53 is rounded) and back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, is_dataclass, replace
from typing import TYPE_CHECKING, Any

from keel.units import USD_PRICE_SCALE

if TYPE_CHECKING:
    from auction.auctioneer.stages import Settled
    from auction.rounds import RoundStore
    from solver.domain import Auction, Solution

log = logging.getLogger(__name__)
# compare() solves each settled intent again alone, before the round closes: past this many the
# round would wait too long, so the record says the savings were not computed, and why
SAVINGS_MAX_INTENTS = 100
HOP_INTS = ("fee_pips", "amount_in", "amount_out", "ticks_crossed")


@dataclass(frozen=True)
class ClearingPrice:
    token: str  # address
    symbol: str
    decimals: int
    price: int  # UsdPrice: USD per base unit × 1e36

    @property
    def usd_per_token(self) -> float:
        """USD per whole token (a float for display only)."""
        return self.price * 10**self.decimals / USD_PRICE_SCALE


@dataclass(frozen=True)
class SettlementRecord:
    gas_used: int
    prices: tuple[ClearingPrice, ...]
    route: tuple[str, ...]
    hops: tuple[dict[str, Any], ...]  # routing.evaluate.Hop fields; amounts are ints
    fills: dict[str, dict[str, int]]  # intent id -> token address -> base units (< 0 given, > 0 received)
    batch_cost_usd: float | None
    alone_cost_usd: float | None
    alone_unsettled: tuple[str, ...] = ()
    savings_note: str | None = None  # why the savings are missing, when they are
    score_usd: float | None = None  # the winner's score as the auctioneer ranked it (simulated gas)
    joint_bound_usd: float | None = None  # keel's joint bound on any settlement of this batch (a milp node's)

    @property
    def gap_to_bound_usd(self) -> float | None:
        """How far the winner's score is below keel's joint bound for the batch; None without a bound."""
        if self.score_usd is None or self.joint_bound_usd is None:
            return None
        return self.joint_bound_usd - self.score_usd

    @property
    def saved_usd(self) -> float | None:
        if self.batch_cost_usd is None or self.alone_cost_usd is None:
            return None
        return self.alone_cost_usd - self.batch_cost_usd

    def symbol(self, token: str) -> str:
        return next((p.symbol for p in self.prices if p.token.lower() == token.lower()), token)

    def public(self) -> dict[str, Any]:
        """As `--json` and the explorer's API print it (integers as decimal strings)."""
        return {
            "gasUsed": self.gas_used,
            "clearingPrices": [{"token": p.token, "symbol": p.symbol, "decimals": p.decimals, "price": str(p.price),
                                "usdPerToken": p.usd_per_token} for p in self.prices],
            "route": list(self.route), "hops": [_hop_text(h) for h in self.hops],
            "fills": {i: {t: str(v) for t, v in f.items()} for i, f in self.fills.items()},
            "savings": {"batchCostUsd": self.batch_cost_usd, "aloneCostUsd": self.alone_cost_usd,
                        "savedUsd": self.saved_usd, "aloneUnsettled": list(self.alone_unsettled),
                        "note": self.savings_note},
            "scoreUsd": self.score_usd, "jointBoundUsd": self.joint_bound_usd, "gapToBoundUsd": self.gap_to_bound_usd,
        }


def _hop_text(hop: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if k in HOP_INTS else v) for k, v in hop.items()}


def _hop(raw: Any) -> dict[str, Any]:
    """A hop from a `Hop`, or from its JSON form (the solution came over the wire), amounts as ints."""
    hop = asdict(raw) if is_dataclass(raw) and not isinstance(raw, type) else dict(raw)
    return {k: (int(v) if k in HOP_INTS else str(v)) for k, v in hop.items()}


def to_row(record: SettlementRecord) -> dict[str, Any]:
    public = record.public()
    return {"gas_used": record.gas_used, "prices": json.dumps(public["clearingPrices"]),
            "route": json.dumps(public["route"]), "hops": json.dumps(public["hops"]),
            "fills": json.dumps(public["fills"]), "batch_cost_usd": record.batch_cost_usd,
            "alone_cost_usd": record.alone_cost_usd, "alone_unsettled": json.dumps(list(record.alone_unsettled)),
            "savings_note": record.savings_note, "score_usd": record.score_usd,
            "joint_bound_usd": record.joint_bound_usd}


def from_row(row: Any) -> SettlementRecord:
    prices = tuple(ClearingPrice(p["token"], p["symbol"], int(p["decimals"]), int(p["price"]))
                   for p in json.loads(row["prices"]))
    fills = {i: {t: int(v) for t, v in f.items()} for i, f in json.loads(row["fills"]).items()}
    return SettlementRecord(
        gas_used=int(row["gas_used"]), prices=prices, route=tuple(json.loads(row["route"])),
        hops=tuple(_hop(h) for h in json.loads(row["hops"])), fills=fills,
        batch_cost_usd=row["batch_cost_usd"], alone_cost_usd=row["alone_cost_usd"],
        alone_unsettled=tuple(json.loads(row["alone_unsettled"])), savings_note=row["savings_note"],
        score_usd=row["score_usd"], joint_bound_usd=row["joint_bound_usd"])


def settlement_record(auction: Auction, winner: Solution, gas_used: int) -> SettlementRecord:
    """The record of `winner` settled in `auction` using `gas_used` (the receipt's gasUsed).

    Savings come from `solver.savings.compare` (each settled intent solved again alone); if that
    raises, the record keeps every other figure and says why the savings are missing.
    """
    prices = tuple(ClearingPrice(t, auction.tokens[t].symbol if t in auction.tokens else t,
                                 auction.tokens[t].decimals if t in auction.tokens else 18, int(p))
                   for t, p in winner.prices.items())
    fills = {e.intent_id: {t: int(v) for t, v in e.flows.items()} for e in winner.executions}
    record = SettlementRecord(
        gas_used=int(gas_used), prices=prices, route=tuple(str(r) for r in winner.stats.get("route", ())),
        hops=tuple(_hop(h) for h in winner.stats.get("hops", ())), fills=fills, batch_cost_usd=None,
        alone_cost_usd=None)
    if len(winner.executions) > SAVINGS_MAX_INTENTS:
        return replace(record, savings_note=f"not computed: a batch of {len(winner.executions)} intents (past "
                                            f"{SAVINGS_MAX_INTENTS}, each would be solved again alone while the round waits)")
    try:
        from solver.savings import compare

        saved = compare(auction, winner, winner.solver)
    except Exception as exc:  # a display figure: a failure is recorded in words, the round still closes
        log.warning("savings of round %s not computed: %s", auction.id, exc)
        return replace(record, savings_note=f"not computed: {type(exc).__name__}: {exc}"[:300])
    return replace(record, batch_cost_usd=saved.batch_cost_usd, alone_cost_usd=saved.alone_cost_usd,
                   alone_unsettled=tuple(saved.alone_unsettled))


def joint_bound_usd(solutions: Iterable[Solution | None], at_least: float | None = None) -> float | None:
    """The tightest joint bound the candidates carried (`stats["joint_bound_usd"]`, from a milp node):
    each bounds every settlement of the same auction, so the least is the best; None if none did.

    A node writes its own stats, so a bound below `at_least` (the winner's score, which a true bound
    can never be under) is discarded as false. A verified node can still state a loose or a slightly
    low bound: the gap is a figure for people, never a rule of the auction.
    """
    bounds = [float(s.stats["joint_bound_usd"]) for s in solutions
              if s is not None and isinstance(s.stats.get("joint_bound_usd"), int | float)]
    bounds = [b for b in bounds if at_least is None or b >= at_least]
    return min(bounds) if bounds else None


async def record(rounds: RoundStore, auction: Auction, winner: Settled,
                 candidates: Iterable[Solution | None] = ()) -> SettlementRecord:
    """Compute (off the event loop: the savings re-solve each intent) and store round `auction.id`'s record.

    `candidates` are the solutions that passed verification and simulation: the tightest joint bound
    among them that is not below the winner's score is kept beside that score, so `keel auction show`
    gives the gap to it.
    """
    solution = winner.solution
    assert solution is not None  # a Settled outcome always carries the solution it settled
    kept = await asyncio.to_thread(settlement_record, auction, solution, winner.gas_used)
    score_usd = None if winner.score is None else winner.score / 1e18
    kept = replace(kept, score_usd=score_usd, joint_bound_usd=joint_bound_usd([solution, *candidates], score_usd))
    rounds.record_settlement(auction.id, kept)
    return kept
