"""Liquidity snapshots: JSON round trip, token lookup, and one clear error per malformed part."""

from __future__ import annotations

import json

import pytest

from routing import synthetic
from routing.errors import SnapshotError, UnknownTokenError
from routing.pools import Liquidity


@pytest.fixture(scope="module")
def liq() -> Liquidity:
    return synthetic.liquidity(3, 40, 8)[0]


def test_should_reload_a_saved_snapshot_with_identical_quotes(liq: Liquidity) -> None:
    again = Liquidity.loads(liq.dumps())
    assert again.to_json() == liq.to_json()
    for before, after in zip(liq.pools, again.pools, strict=True):
        amount = 10 ** liq.tokens[before.token0].decimals
        assert before.amount_out(before.token0, amount) == after.amount_out(after.token0, amount)


def test_should_resolve_tokens_by_symbol_or_address_in_any_case(liq: Liquidity) -> None:
    weth = next(a for a, t in liq.tokens.items() if t.symbol == "WETH")
    assert liq.resolve("weth") == weth
    assert liq.resolve(weth.lower()) == weth


def test_rejects_an_unknown_token_with_a_suggestion(liq: Liquidity) -> None:
    with pytest.raises(UnknownTokenError, match="did you mean WETH") as err:
        liq.resolve("WETHH", "sell")
    assert err.value.field == "sell"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("pools"), "pools"),
        (lambda d: d["pools"][0].update(kind="v4"), "pools[0].kind"),
        (lambda d: d["pools"][0].update(token0="0xdead"), "pools[0].token0"),
        (lambda d: d["pools"][0].pop("address"), "pools[0].address"),
        (lambda d: d["tokens"].update({"0xabc": {"symbol": "X"}}), "tokens.0xabc.decimals"),
        (lambda d: d.update(native="0xnope"), "native"),
    ],
)
def test_rejects_a_malformed_snapshot_naming_the_field(liq: Liquidity, mutate, field: str) -> None:
    data = json.loads(liq.dumps())
    mutate(data)
    with pytest.raises(SnapshotError) as err:
        Liquidity.from_json(data, "snap.json")
    assert err.value.field == field
    assert "snap.json" in str(err.value) and "\n" not in str(err.value)


def test_rejects_a_v3_tick_entry_that_is_not_a_pair(liq: Liquidity) -> None:
    data = json.loads(liq.dumps())
    index = next(i for i, p in enumerate(data["pools"]) if p["kind"] == "v3")
    data["pools"][index]["ticks"][0] = [1]
    with pytest.raises(SnapshotError, match=r"ticks\[0\]"):
        Liquidity.from_json(data)


def test_rejects_a_file_that_is_not_json() -> None:
    with pytest.raises(SnapshotError, match="not valid JSON") as err:
        Liquidity.loads("{pools: ", "bad.json")
    assert err.value.field == "snapshot"


def test_a_snapshot_whose_native_token_is_not_an_address_is_refused_naming_the_field() -> None:
    import pytest as _pytest

    from routing.errors import SnapshotError

    with _pytest.raises(SnapshotError, match="native"):
        Liquidity.from_json({"tokens": {}, "pools": [], "native": []})
