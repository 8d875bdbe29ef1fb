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
    counts = np.array([len(e.curve.seg_x) for e in chosen], dtype=np.int64)
    seg_x: list[float] = []
    seg_y: list[float] = []
    r_in: list[float] = []
    r_out: list[float] = []
    for e in chosen:
        seg_x.extend(e.curve.seg_x)
        seg_y.extend(e.curve.seg_y)
        r_in.extend(e.curve.seg_r_in)
        r_out.extend(e.curve.seg_r_out)

    def per_segment(values: list[float]) -> FloatArray:
        return np.repeat(np.array(values, dtype=np.float64), counts)

    in_scale, out_scale = per_segment([e.in_scale for e in chosen]), per_segment([e.out_scale for e in chosen])
    edge = np.repeat(np.arange(len(chosen), dtype=np.int64), counts)
    x0 = np.array(seg_x, dtype=np.float64)
    first = np.concatenate(([True], edge[1:] != edge[:-1])) if len(edge) else np.zeros(0, dtype=bool)
    # a segment ends where the next one of its edge starts; an edge's last one at its cap
    continued = np.append(~first[1:], False) if len(edge) else first
    ends = np.where(continued, np.append(x0[1:], 0.0), per_segment([e.curve.cap for e in chosen]))
    with np.errstate(invalid="ignore"):  # inf - x is inf; nothing else is undefined here
        width = (ends - x0) * in_scale
    n = len(tokens)
    supply, minimum, wanted = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    for t, s in problem.supply.items():
        supply[where[t]] = s
    for t in problem.demands.buy:
        wanted[where[t]] = True
        minimum[where[t]] = problem.minimum.get(t, 0.0)

    token_in = np.repeat(np.array([where[e.token_in] for e in chosen], dtype=np.int64), counts)
    token_out = np.repeat(np.array([where[e.token_out] for e in chosen], dtype=np.int64), counts)
    return Network(tuple(tokens), chosen, edge, token_in, token_out, per_segment([e.curve.gamma for e in chosen]), np.array(r_in) * in_scale, np.array(r_out) * out_scale,
                   width, x0 * in_scale, np.array(seg_y) * out_scale, supply, minimum, wanted, first)
