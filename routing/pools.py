"""Pools and the liquidity snapshot: frozen data, exact quotes, JSON in and out.

A pool answers exact integer quotes in either direction (`amount_out`, `amount_in`),
returns its own state after a swap (`after_swap`, so several swaps can be evaluated in
order), and exposes a real-valued output curve for the optimisers (`routing.curves`).
Token identities are checksummed addresses; `Liquidity.resolve` also accepts symbols.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from routing.errors import PoolMathError, SnapshotError, UnknownTokenError
from routing.math import v2 as v2_math
from routing.math.v3_swap import SwapResult, V3State, full_word_range, swap

# Gas of one hop (approve + router swap), measured on the fork: V2 135-152k, V3 115-127k
# without crossings (tests/integration/test_routing_onchain.py holds the model within 20%).
GAS_V2_HOP = 145_000
GAS_V3_HOP = 125_000
GAS_V3_TICK_CROSS = 20_000


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class V2Pool:
    address: str
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    kind: str = "v2"

    @property
    def fee_pips(self) -> int:
        return 3000

    @property
    def gas(self) -> int:
        return GAS_V2_HOP

    def other(self, token: str) -> str:
        return _other(self, token)

    def _reserves(self, token_in: str) -> tuple[int, int]:
        return (self.reserve0, self.reserve1) if _zero_for_one(self, token_in) else (self.reserve1, self.reserve0)

    def amount_out(self, token_in: str, amount_in: int) -> int:
        return v2_math.get_amount_out(amount_in, *self._reserves(token_in))

    def amount_in(self, token_in: str, amount_out: int) -> int:
        return v2_math.get_amount_in(amount_out, *self._reserves(token_in))

    def after_swap(self, token_in: str, amount_in: int) -> tuple[V2Pool, int]:
        """(the pool after an exact-input swap, the amount out)."""
        out = self.amount_out(token_in, amount_in)
        if _zero_for_one(self, token_in):
            return replace(self, reserve0=self.reserve0 + amount_in, reserve1=self.reserve1 - out), out
        return replace(self, reserve0=self.reserve0 - out, reserve1=self.reserve1 + amount_in), out

    def to_json(self) -> dict[str, Any]:
        return {"kind": "v2", "address": self.address, "token0": self.token0, "token1": self.token1,
                "reserve0": str(self.reserve0), "reserve1": str(self.reserve1)}


@dataclass(frozen=True)
class V3Pool:
    address: str
    token0: str
    token1: str
    fee_pips: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: tuple[tuple[int, int], ...]  # (tick, liquidity_net), sorted
    word_lo: int
    word_hi: int
    kind: str = "v3"

    @property
    def gas(self) -> int:
        return GAS_V3_HOP

    @property
    def state(self) -> V3State:
        return V3State(self.sqrt_price_x96, self.tick, self.liquidity, self.fee_pips, self.tick_spacing,
                       self.ticks, self.word_lo, self.word_hi)

    def other(self, token: str) -> str:
        return _other(self, token)

    def swap(self, token_in: str, amount_specified: int, allow_partial: bool = False) -> SwapResult:
        return swap(self.state, _zero_for_one(self, token_in), amount_specified, allow_partial=allow_partial)

    def amount_out(self, token_in: str, amount_in: int) -> int:
        if amount_in <= 0:
            raise PoolMathError(f"amount_in must be positive, got {amount_in}", "amount_in")
        return self.swap(token_in, amount_in).amount_out

    def amount_in(self, token_in: str, amount_out: int) -> int:
        if amount_out <= 0:
            raise PoolMathError(f"amount_out must be positive, got {amount_out}", "amount_out")
        return self.swap(token_in, -amount_out).amount_in

    def after_swap(self, token_in: str, amount_in: int) -> tuple[V3Pool, int]:
        result = self.swap(token_in, amount_in)
        moved = replace(self, sqrt_price_x96=result.sqrt_price_x96, tick=result.tick, liquidity=result.liquidity)
        return moved, result.amount_out

    def to_json(self) -> dict[str, Any]:
        return {"kind": "v3", "address": self.address, "token0": self.token0, "token1": self.token1,
                "fee_pips": self.fee_pips, "tick_spacing": self.tick_spacing,
                "sqrt_price_x96": str(self.sqrt_price_x96), "tick": self.tick, "liquidity": str(self.liquidity),
                "ticks": [[t, str(n)] for t, n in self.ticks], "word_lo": self.word_lo, "word_hi": self.word_hi}


Pool = V2Pool | V3Pool


def _zero_for_one(pool: Pool, token_in: str) -> bool:
    if token_in == pool.token0:
        return True
    if token_in == pool.token1:
        return False
    raise UnknownTokenError(f"pool {pool.address} does not trade {token_in}", "token_in")


def _other(pool: Pool, token: str) -> str:
    return pool.token1 if _zero_for_one(pool, token) else pool.token0


def v3_pool(address: str, token0: str, token1: str, fee_pips: int, tick_spacing: int, sqrt_price_x96: int,
            tick: int, liquidity: int, ticks: Iterable[tuple[int, int]], words: tuple[int, int] | None = None) -> V3Pool:
    """A V3Pool with its tick table sorted and (by default) every bitmap word known."""
    lo, hi = words if words is not None else full_word_range(tick_spacing)
    return V3Pool(address, token0, token1, fee_pips, tick_spacing, sqrt_price_x96, tick, liquidity,
                  tuple(sorted((int(t), int(n)) for t, n in ticks if int(n) != 0)), lo, hi)


@dataclass(frozen=True)
class Liquidity:
    """A snapshot of the pools a router may use, at one block."""

    tokens: Mapping[str, Token]
    pools: tuple[Pool, ...]
    block: int = 0
    native: str | None = None  # the wrapped native token that prices gas (WETH)
    source: str = field(default="")

    def resolve(self, token: str, field_name: str = "token") -> str:
        """A token's address from its address or symbol (case-insensitive), or a did-you-mean error."""
        for address, info in self.tokens.items():
            if token.lower() in (address.lower(), info.symbol.lower()):
                return address
        symbols = [t.symbol for t in self.tokens.values()]
        hint = difflib.get_close_matches(token.upper(), symbols, n=1)
        suffix = f" (did you mean {hint[0]}?)" if hint else f" (known: {', '.join(sorted(symbols))})"
        raise UnknownTokenError(f"unknown token {token!r} in {field_name}{suffix}", field_name)

    def symbol(self, address: str) -> str:
        info = self.tokens.get(address)
        return info.symbol if info else address

    def pool(self, address: str) -> Pool:
        for p in self.pools:
            if p.address == address:
                return p
        raise UnknownTokenError(f"no pool {address} in the snapshot", "pool")

    def to_json(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "native": self.native,
            "tokens": {a: {"symbol": t.symbol, "decimals": t.decimals} for a, t in self.tokens.items()},
            "pools": [p.to_json() for p in self.pools],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1)

    @classmethod
    def from_json(cls, data: Any, source: str = "snapshot") -> Liquidity:
        """Parse a snapshot; every malformed part raises `SnapshotError` naming its field."""
        if not isinstance(data, dict):
            raise SnapshotError(f"{source}: the snapshot must be a JSON object", "snapshot")
        tokens_raw = _get(data, "tokens", dict, source)
        tokens = {}
        for address, info in tokens_raw.items():
            where = f"tokens.{address}"
            if not isinstance(info, dict):
                raise SnapshotError(f"{source}: {where} must be an object", where)
            tokens[address] = Token(address, str(_get(info, "symbol", str, source, where)),
                                    _int(_get(info, "decimals", int, source, where), source, where + ".decimals"))
        pools_raw = _get(data, "pools", list, source)
        pools = tuple(_pool_from_json(p, i, tokens, source) for i, p in enumerate(pools_raw))
        native = data.get("native")
        if native is not None and not isinstance(native, str):
            raise SnapshotError(f"{source}: field native must be a token address or null", "native")
        if native is not None and native not in tokens:
            raise SnapshotError(f"{source}: native token {native} is not in tokens", "native")
        return cls(tokens, pools, _int(data.get("block", 0), source, "block"), native, source)

    @classmethod
    def loads(cls, text: str, source: str = "snapshot") -> Liquidity:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SnapshotError(f"{source} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
                                "snapshot") from None
        return cls.from_json(data, source)


