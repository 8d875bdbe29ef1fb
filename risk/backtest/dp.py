"""The dynamic-programming benchmark: the best any hedging policy can do, on a grid.

For one underlying and one risk aversion lambda, value iteration (backwards in time) over
the state (x, S, gas) at every decision step, where x = hedge - target is the mis-hedge in
tokens. It minimises exactly what a frontier point trades off:

    E[ sum of trade costs ] + (lambda/2) E[ sum_n x_n^2 S_n^2 sigma^2 dt ]

(the second sum is the hedged P&L's variance from mis-hedging: the P&L increments are
martingale differences, so their variances add up to the terminal variance). Sweeping
lambda traces the lowest cost reachable at each hedge error on the grid.

Grid and dynamics (all numpy-vectorised over x, S and gas; one Python loop over steps):
- spot: a trinomial lattice in log S (Hull & White 1990; Hull, *Options, Futures and
  Other Derivatives*, "trinomial trees"): spacing dz = sigma sqrt(3 dt), branches down /
  middle / up with p_d,u = 1/6 -+ (sigma^2/2) sqrt(dt / (12 sigma^2)), p_m = 2/3, which
  match the GBM step's mean and variance; spot lands on nodes, so nothing is interpolated
  in spot (interpolating on a coarse spot grid every step adds more numerical diffusion
  than the real variance over 720 steps: tried, and its cost forecast was 3% low).
- the mis-hedge's step: each branch stands for a slice of the Gaussian shock Z (down:
  Z below the 1/6 quantile, ...). Inside it `sub` equal-probability sub-slices, each at its
  conditional mean z, move x by exactly Delta(S e^{sigma sqrt(dt) z - sigma^2 dt/2}, t + dt)
  - Delta(S, t) (the book's Black-Scholes delta). So x steps as the backtest's Gaussian
  step does (a three-point step overshoots a band differently: its cost forecast was 6%
  off), while the value is read at the branch's lattice node.
- x: a uniform grid on [-X, X].
- gas: a Markov chain for log gas (Rouwenhorst 1995, which matches an AR(1)'s stationary
  variance and autocorrelation exactly; `gas.mean_reverting` is its continuous twin), or a
  single level for constant gas.
- decision: keep x (continuation C(x)), or pay F + K |x - y| and move to any y. The best
  y for every x at once is a lower envelope computed with two running minima
  (min_y [K |x - y| + C(y)] = min(min_{y<=x}(C - K y) + K x, min_{y>=x}(C + K y) - K x)).
- costs: the same fixed (gas per trade at the chain's gas level) and proportional (fee
  rate k, K = k S per token) costs the backtest charges with a flat cost model.

What it does not model: stochastic volatility (the GARCH scenario has no DP), impact that
grows with size (the bench's costs are flat fee + gas), interest (r = 0).

`DPPolicy` replays the resulting band (trigger and reset per step, spot and gas level,
interpolated between nodes) as an ordinary policy, so the optimum is measured by the very
backtest that measures every other policy, on the same paths. `solve` also returns its own
forecast of the expected cost (a second backward pass under the optimal decisions), which
the tests hold against the backtest's measurement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from risk.backtest.engine import OptionBook
from risk.policies.base import SECONDS_PER_YEAR, Decision, FloatArray, HedgeState
from risk.policies.stopping import rouwenhorst


@dataclass(frozen=True)
class GasChain:
    """Gas levels (gwei, ascending) and the one-step transition matrix between them."""

    levels: FloatArray
    transition: FloatArray

    @staticmethod
    def constant(gwei: float) -> GasChain:
        return GasChain(np.array([float(gwei)]), np.ones((1, 1)))

    @staticmethod
    def rouwenhorst(mean_gwei: float, half_life_s: float, log_sd: float, dt_s: float, n: int = 7) -> GasChain:
        """n levels for the log-OU gas of `risk.backtest.gas.mean_reverting`, per step dt_s."""
        z, t = rouwenhorst(float(np.exp(-np.log(2.0) * dt_s / half_life_s)), n)
        m = np.log(mean_gwei) - 0.5 * log_sd * log_sd
        return GasChain(np.exp(m + log_sd * z), t)


@dataclass(frozen=True)
class Lattice:
    """Log-spot nodes z_j = log(s0) + j dz, j = -J..J; branch probabilities (down, mid, up)."""

    z: FloatArray
    dz: float
    p: tuple[float, float, float]

    @staticmethod
    def build(s0: float, sigma: float, dt_y: float, n_steps: int, width: float = 5.0) -> Lattice:
        dz = sigma * np.sqrt(3.0 * dt_y)
        half = max(1, int(np.ceil(width * sigma * np.sqrt(n_steps * dt_y) / dz)))
        tilt = -0.5 * sigma * sigma * np.sqrt(dt_y / (12.0 * sigma * sigma))
        return Lattice(np.log(s0) + dz * np.arange(-half, half + 1), float(dz),
                       (1.0 / 6.0 - tilt, 2.0 / 3.0, 1.0 / 6.0 + tilt))

    @property
    def spot(self) -> FloatArray:
        return np.exp(self.z)

    def locate(self, z: FloatArray) -> tuple[np.ndarray, FloatArray]:
        """Left node index and weight of the right node, clamped to the lattice."""
        pos = np.clip((z - self.z[0]) / self.dz, 0.0, self.z.shape[0] - 1.0)
        i0 = np.minimum(np.floor(pos).astype(np.int64), self.z.shape[0] - 2)
        return i0, pos - i0


def branch_nodes(p: tuple[float, float, float], sub: int) -> list[tuple[int, FloatArray, FloatArray]]:
    """Per branch (-1, 0, +1): the conditional means of `sub` equal-probability slices of
    Z ~ N(0, 1) inside the branch's quantile range, and their probabilities."""
    from scipy.special import ndtr, ndtri

    cuts = np.concatenate([[0.0], np.cumsum(p)])
    cuts[-1] = 1.0
    out = []
    for k, step in enumerate((-1, 0, 1)):
        q = np.linspace(cuts[k], cuts[k + 1], sub + 1)
        edges = ndtri(q)
        pdf = np.exp(-0.5 * edges**2) / np.sqrt(2.0 * np.pi)
        mass = np.diff(ndtr(edges))
        out.append((step, (pdf[:-1] - pdf[1:]) / mass, mass))
    return out


