"""A settled round's route picture, drawn by `routing.plot` from the hops the rounds store kept.

    route_png(record, round_id, cache_dir) -> Path | None

The picture is made on first request and cached on disk under `cache_dir`, named by the round
and a digest of what it draws (hops and clearing prices), so a re-recorded round or another
database with the same round number never serves a stale file. None when no pool carried
anything (a batch netted entirely between its users). Token labels and amounts come from the
record's clearing prices (symbol, decimals); arrow widths are value at those prices.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from auction.settled import SettlementRecord


def cache_name(record: SettlementRecord, round_id: int) -> str:
    public = record.public()
    digest = hashlib.sha256(json.dumps([public["hops"], public["clearingPrices"]], sort_keys=True).encode())
    return f"round-{round_id}-{digest.hexdigest()[:16]}.png"


def route_png(record: SettlementRecord, round_id: int, cache_dir: Path) -> Path | None:
    """The cached PNG of round `round_id`'s route, drawn now if it is not on disk yet."""
    if not record.hops:
        return None
    target = cache_dir / cache_name(record, round_id)
    if target.is_file() and target.stat().st_size > 0:
        return target
    from routing.plot import plot_route

    cache_dir.mkdir(parents=True, exist_ok=True)
    symbols = {p.token.lower(): p.symbol for p in record.prices}
    decimals = {p.token.lower(): p.decimals for p in record.prices}
    prices = {p.token.lower(): p.price for p in record.prices}
    hops = [{**h, "token_in": str(h["token_in"]).lower(), "token_out": str(h["token_out"]).lower()} for h in record.hops]
    return plot_route(hops, symbols, target, title=f"round {round_id}: what the pools carried after netting",
                      decimals=decimals, prices=prices if all(h["token_in"] in prices for h in hops) else None)
