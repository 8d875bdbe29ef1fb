"""Tables for people: ids are never cut; money reads as money."""

from __future__ import annotations

from rich.console import Console

from keel import render

ID = "0x" + "d77661a1" * 8


def test_a_narrow_table_folds_an_id_instead_of_cutting_it() -> None:
    console = Console(width=40, record=True)
    console.print(render.table([{"id": ID, "status": "open"}], ["id", "status"]))
    first_column = "".join(line.split("│")[1].strip() for line in console.export_text().splitlines()
                           if line.startswith("│"))
    assert first_column == ID and "…" not in console.export_text()


def test_money_has_a_sign_a_dollar_and_thousands() -> None:
    assert render.usd(29710.0) == "$29,710.00"
    assert render.usd(-3.1) == "-$3.10"
    assert render.usd(None) == "-"