@dataclass
class DPSolution:
    """Per step n (rows) and node (spot j, gas g): the no-trade interval [lo, hi] in x and
    the resets u_lo (after buying) and u_hi (after selling); `value0`, `cost0`: the DP's
    forecast at x = 0, spot s0, for each starting gas level."""

    lattice: Lattice
    gas: GasChain
    x: FloatArray
    lo: FloatArray
    hi: FloatArray
    u_lo: FloatArray
    u_hi: FloatArray
    value0: FloatArray
    cost0: FloatArray
    seconds: float = 0.0
    meta: dict[str, float] = field(default_factory=dict)


def _kernel(shifts: FloatArray, mass: FloatArray, dx: float) -> tuple[int, FloatArray]:
    """A branch's sub-slices as weights on integer x-offsets per node: (first offset, weights
    (n_offsets, n_S)). Each shift's probability is split linearly between its two
    neighbouring grid offsets, so the step's mean is kept exactly."""
    pos = shifts / dx  # (n_sub, n_S)
    m0 = np.floor(pos).astype(np.int64)
    frac = pos - m0
    first = int(m0.min())
    out = np.zeros((int(m0.max()) - first + 2, shifts.shape[1]))
    cols = np.broadcast_to(np.arange(shifts.shape[1]), m0.shape)
    np.add.at(out, (m0 - first, cols), mass[:, None] * (1.0 - frac))
    np.add.at(out, (m0 - first + 1, cols), mass[:, None] * frac)
    return first, out


def _expect(w: FloatArray, moves: list[tuple[np.ndarray, int, FloatArray]]) -> FloatArray:
    """E[w(x + shift, j')] over the branches: (next node per j, first offset, weights)."""
    from numpy.lib.stride_tricks import sliding_window_view

    n_x = w.shape[0]
    out = np.zeros_like(w)
    for jp, first, weights in moves:
        col = w[:, jp, :]
        n_k = weights.shape[0]
        lo, hi = max(0, -first), max(0, first + n_k - 1)
        padded = np.concatenate([np.repeat(col[:1], lo, axis=0), col, np.repeat(col[-1:], hi, axis=0)])
        start = first + lo
        windows = sliding_window_view(padded[start:start + n_x + n_k - 1], n_k, axis=0)  # (n_x, n_S, G, n_k)
        out += np.einsum("ijgk,kj->ijg", windows, weights, optimize=False)
    return out


