"""The backtester's cost curve (routing.costs) against routing's exact pool math."""

from __future__ import annotations

import numpy as np
import pytest

from routing import costs
from tests.unit.risk.backtest.world_pools import USDC, WETH, usdc_weth


@pytest.fixture(scope="module")
def curve() -> costs.CostCurve:
    return costs.build_curve(usdc_weth(), WETH, USDC, 3000.0, gas_price_gwei=20, gas_units=150_000)


def test_should_agree_with_the_exact_pool_math_within_one_bp_between_grid_points(curve: costs.CostCurve) -> None:
    liq = usdc_weth()
    rng = np.random.default_rng(3)
    sizes = np.exp(rng.uniform(np.log(0.01), np.log(curve.sizes[-1]), 16))
    for q in sizes:
        for signed in (q, -q):
            exact = costs.exact_cost(liq, WETH, USDC, signed, 3000.0) / (q * 3000.0)
            interp = curve.fraction(np.array([signed]), np.array([3000.0]))[0]
            assert abs(exact - interp) * 1e4 < 1.0, (signed, exact, interp)


def test_should_charge_at_least_the_cheapest_pools_fee_and_more_for_bigger_trades(curve: costs.CostCurve) -> None:
    small = curve.fraction(np.array([0.1, -0.1]), np.array([3000.0, 3000.0]))
    big = curve.fraction(np.array([2000.0, -2000.0]), np.array([3000.0, 3000.0]))
    assert np.all(small >= 0.0005 - 1e-6)  # the 0.05% pool's fee
    assert np.all(big > small + 0.001)
    assert 0.0005 <= curve.rate < 0.0006


def test_should_price_trades_past_the_pools_depth_as_prohibitive(curve: costs.CostCurve) -> None:
    assert curve.fraction(np.array([curve.sizes[-1] * 10]), np.array([3000.0]))[0] == 1.0


def test_should_recentre_pools_on_the_simulated_price(curve: costs.CostCurve) -> None:
    # q tokens at 4 x the price cost, as a fraction, what 2q cost at the snapshot's price
    at_4x = curve.fraction(np.array([100.0]), np.array([12_000.0]))[0]
    at_1x = curve.fraction(np.array([200.0]), np.array([3000.0]))[0]
    assert at_4x == pytest.approx(at_1x, rel=1e-9)


def test_should_price_gas_in_numeraire_at_the_simulated_eth_price(curve: costs.CostCurve) -> None:
    gas = curve.gas(np.array([3000.0, 6000.0]))
    assert gas[0] == pytest.approx(150_000 * 20e-9 * 3000.0)
    assert gas[1] == pytest.approx(2 * gas[0])


def test_should_cost_more_when_liquidity_is_withdrawn() -> None:
    liq = usdc_weth()
    thin = costs.withdraw(liq, 0.9)
    assert costs.exact_cost(thin, WETH, USDC, 500.0, 3000.0) > 2 * costs.exact_cost(liq, WETH, USDC, 500.0, 3000.0)


def test_rejects_a_withdrawal_fraction_out_of_range() -> None:
    with pytest.raises(costs.RoutingError, match="fraction"):
        costs.withdraw(usdc_weth(), 1.0)
