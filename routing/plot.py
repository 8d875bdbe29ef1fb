"""A picture of a route: tokens as nodes, one arrow per pool hop. An adapter (writes a PNG
with matplotlib's Agg backend, imported inside the function so `keel --help` stays instant).

    plot_route(hops, symbols, path, title=None, decimals=None, prices=None) -> Path

Layout: tokens no hop pays into (sold) sit in the left column, tokens no hop spends
(bought) in the right column, the others in between at their longest-path depth. Each hop
is an arrow labelled with its pool kind and fee tier ("V3 0.05%") and the whole-token
amounts in -> out; its width is its share of the value routed (amount_in * price when
`prices` is given; otherwise each sold token's amount, followed through the route, so
widths compare within one sold token). Hops between the same two tokens (a split across
pools) are arcs of different bends, so each can be seen and read. `hops` are
`routing.evaluate.Hop`s or plain mappings with the same field names (the CLI's --json hops).
The PNG is written to a temporary file beside `path` and renamed over it: a reader never
sees half a picture. Bad input raises `RoutingError` naming the field.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from routing.errors import RoutingError
from routing.evaluate import Hop

COL_GAP = 5.0  # data units between columns (one unit is UNIT_IN inches on the page)
ROW_GAP = 2.6
RADIUS = 0.5  # node circle radius
ARC_GAP = 0.75  # distance between the midpoints of parallel arcs
UNIT_IN = 0.5
FONT = 7.0  # edge label size in points
MIN_W, MAX_W = 1.0, 10.0  # arrow widths in points for the smallest and a whole-route share
COLORS = {"v2": "#e07b39", "v3": "#3b6fb6"}
SLIDE = sorted((0.5 + k / 50 for k in range(-16, 17)), key=lambda t: abs(t - 0.5))  # label spots along an arc
_HOP_FIELDS = tuple(f.name for f in fields(Hop))

Point = tuple[float, float]


def check_path(path: Path | str, field: str = "path") -> Path:
    """`path` as a Path if a PNG can be written there (its directory exists, it ends in .png)."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise RoutingError(f"{field} {p}: the picture is a PNG, name it *.png", field)
    if p.is_dir():
        raise RoutingError(f"{field} {p} is a directory, not a file", field)
    if not p.parent.is_dir():
        raise RoutingError(f"{field} {p}: directory {p.parent} does not exist", field)
    return p


def as_hops(hops: Iterable[Hop | Mapping[str, Any]]) -> list[Hop]:
    """Hops from `Hop`s or mappings with the same field names (extra keys ignored, amounts may be strings)."""
    out: list[Hop] = []
    for i, h in enumerate(hops):
        if isinstance(h, Hop):
            out.append(h)
            continue
        if not isinstance(h, Mapping):
            raise RoutingError(f"hops[{i}] must be a Hop or a mapping, got {type(h).__name__}", f"hops[{i}]")
        values: dict[str, Any] = {}
        for name in _HOP_FIELDS:
            if name not in h:
                if name == "ticks_crossed":
                    continue
                raise RoutingError(f"hops[{i}] has no field {name}", f"hops[{i}].{name}")
            values[name] = h[name]
        try:
            for name in ("fee_pips", "amount_in", "amount_out", "ticks_crossed"):
                if name in values:
                    values[name] = int(values[name])
        except (TypeError, ValueError):
            raise RoutingError(f"hops[{i}].{name} must be an integer, got {values[name]!r}", f"hops[{i}].{name}") from None
        fields: dict[str, Any] = {k: (str(v) if k in ("pool", "kind", "token_in", "token_out") else v)
                                  for k, v in values.items()}
        out.append(Hop(**fields))
    if not out:
        raise RoutingError("no hops to draw: the route is empty", "hops")
    for i, h in enumerate(out):
        if h.amount_in <= 0 or h.amount_out < 0:
            raise RoutingError(f"hops[{i}] moves a non-positive amount ({h.amount_in} in)", f"hops[{i}].amount_in")
    return out