def _envelope(c: FloatArray, x: FloatArray, per_token: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """min over y of K |x - y| + C(y) for every x, and the resets argmin (C - K y), argmin (C + K y)."""
    kx = per_token[None, :, None] * x[:, None, None]
    down = np.minimum.accumulate(c - kx, axis=0) + kx
    up = np.minimum.accumulate((c + kx)[::-1], axis=0)[::-1] - kx
    return np.minimum(down, up), x[np.argmin(c - kx, axis=0)], x[np.argmin(c + kx, axis=0)]


def _edges(c: FloatArray, trade_value: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The no-trade interval around argmin C: where C - T changes sign, linearly interpolated."""
    gap = c - trade_value  # > 0 where trading is better
    n_x = x.shape[0]
    centre = np.argmin(c, axis=0)
    idx = np.arange(n_x)[:, None, None]
    trade = gap > 0
    above = trade & (idx > centre[None])
    below = trade & (idx < centre[None])
    i_hi = np.where(above.any(axis=0), np.argmax(above, axis=0), n_x - 1)
    i_lo = np.where(below.any(axis=0), n_x - 1 - np.argmax(below[::-1], axis=0), 0)

    def cross(i: np.ndarray, j: np.ndarray) -> FloatArray:
        gi = np.take_along_axis(gap, i[None], axis=0)[0]
        gj = np.take_along_axis(gap, j[None], axis=0)[0]
        w = np.clip(np.where(gj != gi, -gi / np.where(gj != gi, gj - gi, 1.0), 0.5), 0.0, 1.0)
        return x[i] + w * (x[j] - x[i])

    hi = cross(np.maximum(i_hi - 1, 0), i_hi)
    lo = cross(i_lo, np.minimum(i_lo + 1, n_x - 1))
    hi = np.where(above.any(axis=0), hi, x[-1])
    lo = np.where(below.any(axis=0), lo, x[0])
    return lo, hi


def solve(
    book: OptionBook,
    s0: float,
    sigma: float,
    dt_s: float,
    n_steps: int,
    risk_aversion: float,
    fee_rate: float,
    gas_ref: Callable[[FloatArray], FloatArray],
    gas_ref_gwei: float,
    gas: GasChain,
    x_half_range: float,
    n_x: int = 201,
    sub: int = 8,
    width: float = 5.0,
) -> DPSolution:
    """Value iteration for the book over n_steps decisions of dt_s; see the module docstring.

    `gas_ref(S)`: numeraire per trade at `gas_ref_gwei` (the backtest's `CostModel.gas`)."""
    import time

    started = time.perf_counter()
    book = book.live()
    dt_y = dt_s / SECONDS_PER_YEAR
    lat = Lattice.build(s0, sigma, dt_y, n_steps, width)
    s = lat.spot
    n_s, n_g = s.shape[0], gas.levels.shape[0]
    x = np.linspace(-x_half_range, x_half_range, n_x)
    dx = float(x[1] - x[0])
    nodes = [(np.clip(np.arange(n_s) + step, 0, n_s - 1), z, mass) for step, z, mass in branch_nodes(lat.p, sub)]
    per_token = fee_rate * s
    fixed = gas_ref(s)[:, None] * (gas.levels[None, :] / gas_ref_gwei if gas_ref_gwei > 0 else 1.0)  # (n_S, n_g)
    risk = (0.5 * risk_aversion * (x[:, None] * s[None, :] * sigma) ** 2 * dt_y)[..., None]  # (n_x, n_S, 1)
    value = np.zeros((n_x, n_s, n_g))
    cost = np.zeros((n_x, n_s, n_g))
    tables = [np.empty((n_steps, n_s, n_g)) for _ in range(4)]
    for n in range(n_steps - 1, -1, -1):
        delta_now = book.greeks(s, n * dt_y)[1]
        moves = _moves(book, s, delta_now, (n + 1) * dt_y, sigma, dt_y, nodes, dx)
        both = _expect(np.concatenate([value, cost], axis=2) @ np.kron(np.eye(2), gas.transition.T), moves)
        cont = both[..., :n_g] + risk  # E over next gas, indexed by today's gas
        cont_cost = both[..., n_g:]
        best, u_hi, u_lo = _envelope(cont, x, per_token)
        trade_value = fixed[None] + best
        lo, hi = _edges(cont, trade_value, x)
        value = np.minimum(cont, trade_value)
        cost = _cost_after(cont_cost, x, lo, hi, u_lo, u_hi, per_token, fixed, dx)
        for table, arr in zip(tables, (lo, hi, u_lo, u_hi), strict=True):
            table[n] = arr
    mid = n_s // 2
    i0 = n_x // 2
    return DPSolution(lat, gas, x, tables[0], tables[1], tables[2], tables[3], value[i0, mid, :].copy(), cost[i0, mid, :].copy(),
                      time.perf_counter() - started, {"n_x": n_x, "n_s": n_s, "n_g": n_g, "steps": n_steps})


def _moves(book: OptionBook, s: FloatArray, delta_now: FloatArray, t_next: float, sigma: float, dt_y: float,
           nodes: list[tuple[np.ndarray, FloatArray, FloatArray]], dx: float) -> list[tuple[np.ndarray, int, FloatArray]]:
    """Per branch: (next node, first x-offset, offset weights per node) from the exact x shift
    of every sub-slice; all the off-lattice deltas of one step in one vectorised greeks call."""
    z = np.concatenate([zz for _, zz, _ in nodes])
    spots = (s[None, :] * np.exp(sigma * np.sqrt(dt_y) * z[:, None] - 0.5 * sigma * sigma * dt_y)).ravel()
    shifts = book.greeks(spots, t_next)[1].reshape(z.shape[0], -1) - delta_now[None, :]
    out, k = [], 0
    for jp, zz, mass in nodes:
        first, weights = _kernel(shifts[k:k + zz.shape[0]], mass, dx)
        out.append((jp, first, weights))
        k += zz.shape[0]
    return out


def _cost_after(cont_cost: FloatArray, x: FloatArray, lo: FloatArray, hi: FloatArray, u_lo: FloatArray,
                u_hi: FloatArray, per_token: FloatArray, fixed: FloatArray, dx: float) -> FloatArray:
    """Expected future cost under the optimal decisions: keep inside [lo, hi], else pay and reset."""

    def at(u: FloatArray) -> FloatArray:
        pos = (u - x[0]) / dx
        i0 = np.clip(np.floor(pos).astype(np.int64), 0, x.shape[0] - 2)
        w = np.clip(pos - i0, 0.0, 1.0)
        a = np.take_along_axis(cont_cost, i0[None], axis=0)[0]
        b = np.take_along_axis(cont_cost, (i0 + 1)[None], axis=0)[0]
        return (1 - w) * a + w * b

    xx = x[:, None, None]
    k = per_token[None, :, None]
    sell = fixed[None] + k * (xx - u_hi[None]) + at(u_hi)[None]
    buy = fixed[None] + k * (u_lo[None] - xx) + at(u_lo)[None]
    return np.where(xx > hi[None], sell, np.where(xx < lo[None], buy, cont_cost))


@dataclass(frozen=True)
class DPPolicy:
    """The DP's band as a policy (kind "dp"): interpolated in log spot and log gas per step."""

    name: str
    solution: DPSolution
    dt_s: float
    risk_aversion: float
    gas_ref_gwei: float
    kind: str = "dp"
    param_name: str = "risk_aversion"

    def with_param(self, value: float) -> DPPolicy:
        raise ValueError("a DP policy is solved for one risk aversion; solve again for another")

    def _weights(self, grid: FloatArray, value: FloatArray) -> tuple[np.ndarray, FloatArray]:
        pos = np.clip(np.interp(value, grid, np.arange(grid.shape[0], dtype=np.float64)), 0, grid.shape[0] - 1)
        i0 = np.minimum(np.floor(pos).astype(np.int64), max(grid.shape[0] - 2, 0))
        return i0, pos - i0

    def band(self, state: HedgeState) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        sol = self.solution
        n = min(round(state.t_s / self.dt_s), sol.lo.shape[0] - 1)
        j0, wj = sol.lattice.locate(np.log(state.spot))
        if sol.gas.levels.shape[0] > 1:
            gwei = self.gas_ref_gwei * state.fixed_cost() / np.maximum(state.fixed_cost(reference=True), 1e-300)
            g0, wg = self._weights(np.log(sol.gas.levels), np.log(np.maximum(gwei, 1e-12)))
        else:
            g0, wg = np.zeros_like(j0), np.zeros_like(wj)
        out = []
        for table in (sol.lo, sol.hi, sol.u_lo, sol.u_hi):
            t = table[n]
            if t.shape[1] == 1:
                col = t[:, 0]
                v = (1 - wj) * col[j0] + wj * col[j0 + 1]
            else:
                a = (1 - wg) * t[j0, g0] + wg * t[j0, g0 + 1]
                b = (1 - wg) * t[j0 + 1, g0] + wg * t[j0 + 1, g0 + 1]
                v = (1 - wj) * a + wj * b
            out.append(v)
        return out[0], out[1], out[2], out[3]

    def decide(self, state: HedgeState) -> Decision:
        lo, hi, u_lo, u_hi = self.band(state)
        x = state.hedge - state.target
        sell, buy = x > hi, x < lo
        new = np.where(sell, state.target + u_hi, np.where(buy, state.target + u_lo, state.hedge))
        return Decision(sell | buy, new)
