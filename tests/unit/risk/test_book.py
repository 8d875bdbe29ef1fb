"""Reading options books from CSV and JSON; every bad row is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from intents.errors import BookError
from risk.book import COLUMNS, load, parse_csv, parse_json

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
HEADER = "underlying,type,strike,expiry,quantity,implied_vol\n"
SPOTS = {"WETH": 3000.0, "WBTC": 60000.0}
NOW = 1_750_000_000.0


def test_should_read_the_shipped_csv_and_json_samples_identically() -> None:
    a, b = load(SAMPLES / "book.csv"), load(SAMPLES / "book.json")
    assert len(a) == len(b) == 6
    assert a.underlying == b.underlying
    for col in ("is_call", "strike", "expiry_s", "quantity", "vol"):
        assert np.array_equal(getattr(a, col), getattr(b, col))


def test_should_sum_delta_per_underlying_only() -> None:
    book = parse_csv(HEADER + "WETH,call,3000,2027-01-01,2,60%\nWBTC,call,60000,2027-01-01,5,50%\n")
    _, pos = book.price(SPOTS, NOW)
    assert book.delta_of("WETH", SPOTS, NOW) == pytest.approx(pos.delta[0])
    assert 0 < book.delta_of("WETH", SPOTS, NOW) < 2


def test_should_accept_aliases_percentages_and_unix_expiries() -> None:
    book = parse_csv("Underlying,Call/Put,Strike,Expiry,Qty,IV\nweth,P,2500,1800000000,-3,0.7\n")
    assert book.underlying == ("WETH",) and not book.is_call[0]
    assert book.expiry_s[0] == 1_800_000_000 and book.vol[0] == 0.7 and book.quantity[0] == -3


@pytest.mark.parametrize("missing", COLUMNS)
def test_rejects_a_book_with_a_missing_column(missing: str) -> None:
    cols = [c for c in COLUMNS if c != missing]
    values = {"underlying": "WETH", "type": "call", "strike": "3000", "expiry": "2027-01-01", "quantity": "1", "implied_vol": "0.6"}
    text = ",".join(cols) + "\n" + ",".join(values[c] for c in cols) + "\n"
    with pytest.raises(BookError, match=f"missing column '{missing}'") as err:
        parse_csv(text)
    assert err.value.field == missing


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("WETH,call,-3000,2027-01-01,1,60%", "strike"),
        ("WETH,call,0,2027-01-01,1,60%", "strike"),
        ("WETH,straddle,3000,2027-01-01,1,60%", "type"),
        ("WETH,call,3000,next friday,1,60%", "expiry"),
        ("WETH,call,3000,2027-01-01,lots,60%", "quantity"),
        ("WETH,call,3000,2027-01-01,1,-5%", "implied_vol"),
        ("WETH,call,3000,2027-01-01,1,", "implied_vol"),
    ],
)
def test_rejects_a_bad_value_naming_row_and_column(row: str, field: str) -> None:
    good = "WETH,put,2500,2027-01-01,1,60%"
    with pytest.raises(BookError, match=r"row 2: " + field) as err:
        parse_csv(HEADER + good + "\n" + row + "\n")
    assert err.value.field == field


def test_rejects_json_that_is_not_a_list_of_positions() -> None:
    with pytest.raises(BookError, match="positions"):
        parse_json('{"positions": 3}')
    with pytest.raises(BookError, match="not valid JSON"):
        parse_json("{")


def test_rejects_a_spot_missing_for_an_underlying() -> None:
    book = load(SAMPLES / "book.csv")
    with pytest.raises(BookError, match="--spot WBTC") as err:
        book.price({"WETH": 3000.0}, NOW)
    assert err.value.field == "spot"


def test_rejects_an_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "book.txt"
    path.write_text(HEADER)
    with pytest.raises(BookError, match=r"\.csv or \.json"):
        load(path)
