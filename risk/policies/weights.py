"""Decision helpers for weights portfolios: drift, trade to target, trade to a band's edge.

A portfolio's deviation from target `dev = weights - target` sums to zero per path, so
scaling it keeps the weights summing to one: trading "to within `to`" multiplies the
deviation by `to / drift`, which moves every weight towards its target in proportion.
"""

from __future__ import annotations

import numpy as np

from risk.policies.base import BoolArray, Decision, FloatArray, WeightsState


def drift(state: WeightsState) -> FloatArray:
    """The largest absolute deviation of any weight from its target, per path."""
    return np.max(np.abs(state.weights - state.target), axis=1)


def weights_to_target(state: WeightsState, trade: BoolArray) -> Decision:
    new = np.where(trade[:, None], state.target[None, :], state.weights)
    return Decision(trade, new)


def weights_to_edge(state: WeightsState, trade: BoolArray, within: FloatArray) -> Decision:
    """Trading paths move so that their largest deviation becomes `within` (per path)."""
    dev = state.weights - state.target
    d = np.max(np.abs(dev), axis=1)
    scale = np.where(d > 0, np.minimum(1.0, within / np.where(d > 0, d, 1.0)), 0.0)
    new = state.target[None, :] + dev * scale[:, None]
    return Decision(trade, np.where(trade[:, None], new, state.weights))
