"""From balances, oracle prices and a user's wish to an Intent. Pure; integers out.

Weights: `--token WETH=50 --token USDC=30 ...` becomes target bps per token; the price
bounds are the oracle's relative price ± slippage, rounded outward (min down, max up) so
that the oracle price itself is always inside. A preview shows what would trade at the
oracle prices.

Hedge: an options book's delta Δ_book (units of the underlying) plus the owner's spot
holding h must land in [target - band, target + band] after the batch, i.e.
h' ∈ [target - band - Δ_book, target + band - Δ_book]. Converted to base units with the
lower bound rounded *up* and the upper bound rounded *down* (inward), so every balance
the contract accepts keeps the total delta inside the band. A band that needs a short
spot position cannot be expressed as a balance and is refused.

Oracle guard: `max_oracle_deviation_bps` (None: unguarded) is signed into the intent, and
the settlement then refuses a clearing price further than that from its Chainlink-style
feeds at settlement time. The CLI signs `DEFAULT_MAX_ORACLE_DEVIATION_BPS` unless told
otherwise (`parse_oracle_deviation_bps`).

The policy engineer's keeper calls `weights_intent` and `hedge_intent` directly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from intents.errors import IntentError, UnknownToken
from intents.model import UINT256_MAX, Intent, IntentKind
from keel.units import BOUND_PRICE_SCALE, BPS, FEED_SCALE, bound_price_exact, usd_per_whole


@dataclass(frozen=True)
class TokenState:
    """One token as read from the chain: its address, decimals, oracle price, the owner's balance."""

    symbol: str
    address: str
    decimals: int
    usd_price_8: int  # oracle answer (keel.units.FeedAnswer): USD per whole token * 1e8
    balance: int  # owner's balance, base units

    @property
    def value_usd(self) -> Fraction:
        return Fraction(self.balance * self.usd_price_8, 10**self.decimals * FEED_SCALE)

    @property
    def usd(self) -> float:
        """Oracle dollars per whole token (display and the float models)."""
        return usd_per_whole(self.usd_price_8)


@dataclass(frozen=True)
class TradeLine:
    """One row of the preview: where a token is and where the intent asks it to be."""

    symbol: str
    balance: float
    value_usd: float
    weight_pct: float
    target_pct: float
    trade: float  # whole tokens, + buy / - sell, at oracle prices
    trade_usd: float


# The CLI's default guard: 1% from the feeds at settlement. Wide enough for the pools' fees
# plus a normal clearing (world pools charge 1-100 bps), tight enough that a batch cleared on
# pushed pools or a moved market is refused on chain rather than filled.
DEFAULT_MAX_ORACLE_DEVIATION_BPS = 100

# ---- flag parsing (shared by the CLI and the keeper) ------------------------------------

def parse_percent_bps(text: str, field: str) -> int:
    """'0.5%' -> 50 bps; '50' -> 5000 bps (a bare number is a percentage). Rounded to nearest bp."""
    raw = str(text).strip().removesuffix("%")
    try:
        value = float(raw)
    except ValueError:
        raise IntentError(f"{field}: {text!r} is not a percentage (e.g. 0.5%)", field) from None
    if not math.isfinite(value) or value < 0 or value > 100:
        raise IntentError(f"{field}: {text!r} must be between 0% and 100%", field)
    return round(value * 100)


def parse_oracle_deviation_bps(text: str, field: str = "max-oracle-deviation") -> int | None:
    """'100' -> 100 bps; '1%' -> 100 bps; '0' or 'off' -> None (unguarded). At most 10000 bps."""
    raw = str(text).strip().lower()
    if raw in ("off", "none", "0", "0%"):
        return None
    if raw.endswith("%"):
        bps = parse_percent_bps(raw, field)
    else:
        if not raw.isdigit():
            raise IntentError(f"{field}: {text!r} is not a number of bps (e.g. 100), a percentage (1%) or off",
                              field)
        bps = int(raw)
    if bps > BPS:
        raise IntentError(f"{field}: {text!r} is above 10000 bps (100%)", field)
    return bps or None


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")


