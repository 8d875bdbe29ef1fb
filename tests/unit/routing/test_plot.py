"""The route picture: layout rules on real routes, a valid PNG written atomically, and
`keel route --plot` over a saved snapshot (no chain), with its one-line refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from keel.units import USD_PRICE_SCALE
from routing import synthetic
from routing.errors import RoutingError
from routing.evaluate import Hop
from routing.plot import ARC_GAP, check_path, layout, plot_route
from routing.pools import Liquidity, Token, V2Pool
from routing.problem import Demands
from routing.route import RouteResult, route
from tests.helpers import run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
A, B = "0x" + "a" * 40, "0x" + "b" * 40
USD = USD_PRICE_SCALE  # keel.units.UsdPrice: a token worth $1 per base unit


def _v2_split() -> tuple[Liquidity, dict[str, int], RouteResult]:
    """Three V2 pools of one pair, sizes 1:2:4, all at 2,000 B per A; a large sale must split over them."""
    tokens = {A: Token(A, "AAA", 18), B: Token(B, "BBB", 6)}
    pools = tuple(V2Pool(f"0x{k:040x}", A, B, size * 10**18, size * 2000 * 10**6) for k, size in
                  ((1, 100), (2, 200), (3, 400)))
    liq = Liquidity(tokens, pools)
    prices = {A: 2000 * USD // 10**18, B: USD // 10**6}
    result = route(Demands({A: 70 * 10**18}, {B: 0}), liq, prices, "milp", 0)
    return liq, prices, result


@pytest.fixture(scope="module")
def hub_route() -> tuple[Liquidity, dict[str, int], RouteResult]:
    """A synthetic mainnet-shaped instance where 300 WETH -> USDC splits over pools and paths."""
    liq, prices = synthetic.liquidity(11, 60, 6)
    result = route(Demands({liq.resolve("WETH"): 300 * 10**18}, {liq.resolve("USDC"): 0}), liq, prices, "milp",
                   20 * 10**9)
    return liq, prices, result


def _labels(liq: Liquidity) -> tuple[dict[str, str], dict[str, int]]:
    return {a: t.symbol for a, t in liq.tokens.items()}, {a: t.decimals for a, t in liq.tokens.items()}


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # the IHDR chunk
    assert width >= 400 and height >= 200, (width, height)
    assert len(data) > 10_000  # a drawn picture, not an empty canvas


def test_should_draw_parallel_pools_as_visibly_separate_arcs(tmp_path: Path) -> None:
    liq, prices, result = _v2_split()
    assert len({h.pool for h in result.hops}) == 3  # the premise: the router split over all three pools
    lay = layout(result.hops, prices)
    mids = [lay.midpoint(i) for i in range(len(lay.hops))]
    gaps = [math.dist(p, q) for k, p in enumerate(mids) for q in mids[k + 1:]]
    assert min(gaps) >= ARC_GAP * 0.99
    assert lay.positions[A][0] < lay.positions[B][0]  # sold on the left, bought on the right
    # widths follow value: the biggest pool took the most and has the widest arrow
    biggest = max(range(3), key=lambda i: lay.hops[i].amount_in)
    assert lay.hops[biggest].pool == f"0x{3:040x}"
    assert max(lay.shares) == lay.shares[biggest]
    assert sum(lay.shares) == pytest.approx(1.0)
    symbols, decimals = _labels(liq)
    out = plot_route(result.hops, symbols, tmp_path / "split.png", "AAA -> BBB", decimals, prices)
    assert out == tmp_path / "split.png"
    _assert_png(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split.png"]  # the temporary file was renamed away


def test_should_put_sold_tokens_left_intermediates_between_and_bought_right(hub_route, tmp_path: Path) -> None:
    liq, prices, result = hub_route
    weth, usdc = liq.resolve("WETH"), liq.resolve("USDC")
    pairs = [(h.token_in, h.token_out) for h in result.hops]
    assert len(pairs) > len(set(pairs)) and len({h.token_out for h in result.hops}) > 2  # a split through hubs
    lay = layout(result.hops, prices)
    middle = {h.token_out for h in result.hops} - {usdc}
    assert all(lay.positions[weth][0] < lay.positions[t][0] < lay.positions[usdc][0] for t in middle)
    for h, (start, _, end) in zip(lay.hops, lay.curves, strict=True):
        assert start == lay.positions[h.token_in] and end == lay.positions[h.token_out]
    sold_share = sum(s for h, s in zip(lay.hops, lay.shares, strict=True) if h.token_in == weth)
    assert sold_share == pytest.approx(1.0)
    symbols, decimals = _labels(liq)
    _assert_png(plot_route(result.hops, symbols, tmp_path / "hub.png", None, decimals, prices))


def test_should_accept_hops_as_plain_dicts_with_the_same_fields(hub_route, tmp_path: Path) -> None:
    liq, prices, result = hub_route
    # as the CLI's --json prints them: extra keys, amounts possibly as strings
    dicts = [{**h.__dict__, "amount_in": str(h.amount_in), "symbol_in": "x"} for h in result.hops]
    assert layout(dicts, prices) == layout(result.hops, prices)
    symbols, _ = _labels(liq)
    _assert_png(plot_route(dicts, symbols, tmp_path / "dicts.png"))  # no decimals, no prices: base units


def test_should_split_widths_by_amount_when_no_prices_are_given() -> None:
    hops = [Hop("0x1", "v3", 500, A, B, 3 * 10**18, 6000 * 10**6), Hop("0x2", "v2", 3000, A, B, 10**18, 1990 * 10**6)]
    lay = layout(hops)
    assert lay.shares == pytest.approx((0.75, 0.25))


@pytest.mark.parametrize(
    ("hops", "field"),
    [
        ([], "hops"),
        ([{"pool": "0x1", "kind": "v2", "fee_pips": 3000, "token_in": A, "token_out": B, "amount_in": 5}], "hops[0].amount_out"),
        ([{"pool": "0x1", "kind": "v2", "fee_pips": 3000, "token_in": A, "token_out": B, "amount_in": "lots",
           "amount_out": 1}], "hops[0].amount_in"),
        (["WETH->USDC"], "hops[0]"),
    ],
)
def test_rejects_hops_it_cannot_draw_naming_the_field(tmp_path: Path, hops, field: str) -> None:
    with pytest.raises(RoutingError) as err:
        plot_route(hops, {}, tmp_path / "bad.png")
    assert err.value.field == field
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["missing/route.png", "route.jpg", "route"])
def test_rejects_a_path_it_cannot_write_a_png_to(tmp_path: Path, name: str) -> None:
    with pytest.raises(RoutingError) as err:
        check_path(tmp_path / name, "--plot")
    assert err.value.field == "--plot" and "--plot" in str(err.value)
    assert check_path(tmp_path / "route.png", "--plot") == tmp_path / "route.png"  # the acceptance twin


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    liq, _ = synthetic.liquidity(11, 60, 6)
    path = tmp_path_factory.mktemp("snap") / "liquidity.json"
    path.write_text(liq.dumps())
    return path


def _route(capsys, snap: Path, *args: str):
    return run_cli(capsys, "route", "--snapshot", str(snap), "--price", "WETH=3000", "--price", "USDC=1",
                   "--sell", "WETH=300", "--buy", "USDC", *args)


def test_should_write_the_picture_and_name_it_in_json(capsys, snap: Path, tmp_path: Path) -> None:
    png = tmp_path / "route.png"
    res = _route(capsys, snap, "--plot", str(png), "--json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["plot"] == str(png)
    assert f"route picture: {png}" in res.err
    _assert_png(png)


def test_should_write_the_picture_beside_the_table(capsys, snap: Path, tmp_path: Path) -> None:
    png = tmp_path / "table.png"
    res = _route(capsys, snap, "--plot", str(png))
    assert res.code == 0, res.err
    assert "route (milp)" in res.out and f"route picture: {png}" in res.err
    _assert_png(png)


@pytest.mark.parametrize(("name", "needle"), [("nowhere/route.png", "does not exist"), ("route.svg", "PNG")])
def test_rejects_a_bad_plot_path_in_one_line_and_writes_nothing(capsys, snap: Path, tmp_path: Path, name: str,
                                                                needle: str) -> None:
    res = _route(capsys, snap, "--plot", str(tmp_path / name), "--json")
    assert res.code == 2 and "--plot" in res.err and needle in res.err and res.err.count("\n") == 1, res.err
    assert res.out == "" and not list(tmp_path.iterdir())