def _columns(hops: Sequence[Hop]) -> dict[str, int]:
    """Column of each token: sold at 0, bought last, the rest at their longest-path depth."""
    tokens = list(dict.fromkeys(t for h in hops for t in (h.token_in, h.token_out)))
    has_in = {h.token_out for h in hops}
    has_out = {h.token_in for h in hops}
    sources = [t for t in tokens if t not in has_in] or [hops[0].token_in]  # a pure cycle: start anywhere
    depth = {t: 0 for t in sources}
    for _ in range(len(tokens)):  # Bellman-Ford-style relaxation; the bound stops cycles
        changed = False
        for h in hops:
            if h.token_in in depth and h.token_out not in sources and depth.get(h.token_out, -1) < depth[h.token_in] + 1:
                depth[h.token_out] = depth[h.token_in] + 1
                changed = True
        if not changed:
            break
    middle = [t for t in tokens if t not in sources and t in has_out]
    last = max((depth.get(t, 1) for t in middle), default=0) + 1
    return {t: 0 if t in sources else (min(max(depth.get(t, 1), 1), last - 1) if t in middle else last)
            for t in tokens}


def _shares(hops: Sequence[Hop], prices: Mapping[str, int] | None, cols: Mapping[str, int]) -> list[float]:
    """Each hop's share of the value routed, in [0, 1]."""
    if prices:
        missing = sorted({h.token_in for h in hops} - set(prices))
        if missing:
            raise RoutingError(f"no price for token {missing[0]}", "prices")
        values = [h.amount_in * prices[h.token_in] for h in hops]
        sold = sum(v for h, v in zip(hops, values, strict=True) if cols[h.token_in] == 0)
        return [min(v / sold, 1.0) if sold > 0 else 0.0 for v in values]
    # No prices: follow each sold token's amount through the route, splitting a token's
    # share over its outgoing hops in proportion to their amounts.
    out_total: dict[str, int] = defaultdict(int)
    for h in hops:
        out_total[h.token_in] += h.amount_in
    weight: dict[str, float] = defaultdict(float)
    for t, c in cols.items():
        if c == 0:
            weight[t] = 1.0
    shares = []
    for h in hops:  # hops come in execution order: a token's inflows are known before it is spent
        s = weight[h.token_in] * h.amount_in / out_total[h.token_in]
        shares.append(min(s, 1.0))
        weight[h.token_out] += s
    return shares


def compact(amount: int, decimals: int | None) -> str:
    """A whole-token amount in four significant figures with k/M/B suffixes (base units if decimals unknown)."""
    value = amount / 10**decimals if decimals is not None else float(amount)
    if abs(value) >= 1e12:
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return f"{value:.4g}"


def _label(h: Hop, symbols: Mapping[str, str], decimals: Mapping[str, int] | None) -> str:
    dec = decimals or {}
    sym_in, sym_out = symbols.get(h.token_in, h.token_in[:8]), symbols.get(h.token_out, h.token_out[:8])
    units = "" if decimals is not None else " (base units)"
    return (f"{h.kind.upper()} {h.fee_pips / 10_000:g}%\n"
            f"{compact(h.amount_in, dec.get(h.token_in))} {sym_in} → "
            f"{compact(h.amount_out, dec.get(h.token_out))} {sym_out}{units}")


def _positions(hops: Sequence[Hop], cols: Mapping[str, int], shares: Sequence[float],
               col_gap: float) -> dict[str, Point]:
    """Node centres: columns left to right; within a column, ordered by where their flow comes from."""
    by_col: dict[int, list[str]] = defaultdict(list)
    for t, c in cols.items():
        by_col[c].append(t)
    sold_value: dict[str, float] = defaultdict(float)
    for h, s in zip(hops, shares, strict=True):
        sold_value[h.token_in] += s
    pos: dict[str, Point] = {}
    for c in sorted(by_col):
        if c == 0:
            order = sorted(by_col[c], key=lambda t: -sold_value[t])
        else:  # the mean height of a token's suppliers keeps arrows from crossing
            def centre(t: str) -> float:
                ys = [pos[h.token_in][1] for h in hops if h.token_out == t and h.token_in in pos]
                return sum(ys) / len(ys) if ys else 0.0
            order = sorted(by_col[c], key=lambda t: -centre(t))
        n = len(order)
        for k, t in enumerate(order):
            pos[t] = (c * col_gap, (n - 1) / 2 * ROW_GAP - k * ROW_GAP)
    return pos


