"""The routing problem compiled for the convex solver: every curve segment as flat arrays.

Each edge's curve (`routing.curves`) is a chain of constant-product segments; here every
segment of every edge becomes one row of numpy arrays in value fractions (`routing.problem`
normalisation): the token it takes in and pays out (indices into `tokens`), its fee factor,
virtual reserves, gross width (inf for a V2 pair) and where it starts on its edge. A
concave curve filled in order is the sum of its segments each filled independently, so the
solver can treat segments as independent pieces. Demands become per-token vectors: supply
(what is sold), minimum (what is wanted), and which tokens are wanted. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from routing.problem import Edge, Problem

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Network:
    tokens: tuple[str, ...]
    edges: tuple[Edge, ...]
    seg_edge: IntArray  # position in `edges`
    seg_a: IntArray  # token index paid in
    seg_b: IntArray  # token index paid out
    gamma: FloatArray
    r_in: FloatArray
    r_out: FloatArray
    width: FloatArray  # gross input the segment takes before the next one starts (inf: no end)
    x0: FloatArray  # gross input into the edge at the segment's start
    y0: FloatArray  # output of the edge at the segment's start
    supply: FloatArray  # per token, value fractions sold
    minimum: FloatArray  # per token, value fractions wanted at least
    wanted: NDArray[np.bool_]
    first: NDArray[np.bool_]  # the segment is its edge's first

    @property
    def size(self) -> int:
        return len(self.tokens)

    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tokens)}


def compile_network(problem: Problem, edges: Sequence[Edge] | None = None) -> Network:
    """The segments of `edges` (default: all of the problem's) and the demands as vectors."""
    chosen = tuple(problem.edges if edges is None else edges)
    tokens = sorted({t for e in chosen for t in (e.token_in, e.token_out)}
                    | set(problem.supply) | set(problem.demands.buy))
    where = {t: i for i, t in enumerate(tokens)}
    cols: dict[str, list[float]] = {k: [] for k in ("edge", "a", "b", "gamma", "r_in", "r_out", "width", "x0", "y0")}
    for k, e in enumerate(chosen):
        c = e.curve
        widths = c.widths
        a, b = where[e.token_in], where[e.token_out]
        for x, y, r_in, r_out, w in zip(c.seg_x, c.seg_y, c.seg_r_in, c.seg_r_out, widths, strict=True):
            cols["edge"].append(k)
            cols["a"].append(a)
            cols["b"].append(b)
            cols["gamma"].append(c.gamma)
            cols["r_in"].append(r_in * e.in_scale)
            cols["r_out"].append(r_out * e.out_scale)
            cols["width"].append(w * e.in_scale if not math.isinf(w) else math.inf)
            cols["x0"].append(x * e.in_scale)
            cols["y0"].append(y * e.out_scale)
    n = len(tokens)
    supply, minimum, wanted = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    for t, s in problem.supply.items():
        supply[where[t]] = s
    for t in problem.demands.buy:
        wanted[where[t]] = True
        minimum[where[t]] = problem.minimum.get(t, 0.0)

    def ints(key: str) -> IntArray:
        return np.array(cols[key], dtype=np.int64)

    def floats(key: str) -> FloatArray:
        return np.array(cols[key], dtype=np.float64)

    edge = ints("edge")
    first = np.concatenate(([True], edge[1:] != edge[:-1])) if len(edge) else np.zeros(0, dtype=bool)
    return Network(tuple(tokens), chosen, edge, ints("a"), ints("b"), floats("gamma"), floats("r_in"),
                   floats("r_out"), floats("width"), floats("x0"), floats("y0"), supply, minimum, wanted, first)
