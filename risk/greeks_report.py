"""The rows `keel greeks` prints: per position and totals per underlying (display floats only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from risk.book import Book


def report(book: Book, spots: dict[str, float], now_s: float, rate: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(position rows, one total row per underlying). Greeks of positions = per-unit x quantity."""
    _unit, pos = book.price(spots, now_s, rate)
    rows = []
    for i in range(len(book)):
        rows.append({
            "underlying": book.underlying[i],
            "type": "call" if book.is_call[i] else "put",
            "strike": f"{book.strike[i]:g}",
            "expiry": datetime.fromtimestamp(book.expiry_s[i], UTC).strftime("%Y-%m-%d"),
            "quantity": f"{book.quantity[i]:g}",
            "iv": f"{book.vol[i]:.0%}",
            **{f: round(float(getattr(pos, f)[i]), 6) for f in pos.FIELDS},
        })
    totals = []
    names = np.array(book.underlying)
    for u in book.underlyings():
        mask = names == u
        totals.append({"underlying": u, "spot": spots[u], **{f: round(float(np.sum(getattr(pos, f)[mask])), 6) for f in pos.FIELDS}})
    return rows, totals
