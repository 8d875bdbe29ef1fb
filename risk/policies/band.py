"""The impulse band: outer trigger and inner target for a fixed + proportional trading cost.

Pure math, vectorised over paths. No policy here (`risk.policies.impulse` wraps it).

The local problem (one underlying, between expiries). Let x = hedge - target be the
mis-hedge in tokens. Untouched, the target moves by -Gamma dS, so x diffuses with variance
rate a = Gamma^2 S^2 sigma^2 per year. Holding x costs the mean-variance hedger
(lambda/2) x^2 S^2 sigma^2 per year (lambda the absolute risk aversion per unit of
numeraire, as in Whalley & Wilmott 1997), write b = lambda S^2 sigma^2 / 2. A trade from x
to y costs F + K |x - y|: F the fixed cost (gas at the current gas price), K = k S the
proportional cost per token (k = pool fee + impact as a fraction). A band policy trades
when |x| reaches U and resets x to +-u (0 <= u <= U, the side it came from).

Long-run average cost (renewal argument, a cycle runs from +-u to the first exit of
(-U, U); with E_u[exit time] = (U^2 - u^2)/a and E_u[int x^2 dt] = (U^4 - u^4)/(6a)):

    J(U, u) = a (F + K (U - u)) / (U^2 - u^2) + b (U^2 + u^2) / 6

Its first-order conditions, in d = U - u and s = U + u, collapse to one equation:

    s d^3 = 6 alpha,   d^8 (alpha + beta d) = 36 alpha^3,   alpha = a F / b,  beta = a K / b

(alpha, beta in tokens^4 and tokens^3; a/b = 2 Gamma^2 / lambda, so sigma cancels: the band
in tokens does not depend on volatility). The left side grows in d, so the root is unique;
U = (s + d)/2, u = (s - d)/2 >= 0 always. Scaled by alpha^(1/4) it depends on the single
number rho = beta / alpha^(3/4) (`_scaled_d`), solved by Newton in log d (the derivative
lies in [8, 9], so three steps from the nearer asymptote reach machine precision).

Limits, each a test in tests/unit/risk/policies/test_band.py:
- proportional only (F -> 0): u -> U and U^3 = 3 beta / 4 = 3 k S Gamma^2 / (2 lambda):
  the Whalley & Wilmott (1997) band, "An asymptotic analysis of an optimal hedging model
  for option pricing with transaction costs", Math. Finance 7(3), trade to the edge;
- fixed only (K -> 0): u = 0 and U^4 = 6 alpha = 12 F Gamma^2 / lambda: trade to the
  centre, the square-root-of-square-root law of fixed-cost rebalancing (Atkinson & Wilmott
  1995, "Portfolio management with transaction costs: an asymptotic analysis of the
  Morton and Pliska model", Math. Finance 5(4); Korn 1998, "Portfolio optimisation with
  strictly positive transaction costs and impulse control", Finance & Stochastics 2(2),
  who prove that impulse bands with inner targets are optimal under fixed costs).
  Whalley & Wilmott (1999, Eur. J. Appl. Math. 10(2)) and Altarovici, Muhle-Karbe & Soner
  (2015, Finance & Stochastics 19(2)) reduce small fixed + proportional costs to this
  same local ergodic problem. Their papers were not readable offline here: the closed form
  above is derived in this docstring, not copied, and checked against the two limits and
  against value iteration (`risk.backtest.dp`) in the tests.

What it does not model: the ergodic argument assumes Gamma, S and the costs stay put over
a cycle (they are re-read every decision, so the band follows them); proportional cost
linear in size (the policy evaluates the pools' cost at the band's own trade size); no
drift. Finite horizon: a trade is worth making only if its variance saved over the
remaining time T pays for it. With no later trade, moving from x to y saves
b T (x^2 - y^2); the best one-shot reset is y = K / (2 b T) and the one-shot trigger
U_T = K / (2 b T) + sqrt(F / (b T)). The band used is U = max(U_inf, U_T),
u = max(u_inf, y) (wider near the end, never trading in the last instant); the DP
benchmark measures what this heuristic leaves on the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.policies.base import FloatArray

_LOG36 = float(np.log(36.0))


@dataclass(frozen=True)
class Band:
    """Outer trigger `outer` and inner target `inner` (tokens, >= 0, inner <= outer), per path."""

    outer: FloatArray
    inner: FloatArray


def _newton(y: FloatArray, rho: FloatArray, steps: int) -> FloatArray:
    for _ in range(steps):
        e = rho * np.exp(y)
        y = y - (8.0 * y + np.log1p(e) - _LOG36) / (8.0 + e / (1.0 + e))
    return y


def _start(rho: FloatArray) -> FloatArray:
    """The better of the two asymptotes: rho -> 0 gives d^8 = 36, rho -> inf d^9 = 36 / rho."""
    return np.minimum(_LOG36 / 8.0, (_LOG36 - np.log(np.maximum(rho, 1e-300))) / 9.0)


def _scaled_d(rho: FloatArray) -> FloatArray:
    """The root d > 0 of d^8 (1 + rho d) = 36, for rho >= 0: three Newton steps in y = log d
    from the nearer asymptote reach machine precision for every rho (a test holds it)."""
    rho = np.asarray(rho, dtype=np.float64)
    return np.exp(_newton(_start(rho), rho, 3))


def ergodic(alpha: FloatArray, beta: FloatArray) -> Band:
    """The long-run band for alpha = a F / b (tokens^4) and beta = a K / b (tokens^3), both >= 0.

    alpha = 0 is the proportional-only (Whalley-Wilmott) band, trading to the edge."""
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    scale = np.sqrt(np.sqrt(alpha))  # alpha^(1/4): the band's length scale in tokens
    pos = scale > 0
    rho = np.where(pos, beta / np.where(pos, scale**3, 1.0), 0.0)
    d = _scaled_d(rho)
    s = 6.0 / d**3
    outer = np.where(pos, scale * (s + d) / 2.0, np.cbrt(0.75 * beta))
    inner = np.where(pos, scale * (s - d) / 2.0, outer)
    return Band(outer, np.minimum(inner, outer))


def one_shot(fixed: FloatArray, per_token: FloatArray, b: FloatArray, horizon_years: FloatArray) -> Band:
    """The trigger and reset when no later trade is assumed: b T (x^2 - y^2) - K |x - y| >= F.

    b T = 0 (no time left, or no risk) gives an infinite trigger: never trade (and a reset of 0,
    which is then never used)."""
    bt = np.asarray(b, dtype=np.float64) * np.asarray(horizon_years, dtype=np.float64)
    live = bt > 0
    safe = np.where(live, bt, 1.0)
    inner = np.where(live, per_token / (2.0 * safe), 0.0)
    outer = np.where(live, inner + np.sqrt(np.maximum(fixed, 0.0) / safe), np.inf)
    return Band(outer, inner)


def impulse_band(
    gamma: FloatArray,
    spot: FloatArray,
    sigma: float | FloatArray,
    risk_aversion: float,
    fixed: FloatArray,
    rate: FloatArray,
    horizon_years: float | FloatArray = np.inf,
) -> Band:
    """The band for a book of gamma `gamma` (tokens per numeraire) at `spot`, fixed cost
    `fixed` (numeraire per trade), proportional cost `rate` (fraction of notional), over
    `horizon_years` left. `sigma` enters only the finite-horizon term (the ergodic band is
    volatility-free)."""
    lam = float(risk_aversion)
    g2 = np.asarray(gamma, dtype=np.float64) ** 2
    s = np.asarray(spot, dtype=np.float64)
    per_token = np.asarray(rate, dtype=np.float64) * s
    alpha = 2.0 * g2 * np.asarray(fixed, dtype=np.float64) / lam
    beta = 2.0 * g2 * per_token / lam
    long_run = ergodic(alpha, beta)
    b = 0.5 * lam * (s * sigma) ** 2
    end = one_shot(fixed, per_token, b, np.broadcast_to(horizon_years, s.shape))
    outer = np.maximum(long_run.outer, end.outer)
    inner = np.minimum(np.maximum(long_run.inner, end.inner), outer)
    return Band(outer, inner)
