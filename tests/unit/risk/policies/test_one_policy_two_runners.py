"""One policy, two runners: for every hedging policy kind, the keeper stepping through a
path one observation at a time (arrays of length 1) decides exactly what the vectorised
backtester decides on that path among many — with the gas price moving along the path
(the keeper reads it per poll, the backtest from its gas path) and the program ending at
the backtest's horizon (the impulse band widens near it)."""

from __future__ import annotations

import numpy as np
import pytest

from risk import breakers, keeper
from risk.backtest import engine, gas, paths
from risk.policies import hedge, impulse

BOOK = engine.OptionBook(np.array([3000.0, 3400.0]), np.array([0.2, 0.4]), np.array([True, False]),
                         np.array([-30.0, 12.0]), np.array([0.7, 0.75]))
COSTS = engine.CostModel(impact=lambda q, s: np.abs(q) * s * 0.0005 + 1e-6 * (q * s) ** 2 / 1e4,
                         gas=lambda s: 0.003 * s, rate=0.0005, gwei=20.0)
OPEN = breakers.Limits(max_oracle_age_s=1e12, max_pool_deviation_bps=1e12, max_impact_bps=1e12, halt_vol=1e12,
                       notional_cap=1e15)
POLICIES = [
    hedge.EveryStep("every"), hedge.TimeBased("time", interval_hours=6), hedge.Threshold("th", band=0.8, to=0.2),
    hedge.DeFiRule("defi", band=1.5, interval_hours=12), hedge.Leland("leland", interval_hours=4),
    hedge.WhalleyWilmott("ww", risk_aversion=0.001), hedge.Zakamouline("zak", risk_aversion=0.001),
    hedge.VolAdaptive("va", band=0.5), hedge.GasAware("gas", risk_aversion=0.001),
    impulse.ImpulseBand("impulse", risk_aversion=0.001), impulse.ImpulseBand("impulse-ref", risk_aversion=0.001, gas="reference"),
    impulse.GasTiming("gas-timing", risk_aversion=0.001, gas_half_life_hours=4, budget=2.0),
]


class Recorder:
    """Where a keeper's fired intents go when nothing is to be signed: remembered by nonce."""

    def __init__(self) -> None:
        self.positions: list[tuple[float, ...]] = []

    def submit(self, obs: keeper.Observation, position: tuple[float, ...], nonce: int) -> str:
        self.positions.append(position)
        return f"intent-{nonce}"

    def cancel(self, intent_id: str) -> None:
        pass


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_should_decide_live_exactly_as_in_the_backtest(policy: object) -> None:
    dt_s, steps, t0 = 3600.0, 72, 1_800_000_000
    p = paths.gbm(3000.0, 0.7, dt_s / 31_536_000, steps, 5, seed=4)
    g = gas.mean_reverting(20.0, 4 * 3600.0, 0.8, dt_s, steps, 5, seed=4)
    runs = engine.run_hedge(p, dt_s, BOOK, [policy], COSTS, initial_hedge=5.0, vol_half_life_s=8 * 3600, record=5,
                            gas_gwei=g)
    assert len(runs[0].trades) > 0  # the path makes every policy fire at least once
    for path in range(5):
        kp = keeper.Keeper(policy, COSTS, OPEN, Recorder(), book=BOOK, vol_half_life_s=8 * 3600, valid_s=1e9,
                           end_s=t0 + steps * dt_s)
        fired = []
        for i in range(steps):  # the backtest decides on rows 0..steps-1; the last row is its horizon
            obs = keeper.Observation(t0 + i * dt_s, (1.0, float(p[i, path])), (0.0, 5.0), t0 + i * dt_s,
                                     gas_price_gwei=float(g[i, path]))
            step = kp.step(obs)
            if step.fired:
                fired.append((i, step.position[0]))
        sim = [(i, pos) for i, q, pos in runs[0].trades if q == path]
        assert [i for i, _ in fired] == [i for i, _ in sim]
        assert np.allclose([x for _, x in fired], [x for _, x in sim], rtol=1e-9, atol=1e-9)


def test_should_let_the_keeper_see_the_chains_gas_price() -> None:
    """The same path polled at 20 and at 400 gwei: the live impulse band waits longer in dear gas."""
    dt_s, steps, t0 = 3600.0, 240, 1_800_000_000
    p = paths.gbm(3000.0, 0.7, dt_s / 31_536_000, steps, 1, seed=4)
    fires = []
    for gwei in (20.0, 400.0):
        kp = keeper.Keeper(impulse.ImpulseBand("impulse", risk_aversion=0.1), COSTS, OPEN, Recorder(), book=BOOK,
                           valid_s=1e9)
        fires.append(sum(kp.step(keeper.Observation(t0 + i * dt_s, (1.0, float(p[i, 0])), (0.0, 5.0), t0 + i * dt_s,
                                                    gas_price_gwei=gwei)).fired for i in range(steps)))
    assert fires[0] > fires[1] > 0
