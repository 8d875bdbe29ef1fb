"""Scoring charges gas through the auction's native-token price, whatever tokens the auction trades."""

from __future__ import annotations

import dataclasses

import pytest

from auction import wire
from keel.units import USD_VALUE_SCALE, gas_cost
from solver import scoring
from solver.domain import Auction, Token
from solver.errors import SolverError
from tests.unit.auction.test_verify import USDC, USDC_PRICE, WETH, WETH_PRICE, cow, make_auction

GAS = 200_000


def _without_weth(auction: Auction) -> Auction:
    """The auction as a stale WETH feed leaves it: WETH is no tradable token, the native price stays."""
    return dataclasses.replace(auction, tokens={USDC: auction.tokens[USDC]})


def test_gas_costs_the_gas_used_times_the_gas_price_at_the_native_tokens_price() -> None:
    auction = make_auction()
    # 200k gas at 1 gwei is 2e14 wei = 0.0002 ETH, $0.60 at $3000
    assert scoring.gas_cost_e18(auction, GAS) == gas_cost(GAS, 10**9, WETH_PRICE) == 6 * USD_VALUE_SCALE // 10


def test_gas_is_still_charged_when_no_token_of_the_auction_is_the_native_one() -> None:
    auction = make_auction()
    stables_only = _without_weth(auction)
    assert all(t.symbol != "WETH" for t in stables_only.tokens.values())
    assert scoring.gas_cost_e18(stables_only, GAS) == scoring.gas_cost_e18(auction, GAS) > 0


def test_a_solution_scores_less_by_exactly_its_gas_cost() -> None:
    auction = make_auction()
    solution = cow(auction)
    assert scoring.score(auction, solution, 0) - scoring.score(auction, solution, GAS) == scoring.gas_cost_e18(auction, GAS)


def test_gas_is_valued_by_the_native_price_not_by_a_token_called_weth() -> None:
    # a token called WETH at another price changes nothing: only the native price values gas
    auction = make_auction()
    renamed = dataclasses.replace(auction, tokens={**auction.tokens, WETH: Token(WETH, "WETH", 18, 1)})
    assert scoring.gas_cost_e18(renamed, GAS) == scoring.gas_cost_e18(auction, GAS)
    cheaper_eth = dataclasses.replace(auction, native_price=WETH_PRICE // 2)
    assert scoring.gas_cost_e18(cheaper_eth, GAS) == scoring.gas_cost_e18(auction, GAS) // 2


@pytest.mark.parametrize("native", [0, -USDC_PRICE])
def test_an_auction_without_a_native_price_cannot_exist(native: int) -> None:
    with pytest.raises(SolverError, match="nativePrice"):
        dataclasses.replace(make_auction(), native_price=native)


def test_the_wire_carries_the_native_price_and_refuses_an_auction_without_one() -> None:
    auction = make_auction()
    body = wire.auction_to_json(auction)
    assert body["nativePrice"] == str(WETH_PRICE)
    assert wire.auction_from_json(body).native_price == WETH_PRICE
    for bad, why in (({k: v for k, v in body.items() if k != "nativePrice"}, "is required"), ({**body, "nativePrice": "0"}, "gas")):
        with pytest.raises(SolverError) as err:
            wire.auction_from_json(bad)
        assert err.value.field == "nativePrice" and why in str(err.value)