def parse_duration_s(text: str, field: str = "valid") -> int:
    """'90s', '10m', '2h', '1d', or bare seconds."""
    m = _DURATION.match(str(text))
    if not m or int(m.group(1)) == 0:
        raise IntentError(f"{field}: {text!r} is not a duration like 90s, 10m, 2h or 1d", field)
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def parse_weights(pairs: list[str], known: list[str]) -> dict[str, int]:
    """['WETH=50', 'USDC=50'] -> {'WETH': 5000, 'USDC': 5000}; each must be a known symbol; sum 100%."""
    out: dict[str, int] = {}
    for pair in pairs:
        symbol, sep, pct = pair.partition("=")
        symbol = symbol.strip().upper()
        if not sep or not symbol:
            raise IntentError(f"token: {pair!r} must look like SYMBOL=PERCENT (e.g. WETH=50)", "token")
        if symbol not in known:
            raise UnknownToken(f"token: {symbol} is not a token of this world (known: {', '.join(known)})", "token")
        if symbol in out:
            raise IntentError(f"token: {symbol} is given twice", "token")
        out[symbol] = parse_percent_bps(pct, f"token {symbol}")
    if len(out) < 2:
        raise IntentError("token: a weights intent needs at least two --token SYMBOL=PERCENT", "token")
    total = sum(out.values())
    if total != BPS:
        raise IntentError(f"token: weights sum to {total / 100:g}%, they must sum to 100%", "token")
    return out


# ---- bounds ---------------------------------------------------------------------------

def relative_price(token: TokenState, numeraire: TokenState) -> Fraction:
    """Numeraire base units per token base unit, times 1e18 (the intent's price unit), exact."""
    return bound_price_exact(token.usd_price_8, token.decimals, numeraire.usd_price_8, numeraire.decimals)