def _bezier(p0: Point, c: Point, p1: Point, t: float) -> Point:
    u = 1 - t
    return (u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1])


def _split(p0: Point, c: Point, p1: Point, t0: float, t1: float) -> tuple[Point, Point, Point]:
    """The piece of a quadratic Bezier between parameters t0 < t1, as a quadratic Bezier."""
    a, b = _bezier(p0, c, p1, t0), _bezier(p0, c, p1, t1)
    # the control point of a sub-curve is where the tangents at its ends meet: the blossom B(t0, t1)
    u0, u1 = 1 - t0, 1 - t1
    ctrl = (u0 * u1 * p0[0] + (u0 * t1 + t0 * u1) * c[0] + t0 * t1 * p1[0],
            u0 * u1 * p0[1] + (u0 * t1 + t0 * u1) * c[1] + t0 * t1 * p1[1])
    return a, ctrl, b


def _exit(p0: Point, c: Point, p1: Point, centre: Point, from_start: bool) -> float:
    """The parameter where the curve crosses the circle of RADIUS around `centre` (bisection)."""
    lo, hi = (0.0, 0.5) if from_start else (0.5, 1.0)
    for _ in range(30):
        mid = (lo + hi) / 2
        x, y = _bezier(p0, c, p1, mid)
        inside = math.hypot(x - centre[0], y - centre[1]) < RADIUS * 1.15
        if inside == from_start:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _control(a: Point, b: Point, offset: float) -> Point:
    """The control point that puts the curve's midpoint `offset` to the left of a -> b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    # a quadratic's midpoint sits half-way from the chord's midpoint to its control point
    return ((a[0] + b[0]) / 2 - 2 * offset * dy / length, (a[1] + b[1]) / 2 + 2 * offset * dx / length)


def _clearance(a: Point, b: Point, offsets: Sequence[float], nodes: Iterable[Point]) -> float:
    """The least distance from any node (other than the ends) to the arcs at `offsets`."""
    others = [n for n in nodes if n not in (a, b)]
    if not others:
        return math.inf
    best = math.inf
    for off in offsets:
        c = _control(a, b, off)
        for k in range(1, 20):
            x, y = _bezier(a, c, b, k / 20)
            best = min(best, min(math.hypot(x - n[0], y - n[1]) for n in others))
    return best


def _bundle_offsets(a: Point, b: Point, k: int, nodes: Sequence[Point]) -> list[float]:
    """Offsets of k parallel arcs between a and b: spread ARC_GAP apart, the bundle bent away from other nodes."""
    spread = [(i - (k - 1) / 2) * ARC_GAP for i in range(k)]
    clear = RADIUS + 0.6
    best, best_gap = spread, -1.0
    for shift in (0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0):
        trial = [s + shift * ROW_GAP / 2 for s in spread]
        gap = _clearance(a, b, trial, nodes)
        if gap >= clear:
            return trial
        if gap > best_gap:
            best, best_gap = trial, gap
    return best


class _Boxes:
    """Placed label boxes (data units), so the next label can slide along its arc to a free spot."""

    def __init__(self, nodes: Iterable[Point]) -> None:
        self.boxes: list[tuple[float, float, float, float]] = [
            (x - RADIUS, y - RADIUS, x + RADIUS, y + RADIUS) for x, y in nodes]

    @staticmethod
    def box(centre: Point, text: str) -> tuple[float, float, float, float]:
        lines = text.split("\n")
        char = FONT * 0.62 / 72 / UNIT_IN  # average glyph width, in data units
        pad = 2 * 0.25 * FONT / 72 / UNIT_IN  # the label's rounded box adds a quarter of the font size a side
        w = max(len(s) for s in lines) * char + pad
        h = len(lines) * FONT * 1.25 / 72 / UNIT_IN + pad
        return centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2

    def overlap(self, box: tuple[float, float, float, float]) -> float:
        total = 0.0
        for x0, y0, x1, y1 in self.boxes:
            w = min(x1, box[2]) - max(x0, box[0])
            h = min(y1, box[3]) - max(y0, box[1])
            if w > 0 and h > 0:
                total += w * h
        return total

    def place(self, curve: tuple[Point, Point, Point], text: str) -> Point:
        best, best_overlap = _bezier(*curve, 0.5), math.inf
        for t in SLIDE:
            at = _bezier(*curve, t)
            o = self.overlap(self.box(at, text))
            if o < best_overlap - 1e-9:
                best, best_overlap = at, o
            if o == 0:
                break
        self.boxes.append(self.box(best, text))
        return best


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in data units: node centres, one quadratic Bezier (start, control,
    end: centre to centre) per hop, each hop's share of the value routed, each token's column."""

    hops: tuple[Hop, ...]
    columns: dict[str, int]
    positions: dict[str, Point]
    curves: tuple[tuple[Point, Point, Point], ...]
    shares: tuple[float, ...]

    def midpoint(self, i: int) -> Point:
        return _bezier(*self.curves[i], 0.5)


