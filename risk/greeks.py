"""Black–Scholes(–Merton) prices and greeks, vectorised over a whole book with numpy.

Formulas: Black & Scholes (1973), Merton (1973) with a continuous yield `q`
(Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed., §1.1 and §2.1, cost of
carry b = r - q). With d1 = (ln(S/K) + (r - q + σ²/2)T) / (σ√T), d2 = d1 - σ√T:

    call = S e^{-qT} N(d1) - K e^{-rT} N(d2)      put = K e^{-rT} N(-d2) - S e^{-qT} N(-d1)
    Δ_call = e^{-qT} N(d1)                        Δ_put = e^{-qT} (N(d1) - 1)
    Γ = e^{-qT} n(d1) / (S σ √T)                  vega = S e^{-qT} n(d1) √T
    Θ_call = -S e^{-qT} n(d1) σ / (2√T) - r K e^{-rT} N(d2) + q S e^{-qT} N(d1)
    Θ_put  = -S e^{-qT} n(d1) σ / (2√T) + r K e^{-rT} N(-d2) - q S e^{-qT} N(-d1)
    ρ_call = K T e^{-rT} N(d2)                    ρ_put = -K T e^{-rT} N(-d2)

Units: T in years (365-day years), vega per 1.00 of volatility (divide by 100 for a
vol point), theta per year (divide by 365 for a day), rho per 1.00 of rate. Everything is
float64 here; callers that need integers (hedge bounds) round with a stated direction.
At or after expiry (T <= 0) an option is worth its intrinsic value, delta is the exercise
indicator and the other greeks are 0. Pure: numpy and scipy's normal CDF only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

SECONDS_PER_YEAR = 365 * 24 * 3600
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Greeks:
    """Per-unit values, one entry per option (arrays of equal length)."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray

    FIELDS = ("price", "delta", "gamma", "vega", "theta", "rho")

    def scaled(self, quantity: ArrayLike) -> Greeks:
        """Position greeks: each per-unit value times the signed quantity."""
        q = np.asarray(quantity, dtype=np.float64)
        return Greeks(*(getattr(self, f) * q for f in self.FIELDS))

    def total(self) -> dict[str, float]:
        return {f: float(np.sum(getattr(self, f))) for f in self.FIELDS}


def black_scholes(
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
    rate: ArrayLike = 0.0,
    q: ArrayLike = 0.0,
) -> Greeks:
    """Price and greeks per unit of underlying for every option at once.

    Inputs broadcast against each other. Requires spot > 0, strike > 0, vol > 0 (callers
    validate; `risk.book` refuses non-positive strikes and vols with the row named).
    """
    s, k, t, v, r, yq = (np.asarray(a, dtype=np.float64) for a in (spot, strike, years, vol, rate, q))
    call = np.asarray(is_call, dtype=bool)
    s, k, t, v, r, yq, call = np.broadcast_arrays(s, k, t, v, r, yq, call)
    live = t > 0
    # Evaluate the formulas on a safe T for expired rows, then overwrite those rows.
    ts = np.where(live, t, 1.0)
    sqrt_t = np.sqrt(ts)
    sig_rt = v * sqrt_t
    d1 = (np.log(s / k) + (r - yq + 0.5 * v * v) * ts) / sig_rt
    d2 = d1 - sig_rt
    disc_r = np.exp(-r * ts)
    disc_q = np.exp(-yq * ts)
    pdf_d1 = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    n_d1, n_d2 = ndtr(d1), ndtr(d2)
    n_md1, n_md2 = ndtr(-d1), ndtr(-d2)

    price = np.where(call, s * disc_q * n_d1 - k * disc_r * n_d2, k * disc_r * n_md2 - s * disc_q * n_md1)
    delta = np.where(call, disc_q * n_d1, disc_q * (n_d1 - 1.0))
    gamma = disc_q * pdf_d1 / (s * sig_rt)
    vega = s * disc_q * pdf_d1 * sqrt_t
    decay = -s * disc_q * pdf_d1 * v / (2.0 * sqrt_t)
    theta = np.where(
        call,
        decay - r * k * disc_r * n_d2 + yq * s * disc_q * n_d1,
        decay + r * k * disc_r * n_md2 - yq * s * disc_q * n_md1,
    )
    rho = np.where(call, k * ts * disc_r * n_d2, -k * ts * disc_r * n_md2)

    if not live.all():
        intrinsic = np.where(call, np.maximum(s - k, 0.0), np.maximum(k - s, 0.0))
        exercised = np.where(call, (s > k).astype(np.float64), -(s < k).astype(np.float64))
        price = np.where(live, price, intrinsic)
        delta = np.where(live, delta, exercised)
        gamma, vega, theta, rho = (np.where(live, g, 0.0) for g in (gamma, vega, theta, rho))
    return Greeks(price, delta, gamma, vega, theta, rho)


def years_to(expiry_s: ArrayLike, now_s: float) -> FloatArray:
    """Year fractions from `now_s` to each expiry (unix seconds), 365-day years; may be <= 0."""
    return (np.asarray(expiry_s, dtype=np.float64) - float(now_s)) / SECONDS_PER_YEAR
