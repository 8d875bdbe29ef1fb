"""Options books: CSV or JSON files of positions, read into columns and priced in one pass.

Columns (CSV header or JSON object keys; case and spaces do not matter):

    underlying   token symbol of the underlying (WETH, WBTC, ...)
    type         call | put  (also accepted: c | p, header `call/put` or `kind`)
    strike       > 0, in USD per whole underlying token
    expiry       ISO date (`2027-06-25`, 08:00 UTC) or datetime, or unix seconds
    quantity     signed units of underlying (negative = short)
    implied_vol  > 0, as a fraction (0.65) or a percentage (`65%`); header `iv`/`vol` also accepted

A missing column, an unreadable value, a non-positive strike or vol: a `BookError` naming
the row and column. Reading a path is the one I/O here (`load`); parsing is pure.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from intents.errors import BookError
from risk.greeks import Greeks, black_scholes, years_to

COLUMNS = ("underlying", "type", "strike", "expiry", "quantity", "implied_vol")
_ALIASES = {
    "call/put": "type", "callput": "type", "call_put": "type", "kind": "type", "option": "type",
    "iv": "implied_vol", "vol": "implied_vol", "impliedvol": "implied_vol", "implied vol": "implied_vol",
    "volatility": "implied_vol", "qty": "quantity", "size": "quantity", "k": "strike",
}
EXPIRY_HOUR_UTC = 8  # Deribit-style 08:00 UTC expiries when only a date is given


@dataclass(frozen=True)
class Book:
    """Positions as parallel numpy columns (cheap to price 100,000 at once)."""

    underlying: tuple[str, ...]
    is_call: np.ndarray
    strike: np.ndarray
    expiry_s: np.ndarray
    quantity: np.ndarray
    vol: np.ndarray

    def __len__(self) -> int:
        return len(self.underlying)

    def underlyings(self) -> list[str]:
        return sorted(set(self.underlying))

    def spots_for(self, spots: dict[str, float]) -> np.ndarray:
        """The spot column for every row; a BookError names an underlying with no price."""
        missing = [u for u in self.underlyings() if u not in spots]
        if missing:
            raise BookError(f"spot: no price for underlying {missing[0]} (pass --spot {missing[0]}=PRICE)", "spot")
        return np.array([spots[u] for u in self.underlying], dtype=np.float64)

    def price(self, spots: dict[str, float], now_s: float, rate: float = 0.0) -> tuple[Greeks, Greeks]:
        """(per-unit greeks, position greeks = per-unit x quantity), one entry per row."""
        unit = black_scholes(
            self.spots_for(spots), self.strike, years_to(self.expiry_s, now_s), self.vol, self.is_call, rate
        )
        return unit, unit.scaled(self.quantity)

    def delta_of(self, underlying: str, spots: dict[str, float], now_s: float, rate: float = 0.0) -> float:
        """The book's total delta in units of `underlying` (rows on other underlyings ignored)."""
        mask = np.array([u == underlying for u in self.underlying], dtype=bool)
        if not mask.any():
            raise BookError(f"underlying: the book has no position on {underlying}", "underlying")
        _, pos = self.price(spots, now_s, rate)
        return float(np.sum(pos.delta[mask]))


def _key(name: str) -> str:
    k = name.strip().lower().replace("-", "_")
    return _ALIASES.get(k, _ALIASES.get(k.replace("_", " "), k))


def _number(raw: Any, where: str, col: str) -> float:
    text = str(raw).strip()
    pct = text.endswith("%")
    try:
        value = float(text[:-1] if pct else text)
    except ValueError:
        raise BookError(f"{where}: {col} {raw!r} is not a number", col) from None
    if not np.isfinite(value):
        raise BookError(f"{where}: {col} {raw!r} is not a finite number", col)
    return value / 100.0 if pct else value


def _expiry(raw: Any, where: str) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    text = str(raw).strip()
    if text.isdigit():
        return float(text)
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, EXPIRY_HOUR_UTC, tzinfo=UTC).timestamp()
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BookError(f"{where}: expiry {raw!r} is not an ISO date (YYYY-MM-DD) or unix seconds", "expiry") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def _option_type(raw: Any, where: str) -> bool:
    text = str(raw).strip().lower()
    if text in ("call", "c"):
        return True
    if text in ("put", "p"):
        return False
    raise BookError(f"{where}: type {raw!r} must be call or put", "type")


def from_rows(rows: list[dict[str, Any]], source: str = "book") -> Book:
    """Columns from row dicts (keys already as in the file); every value checked, row named."""
    if not rows:
        raise BookError(f"{source}: the book has no positions", "book")
    normalised = [{_key(str(k)): v for k, v in row.items() if k is not None} for row in rows]
    missing = [c for c in COLUMNS if c not in normalised[0]]
    if missing:
        raise BookError(f"{source}: missing column {missing[0]!r} (columns: {', '.join(COLUMNS)})", missing[0])
    under, calls, strikes, expiries, qty, vols = [], [], [], [], [], []
    for i, row in enumerate(normalised, start=1):
        where = f"{source} row {i}"
        for c in COLUMNS:
            if row.get(c) is None or str(row.get(c)).strip() == "":
                raise BookError(f"{where}: {c} is empty", c)
        symbol = str(row["underlying"]).strip().upper()
        strike = _number(row["strike"], where, "strike")
        if strike <= 0:
            raise BookError(f"{where}: strike must be > 0, got {row['strike']}", "strike")
        vol = _number(row["implied_vol"], where, "implied_vol")
        if vol <= 0 or vol > 20:
            raise BookError(f"{where}: implied_vol must be in (0, 2000%], got {row['implied_vol']}", "implied_vol")
        under.append(symbol)
        calls.append(_option_type(row["type"], where))
        strikes.append(strike)
        expiries.append(_expiry(row["expiry"], where))
        qty.append(_number(row["quantity"], where, "quantity"))
        vols.append(vol)
    return Book(
        tuple(under),
        np.array(calls, dtype=bool),
        np.array(strikes, dtype=np.float64),
        np.array(expiries, dtype=np.float64),
        np.array(qty, dtype=np.float64),
        np.array(vols, dtype=np.float64),
    )


def parse_csv(text: str, source: str = "book.csv") -> Book:
    reader = csv.DictReader(io.StringIO(text, newline=""))  # the csv module needs newline="" (a lone \r is a line end)
    if not reader.fieldnames:
        raise BookError(f"{source}: empty file, expected a header ({', '.join(COLUMNS)})", "book")
    header = {_key(h) for h in reader.fieldnames}
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BookError(f"{source}: missing column {missing[0]!r} (columns: {', '.join(COLUMNS)})", missing[0])
    return from_rows(list(reader), source)


def parse_json(text: str, source: str = "book.json") -> Book:
    """A list of position objects, or {"positions": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BookError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})", "book") from None
    if isinstance(data, dict):
        data = data.get("positions")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BookError(f"{source}: expected a list of positions or {{\"positions\": [...]}}", "positions")
    return from_rows(data, source)


def load(path: Path | str) -> Book:
    """Read a `.csv` or `.json` book from disk."""
    p = Path(path)
    if not p.is_file():
        raise BookError(f"book: no such file {p}", "book")
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise BookError(f"book: {p.name} is not a text file (expected UTF-8 CSV or JSON)", "book") from None
    if p.suffix.lower() == ".json":
        return parse_json(text, p.name)
    if p.suffix.lower() == ".csv":
        return parse_csv(text, p.name)
    raise BookError(f"book: {p.name} must end in .csv or .json", "book")