def layout(hops: Iterable[Hop | Mapping[str, Any]], prices: Mapping[str, int] | None = None,
           col_gap: float = COL_GAP) -> Layout:
    """The route's geometry (pure; no matplotlib): see the module docstring for the rules."""
    hs = as_hops(hops)
    cols = _columns(hs)
    shares = _shares(hs, prices, cols)
    pos = _positions(hs, cols, shares, col_gap)
    bundles: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, h in enumerate(hs):
        bundles[(min(h.token_in, h.token_out), max(h.token_in, h.token_out))].append(i)
    curves: dict[int, tuple[Point, Point, Point]] = {}
    nodes = list(pos.values())
    for (t0, t1), members in bundles.items():
        a, b = pos[t0], pos[t1]
        # within a bundle, the cheapest fee tier on top, so the picture reads like the table
        members.sort(key=lambda i: (hs[i].fee_pips, hs[i].kind, hs[i].pool))
        offsets = _bundle_offsets(a, b, len(members), nodes)
        if a[0] > b[0]:
            offsets.reverse()  # "left of a -> b" is down when a is on the right
        for i, off in zip(members, reversed(offsets), strict=True):
            c = _control(a, b, off)
            curves[i] = (a, c, b) if hs[i].token_in == t0 else (b, c, a)
    return Layout(tuple(hs), cols, pos, tuple(curves[i] for i in range(len(hs))), tuple(shares))


def plot_route(
    hops: Iterable[Hop | Mapping[str, Any]],
    symbols: Mapping[str, str],
    path: Path | str,
    title: str | None = None,
    decimals: Mapping[str, int] | None = None,
    prices: Mapping[str, int] | None = None,
) -> Path:
    """Draw the route to the PNG at `path` (written atomically) and return the path.

    `symbols` and `decimals` are keyed by token address; a token missing from `symbols` is
    shown by its address prefix; without `decimals` amounts are shown in base units.
    """
    target = check_path(path)
    hs = as_hops(hops)
    texts = [_label(h, symbols, decimals) for h in hs]
    # columns wide enough that a label between neighbours leaves both arrow ends in view
    widest = max(b[2] - b[0] for b in (_Boxes.box((0.0, 0.0), t) for t in texts))
    lay = layout(hs, prices, max(COL_GAP, widest + 2 * RADIUS + 1.6))
    texts = [_label(h, symbols, decimals) for h in lay.hops]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax, y_hi = _canvas(plt, lay)
    _draw_hops(ax, lay, texts)
    _draw_tokens(ax, lay, symbols, y_hi)
    _draw_legend(ax, lay, by_value=prices is not None)
    fig.suptitle(title or f"route: {len(lay.hops)} hops over {len({h.pool for h in lay.hops})} pools", fontsize=11)
    _save(fig, target)
    plt.close(fig)
    return target


