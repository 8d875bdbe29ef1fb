"""The Deployment: typed lookups by symbol, pair and fee, and the one loader of its serialised form."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from contracts import mainnet, world_spec
from contracts.deployment import (
    Deployment,
    DeploymentError,
    KeelContracts,
    NotDeployed,
    Pair,
    PoolKey,
    UnknownName,
)

KEEL = KeelContracts(settlement="0x" + "11" * 20, relayer="0x" + "22" * 20, allow_list="0x" + "33" * 20)
FULL = mainnet.deployment(keel=KEEL, v3_seeder="0x" + "44" * 20)


def _json() -> dict[str, Any]:
    return copy.deepcopy(FULL.to_json())


def test_should_round_trip_through_its_json_exactly() -> None:
    text = json.dumps(FULL.to_json())
    assert Deployment.from_json(json.loads(text)) == FULL
    bare = mainnet.deployment()
    assert Deployment.from_json(bare.to_json()) == bare and bare.keel is None


def test_should_name_pairs_and_pools_by_symbols_in_either_order() -> None:
    usdc_weth = "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"
    assert FULL.v2_pair("USDC", "WETH") == FULL.v2_pair("WETH", "USDC") == usdc_weth
    assert FULL.v3_pool("WETH", "USDC", 500) == "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"
    # pool order is address order: WBTC (0x22…) before USDC (0xA0…), whatever the alphabet says
    assert FULL.pair("USDC", "WBTC") == Pair("WBTC", "USDC")
    assert PoolKey(FULL.pair("USDC", "WETH"), 500).label == "USDC/WETH 0.05%"
    assert FULL.find_v3_pool("USDC", "WETH", 100) is None
    assert len(FULL.v2_pairs) == len(world_spec.V2_PAIRS) and len(FULL.v3_pools) == len(world_spec.V3_POOLS)


def test_should_hold_every_address_mainnet_has_for_the_world() -> None:
    for (a, b), address in mainnet.KNOWN_V2_PAIRS.items():
        assert FULL.v2_pair(a, b) == address
    for (a, b, fee), address in mainnet.KNOWN_V3_POOLS.items():
        assert FULL.v3_pool(a, b, fee) == address
    assert {s: t.address for s, t in FULL.tokens.items()} == mainnet.TOKENS
    assert {s: f.address for s, f in FULL.feeds.items()} == mainnet.FEEDS
    assert FULL.native_feed.address == mainnet.FEEDS["WETH"] and FULL.native_token.decimals == 18


@pytest.mark.parametrize(
    ("ask", "field"),
    [(lambda d: d.token("USDT"), "token"), (lambda d: d.feed("USDT"), "feed"),
     (lambda d: d.v2_pair("WBTC", "DAI"), "pair"), (lambda d: d.v3_pool("USDC", "WETH", 100), "pool"),
     (lambda d: d.pair("WETH", "WETH"), "pair")],
)
def test_refuses_a_name_it_does_not_have_in_one_line_naming_the_field(ask: Any, field: str) -> None:
    with pytest.raises(UnknownName) as err:
        ask(FULL)
    assert err.value.field == field and "\n" not in str(err.value)


def test_a_chain_without_keel_or_a_native_feed_says_so_rather_than_guessing() -> None:
    with pytest.raises(NotDeployed, match="keel chain up"):
        _ = mainnet.deployment().settlement
    no_eth_feed = dataclasses.replace(FULL, feeds={s: f for s, f in FULL.feeds.items() if s != "WETH"})
    with pytest.raises(UnknownName, match="gas cannot be valued"):
        _ = no_eth_feed.native_feed


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    if value is KeyError:
        del data[path[-1]]
    else:
        data[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "named", "says"),
    [
        (("addresses",), {"WETH": "0x" + "11" * 20}, "addresses", "not a known key"),
        (("tokens", 0, "colour"), "blue", "tokens[0].colour", "not a known key"),
        (("uniswap", "v2_router"), "0x" + "11" * 20, "uniswap.v2_router", "not a known key"),
        (("feeds",), KeyError, "feeds", "is missing"),
        (("v3Pools", 0, "feePips"), KeyError, "v3Pools[0].feePips", "is missing"),
        (("tokens", 1, "address"), "0x1234", "tokens[1].address", "not an address"),
        (("tokens", 1, "decimals"), "6", "tokens[1].decimals", "integer"),
        (("native",), "ETH", "native", "not among the tokens"),
        (("feeds", 0, "token"), "USDT", "feeds[0].token", "not among the tokens"),
        (("v2Pairs", 0, "token0"), "USDC", "v2Pairs[0].token1", "repeats token0"),  # the first pair is DAI/USDC
        (("keel", "relayer"), None, "keel.relayer", "not an address"),
        (("tokens",), {}, "tokens", "must be a list"),
    ],
)
def test_the_loader_refuses_a_malformed_record_naming_the_offending_key(
        path: tuple[Any, ...], value: Any, named: str, says: str) -> None:
    data = _json()
    _set(data, path, value)
    with pytest.raises(DeploymentError) as err:
        Deployment.from_json(data, "world.json")
    assert err.value.field == named, str(err.value)
    assert str(err.value).startswith("world.json: " + named) and says in str(err.value)


def test_the_loader_refuses_a_pair_listed_out_of_pool_order() -> None:
    data = _json()
    first = data["v2Pairs"][0]
    first["token0"], first["token1"] = first["token1"], first["token0"]
    with pytest.raises(DeploymentError, match="pool order"):
        Deployment.from_json(data)


def test_the_loader_refuses_what_is_not_a_record_at_all() -> None:
    for bad in (None, [], "addresses"):
        with pytest.raises(DeploymentError, match="must be an object"):
            Deployment.from_json(bad)


def test_a_table_lists_everything_once_with_a_readable_label() -> None:
    rows = dict(FULL.labelled())
    assert rows["WETH"] == mainnet.TOKENS["WETH"] and rows["WETH / USD feed"] == mainnet.FEEDS["WETH"]
    assert rows["V3 USDC/WETH 0.05%"] == FULL.v3_pool("USDC", "WETH", 500)
    assert rows["settlement"] == KEEL.settlement
    assert len(rows) == len(list(FULL.labelled()))  # no label twice