def price_bounds(tokens: list[TokenState], slippage_bps: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(minPrice, maxPrice): oracle ± slippage, min rounded down, max rounded up; index 0 is 1e18."""
    if not 0 <= slippage_bps < BPS:
        raise IntentError(f"slippage: {slippage_bps} bps must be below 100%", "slippage")
    for t in tokens:
        if t.usd_price_8 <= 0:
            raise IntentError(f"oracle: the {t.symbol} feed answers {t.usd_price_8}; no price to bound", "oracle")
    lo, hi = [BOUND_PRICE_SCALE], [BOUND_PRICE_SCALE]
    for t in tokens[1:]:
        p = relative_price(t, tokens[0])
        lo.append(math.floor(p * (BPS - slippage_bps) / BPS))
        hi.append(math.ceil(p * (BPS + slippage_bps) / BPS))
    return tuple(lo), tuple(hi)


def order_tokens(symbols: list[str], numeraire: str | None) -> list[str]:
    """Numeraire first (the given one, else USDC, else DAI, else the first listed), then as given."""
    if numeraire is not None:
        numeraire = numeraire.upper()
        if numeraire not in symbols:
            raise IntentError(f"numeraire: {numeraire} is not one of the intent's tokens ({', '.join(symbols)})", "numeraire")
    else:
        numeraire = next((s for s in ("USDC", "DAI") if s in symbols), symbols[0])
    return [numeraire, *[s for s in symbols if s != numeraire]]


# ---- weights --------------------------------------------------------------------------

def weights_intent(
    owner: str,
    tokens: list[TokenState],
    target_bps: dict[str, int],
    tolerance_bps: int,
    slippage_bps: int,
    max_fee_bps: int,
    valid_to: int,
    nonce: int,
    max_oracle_deviation_bps: int | None = None,
) -> tuple[Intent, list[TradeLine]]:
    """The weights intent (tokens in the given order, tokens[0] the numeraire) and its preview."""
    lo, hi = price_bounds(tokens, slippage_bps)
    intent = Intent(
        owner=owner,
        tokens=tuple(t.address for t in tokens),
        min_price=lo,
        max_price=hi,
        kind=IntentKind.WEIGHTS,
        target_weight_bps=tuple(target_bps[t.symbol] for t in tokens),
        tolerance_bps=tolerance_bps,
        max_fee_bps=max_fee_bps,
        valid_to=valid_to,
        nonce=nonce,
        max_oracle_deviation_bps=max_oracle_deviation_bps,
    )
    return intent, weights_preview(tokens, target_bps)


def weights_preview(tokens: list[TokenState], target_bps: dict[str, int]) -> list[TradeLine]:
    total = sum((t.value_usd for t in tokens), Fraction(0))
    if total == 0:
        raise IntentError("owner: holds none of the intent's tokens; there is nothing to rebalance", "owner")
    lines = []
    for t in tokens:
        target_value = total * target_bps[t.symbol] / BPS
        trade_usd = target_value - t.value_usd
        whole_price = Fraction(t.usd_price_8, FEED_SCALE)
        lines.append(TradeLine(
            symbol=t.symbol,
            balance=t.balance / 10**t.decimals,
            value_usd=float(t.value_usd),
            weight_pct=float(t.value_usd / total * 100),
            target_pct=target_bps[t.symbol] / 100,
            trade=float(trade_usd / whole_price),
            trade_usd=float(trade_usd),
        ))
    return lines


# ---- hedge ----------------------------------------------------------------------------

@dataclass(frozen=True)
class HedgeBand:
    book_delta: float
    holding: float
    target_delta: float
    band: float
    min_balance: int
    max_balance: int
    trade: float  # whole underlying to buy (+) or sell (-) to reach the nearest edge; 0 if inside

    @property
    def total_delta(self) -> float:
        return self.book_delta + self.holding


def hedge_band(book_delta: float, holding: int, decimals: int, target_delta: float, band: float) -> HedgeBand:
    """Post-trade balance bounds for the underlying (base units, rounded inward)."""
    if not math.isfinite(band) or band <= 0:
        raise IntentError(f"band: {band} must be a positive number of underlying units", "band")
    if not math.isfinite(target_delta):
        raise IntentError(f"target-delta: {target_delta} is not a number", "target-delta")
    scale = 10**decimals
    lo_units = target_delta - band - book_delta
    hi_units = target_delta + band - book_delta
    max_balance = math.floor(hi_units * scale)
    if max_balance < 0:
        raise IntentError(
            f"target-delta: the book's delta is {book_delta:+.4f}; reaching {target_delta:g}±{band:g} needs a short spot "
            f"position of {-hi_units:.4f}, which a balance bound cannot express",
            "target-delta",
        )
    min_balance = max(0, math.ceil(lo_units * scale))
    h = holding / scale
    trade = 0.0 if lo_units <= h <= hi_units else (max(lo_units, 0.0) - h if h < lo_units else hi_units - h)
    return HedgeBand(book_delta, h, target_delta, band, min_balance, max_balance, trade)


def hedge_intent(
    owner: str,
    numeraire: TokenState,
    underlying: TokenState,
    hedge: HedgeBand,
    slippage_bps: int,
    max_fee_bps: int,
    valid_to: int,
    nonce: int,
    max_oracle_deviation_bps: int | None = None,
) -> Intent:
    """A BALANCES intent over [numeraire, underlying]: the underlying within the hedge band, numeraire free."""
    lo, hi = price_bounds([numeraire, underlying], slippage_bps)
    return Intent(
        owner=owner,
        tokens=(numeraire.address, underlying.address),
        min_price=lo,
        max_price=hi,
        kind=IntentKind.BALANCES,
        min_balance=(0, hedge.min_balance),
        max_balance=(UINT256_MAX, hedge.max_balance),
        max_fee_bps=max_fee_bps,
        valid_to=valid_to,
        nonce=nonce,
        max_oracle_deviation_bps=max_oracle_deviation_bps,
    )