def _canvas(plt: Any, lay: Layout) -> tuple[Any, Any, float]:
    """A figure sized to the layout (tokens and arc midpoints, plus a margin); returns (fig, ax, top y)."""
    xs = [p[0] for p in lay.positions.values()]
    ys = [p[1] for p in lay.positions.values()]
    pad = 1.8
    x_lo, x_hi = min(xs) - pad - 0.6, max(xs) + pad + 0.6
    y_extent = [_bezier(*cv, 0.5)[1] for cv in lay.curves] + ys
    y_lo, y_hi = min(y_extent) - pad, max(y_extent) + pad
    fig = plt.figure(figsize=((x_hi - x_lo) * UNIT_IN, (y_hi - y_lo) * UNIT_IN + 0.5), dpi=110)
    ax = fig.add_axes((0.0, 0.0, 1.0, (y_hi - y_lo) * UNIT_IN / ((y_hi - y_lo) * UNIT_IN + 0.5)))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax, y_hi


def _draw_hops(ax: Any, lay: Layout, texts: Sequence[str]) -> None:
    """One arrow per hop, width by share, clipped at the token circles; labels placed clear of each other."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MPath

    boxes = _Boxes(list(lay.positions.values()))
    labels: list[tuple[Point, str, str]] = []
    for i in sorted(range(len(lay.hops)), key=lambda i: -lay.shares[i]):  # biggest hops get the best label spots
        h, full = lay.hops[i], lay.curves[i]
        t_start = _exit(*full, full[0], from_start=True)
        t_end = _exit(*full, full[2], from_start=False)
        p0, c, p1 = _split(*full, t_start, t_end)
        width = MIN_W + (MAX_W - MIN_W) * lay.shares[i]
        color = COLORS.get(h.kind.lower(), "#777777")
        arrow = FancyArrowPatch(path=MPath([p0, c, p1], [MPath.MOVETO, MPath.CURVE3, MPath.CURVE3]),
                                arrowstyle=f"-|>,head_length={0.4 + width / 20:.2f},head_width={0.25 + width / 30:.2f}",
                                mutation_scale=12, lw=width, color=color, alpha=0.55, zorder=1)
        ax.add_patch(arrow)
        labels.append((boxes.place(full, texts[i]), texts[i], color))
    for at, text, color in labels:
        ax.text(*at, text, ha="center", va="center", fontsize=FONT, color="#222222", zorder=3,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": color, "lw": 0.8, "alpha": 0.9})


def _draw_tokens(ax: Any, lay: Layout, symbols: Mapping[str, str], y_hi: float) -> None:
    """A circle per token with its symbol; "sold" over the first column and "bought" over the last."""
    from matplotlib.patches import Circle

    for t, (x, y) in lay.positions.items():
        sym = symbols.get(t, t[:8])
        ax.add_patch(Circle((x, y), RADIUS, fc="#f4f4f4", ec="#333333", lw=1.3, zorder=4))
        ax.text(x, y, sym, ha="center", va="center", fontsize=9 if len(sym) <= 5 else 7, weight="bold", zorder=5)
    col_x = {c: lay.positions[t][0] for t, c in lay.columns.items()}
    for c, name in {0: "sold", max(lay.columns.values()): "bought"}.items():
        ax.text(col_x[c], y_hi - 0.5, name, ha="center", va="center", fontsize=9, color="#555555")


def _draw_legend(ax: Any, lay: Layout, by_value: bool) -> None:
    from matplotlib.patches import Patch

    kinds = sorted({h.kind.lower() for h in lay.hops})
    ax.legend(handles=[Patch(color=COLORS.get(k, "#777777"), alpha=0.55, label=k.upper()) for k in kinds],
              loc="lower right", fontsize=8, frameon=False,
              title="width: share of value" if by_value else "width: share of amount sold", title_fontsize=7)


def _save(fig: Any, target: Path) -> None:
    """Write to a temporary file in the same directory, then rename over `target` (atomic on POSIX)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".png.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
