"""When to pay for gas: the trigger multiplier of the gas-timing policy, from optimal stopping.

The local problem of `risk.policies.band`, fixed cost only, but with the gas price moving:
log gas is a mean-reverting (Ornstein-Uhlenbeck) process with stationary standard
deviation s and reversion rate kappa, around a mean gas price g_bar. In units where the
mis-hedge is measured in U_ref (the band at constant gas g_bar, U_ref^4 = 6 a F_bar / b),
time in the band's cycle time T_c = U_ref^2 / a and cost in F_bar, it becomes

    dx = dW,  running cost 6 x^2 per unit time,  a trade pays g / g_bar and resets x to 0,

with one number left from the hedging problem: the reversion rate in cycle times,
kappa~ = kappa T_c (and s from the gas model). At constant gas the trigger is 1 by
construction; with moving gas it depends on today's gas: trading now is an option
exercised against a gas price that will revert. `table` solves the stationary problem by
relative value iteration (average cost, White 1963) on an x grid times a Rouwenhorst
(1995) gas chain, for a log-spaced set of kappa~ at once (numpy over the whole set), and
reads each gas level's trigger where trading first beats waiting. Slow gas (kappa~ -> 0)
gives back the constant-gas law, trigger ~ (g / g_bar)^(1/4), at 1 - 0.5826 sqrt(STEP)
for the mean gas price (decisions come at discrete times, so the barrier moves in by the
continuity correction of Broadie, Glasserman & Kou 1997: a test holds it to 0.01); fast gas (kappa~ >> 1)
makes the trigger far more sensitive to today's price (~ (g / g_bar)^(1/2) at kappa~ = 7)
because cheap gas is never far away. Checked against the full dynamic program with gas
as a state (`risk.backtest.dp`) in tests/unit/risk/policies/test_stopping.py.

What it leaves out: proportional costs and Gamma's drift over the cycle (the policy
multiplies the full band's trigger by this ratio); the decision interval is fixed at
`STEP` cycle times (hourly decisions on a ~2-day cycle).

Pure: numpy; the table is cached per s (about a second to build).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from risk.policies.base import FloatArray

STEP = 0.02  # decision interval in cycle times
# Reversion rates (per cycle time) tabulated; below 0.3 the triggers are within 1% of
# their value at 0.3 (slow gas is constant gas over a cycle), so slower rates read 0.3's.
KAPPAS = np.geomspace(0.3, 30.0, 9)
LEVELS = 9  # gas levels in the chain
X_MAX = 5.0  # mis-hedge grid half-range, in U_ref; a trigger beyond it reads as X_MAX
CHUNK = 50  # value-iteration sweeps between convergence checks


def rouwenhorst(rho: float | FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    """Standardised levels z (n,) and the transition matrix/matrices (..., n, n) of an AR(1)
    with autocorrelation `rho` and unit stationary variance (Rouwenhorst 1995; exact first
    two moments and autocorrelation). `rho` may be an array: one matrix per entry."""
    r = np.asarray(rho, dtype=np.float64)[..., None, None]
    p = (1.0 + r) / 2.0
    t = np.concatenate([np.concatenate([p, 1 - p], -1), np.concatenate([1 - p, p], -1)], -2)
    for k in range(3, n + 1):
        z = np.zeros((*t.shape[:-2], k, k))
        z[..., :-1, :-1] += p * t
        z[..., :-1, 1:] += (1 - p) * t
        z[..., 1:, :-1] += (1 - p) * t
        z[..., 1:, 1:] += p * t
        z[..., 1:-1, :] /= 2.0
        t = z
    return np.linspace(-np.sqrt(n - 1.0), np.sqrt(n - 1.0), n), t


@lru_cache(maxsize=8)
def table(log_sd: float, tol: float = 2e-4, max_iter: int = 20_000) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(log kappa~ grid, z grid, trigger (n_kappa, n_z) in units of U_ref).

    Relative value iteration, stopped once no trigger moves by more than `tol` (in U_ref)
    over a chunk of `CHUNK` iterations (the values themselves converge far more slowly
    than the decisions they imply)."""
    dx = 0.05
    x = np.arange(-X_MAX, X_MAX + dx / 2, dx)
    n_x = x.shape[0]
    z, trans = rouwenhorst(np.exp(-KAPPAS * STEP), LEVELS)  # (n_k, n_g, n_g)
    gas = np.exp(log_sd * z - 0.5 * log_sd * log_sd)  # mean 1 in the stationary law
    # one step of dx = dW as a matrix on the grid (Gaussian weights, renormalised at the edges)
    kernel = np.exp(-0.5 * (x[None, :] - x[:, None]) ** 2 / STEP)
    kernel /= kernel.sum(axis=1, keepdims=True)
    centre = n_x // 2
    running = (6.0 * x * x * STEP)[:, None, None]
    value = np.zeros((n_x, KAPPAS.shape[0], LEVELS))
    triggers = np.full((KAPPAS.shape[0], LEVELS), np.inf)
    for it in range(1, max_iter + 1):
        ev = np.einsum("xkh,kgh->xkg", value, trans)
        cont = running + (kernel @ ev.reshape(n_x, -1)).reshape(ev.shape)
        trade = gas[None, None, :] + cont[centre][None]
        value = np.minimum(cont, trade)
        value -= value[centre, :, LEVELS // 2][None, :, None]
        if it % CHUNK == 0:
            new = _triggers(cont - trade, x)
            stable = np.max(np.abs(new - triggers)) < tol
            triggers = new
            if stable:
                break
    return np.log(KAPPAS), z, triggers


def _triggers(gap: FloatArray, x: FloatArray) -> FloatArray:
    """Per (kappa, gas): the smallest x > 0 where trading beats waiting (gap > 0), interpolated."""
    pos = x > 0
    g = gap[pos]  # (n_pos, n_k, n_g)
    xs = x[pos]
    hit = g > 0
    first = np.where(hit.any(axis=0), np.argmax(hit, axis=0), xs.shape[0] - 1)
    prev = np.maximum(first - 1, 0)
    a = np.take_along_axis(g, prev[None], 0)[0]
    b = np.take_along_axis(g, first[None], 0)[0]
    frac = np.clip(np.where(b != a, -a / np.where(b != a, b - a, 1.0), 1.0), 0.0, 1.0)
    return np.where(hit.any(axis=0), xs[prev] + frac * (xs[first] - xs[prev]), X_MAX)


# The table's trigger at constant gas: its discrete decisions move the barrier in by this
# much (the continuity correction); `multiplier` divides it out, leaving only the timing.
CONSTANT_GAS_TRIGGER = 1.0 - 0.5826 * np.sqrt(STEP)


def multiplier(kappa_cycles: FloatArray, z: FloatArray, log_sd: float) -> FloatArray:
    """The trigger over the constant-gas trigger, at reversion `kappa_cycles` (per cycle time)
    and standardised log gas `z`, bilinear in (log kappa~, z) and clamped to the table. About
    1 at the mean gas price when gas is slow; the decision interval's own barrier shift is
    divided out (it is not gas timing, and it would be wrong for a keeper polling every 12 s)."""
    lk, zs, trig = table(round(float(log_sd), 6))
    u = np.clip(np.log(np.maximum(np.asarray(kappa_cycles, dtype=np.float64), 1e-300)), lk[0], lk[-1])
    v = np.clip(np.asarray(z, dtype=np.float64), zs[0], zs[-1])
    i = np.clip(np.searchsorted(lk, u) - 1, 0, lk.shape[0] - 2)
    j = np.clip(np.searchsorted(zs, v) - 1, 0, zs.shape[0] - 2)
    fu = (u - lk[i]) / (lk[i + 1] - lk[i])
    fv = (v - zs[j]) / (zs[j + 1] - zs[j])
    top = (1 - fv) * trig[i, j] + fv * trig[i, j + 1]
    bottom = (1 - fv) * trig[i + 1, j] + fv * trig[i + 1, j + 1]
    return ((1 - fu) * top + fu * bottom) / CONSTANT_GAS_TRIGGER