def _get(data: Mapping[str, Any], key: str, kind: type, source: str, where: str = "") -> Any:
    path = f"{where}.{key}" if where else key
    if key not in data:
        raise SnapshotError(f"{source}: missing field {path}", path)
    value = data[key]
    if kind is int and isinstance(value, str):
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SnapshotError(f"{source}: field {path} must be {kind.__name__}", path)
    return value


def _int(value: Any, source: str, path: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SnapshotError(f"{source}: field {path} must be an integer, got {value!r}", path) from None


def _pool_from_json(raw: Any, index: int, tokens: Mapping[str, Token], source: str) -> Pool:
    where = f"pools[{index}]"
    if not isinstance(raw, dict):
        raise SnapshotError(f"{source}: {where} must be an object", where)
    kind = raw.get("kind")
    address = str(_get(raw, "address", str, source, where))
    token0 = str(_get(raw, "token0", str, source, where))
    token1 = str(_get(raw, "token1", str, source, where))
    for key, tok in (("token0", token0), ("token1", token1)):
        if tok not in tokens:
            raise SnapshotError(f"{source}: {where}.{key} {tok} is not in tokens", f"{where}.{key}")

    def num(key: str) -> int:
        return _int(_get(raw, key, int, source, where), source, f"{where}.{key}")

    if kind == "v2":
        pair = V2Pool(address, token0, token1, num("reserve0"), num("reserve1"))
        if pair.reserve0 < 0 or pair.reserve1 < 0:
            raise SnapshotError(f"{source}: {where} has negative reserves", f"{where}.reserve0")
        return pair
    if kind == "v3":
        ticks_raw = _get(raw, "ticks", list, source, where)
        ticks = []
        for j, entry in enumerate(ticks_raw):
            if not isinstance(entry, list) or len(entry) != 2:
                raise SnapshotError(f"{source}: {where}.ticks[{j}] must be [tick, liquidity_net]", f"{where}.ticks[{j}]")
            ticks.append((_int(entry[0], source, f"{where}.ticks[{j}]"), _int(entry[1], source, f"{where}.ticks[{j}]")))
        spacing = num("tick_spacing")
        if spacing <= 0:
            raise SnapshotError(f"{source}: {where}.tick_spacing must be positive", f"{where}.tick_spacing")
        return v3_pool(address, token0, token1, num("fee_pips"), spacing, num("sqrt_price_x96"), num("tick"),
                       num("liquidity"), ticks, (num("word_lo"), num("word_hi")))
    raise SnapshotError(f"{source}: {where}.kind must be 'v2' or 'v3', got {kind!r}", f"{where}.kind")
